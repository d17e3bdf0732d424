from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.db import models

from brokerages.models import Agent, Brokerage


@admin.register(Brokerage)
class BrokerageAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "website"]
    search_fields = ["name"]
    # A website typed without a scheme is taken as https, as Django 6 will.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "brokerage", "role"]
    list_filter = ["role", "brokerage"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Brokerage", {"fields": ["brokerage", "role", "phone"]}),
    ]
