from django.contrib import admin

from registration.models import Brand, Campaign, RegistrationAlert, RegistrationStep


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["brokerage", "legal_name", "status", "twilio_status", "brand_registration_sid"]
    list_filter = ["status"]
    search_fields = ["legal_name", "brokerage__name", "brand_registration_sid"]


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["brokerage", "use_case", "status", "twilio_status", "campaign_sid"]
    list_filter = ["status"]
    search_fields = ["brokerage__name", "campaign_sid", "messaging_service_sid"]


@admin.register(RegistrationStep)
class RegistrationStepAdmin(admin.ModelAdmin):
    list_display = ["created_at", "brokerage", "step", "sid", "detail"]
    list_filter = ["step"]
    search_fields = ["sid", "brokerage__name"]


@admin.register(RegistrationAlert)
class RegistrationAlertAdmin(admin.ModelAdmin):
    list_display = ["last_seen_at", "brokerage", "bay_number", "error_code", "occurrences"]
    list_filter = ["error_code"]
