from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db import models

from brokerages.models import Agent, Brokerage


@admin.register(Brokerage)
class BrokerageAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "website"]
    search_fields = ["name"]
    # A website typed without a scheme is taken as https, as Django 6 will.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


class AgentChangeForm(UserChangeForm):
    def clean_brokerage(self):
        """An agent's contacts, texts and BAY Numbers belong to their
        brokerage, so someone who has any cannot be moved to another."""
        brokerage = self.cleaned_data["brokerage"]
        agent = self.instance
        if agent.pk and agent.brokerage_id and brokerage != agent.brokerage:
            numbers = agent.bay_numbers.filter(released_at__isnull=True).count()
            contacts = agent.contacts.count()
            if numbers or contacts:
                raise ValidationError(
                    f"{agent.username} has {contacts} contacts and {numbers} BAY Numbers in "
                    f"{agent.brokerage}. Release or reassign the numbers there and make a new "
                    "account in the other brokerage; contacts and their consent stay with the "
                    "brokerage they were made in."
                )
        return brokerage


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    form = AgentChangeForm
    list_display = ["username", "first_name", "last_name", "brokerage", "role"]
    list_filter = ["role", "brokerage"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Brokerage", {"fields": ["brokerage", "role", "phone"]}),
    ]
