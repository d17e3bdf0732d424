from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from brokerages.models import Agent, Brokerage


@admin.register(Brokerage)
class BrokerageAdmin(admin.ModelAdmin):
    list_display = ["name", "phone", "website"]
    search_fields = ["name"]


@admin.register(Agent)
class AgentAdmin(UserAdmin):
    list_display = ["username", "first_name", "last_name", "brokerage", "role"]
    list_filter = ["role", "brokerage"]
    fieldsets = [
        *UserAdmin.fieldsets,
        ("Brokerage", {"fields": ["brokerage", "role", "phone"]}),
    ]
