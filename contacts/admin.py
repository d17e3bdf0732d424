from django.contrib import admin

from contacts.models import Contact


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["full_name", "phone", "kind", "agent"]
    list_filter = ["kind"]
    search_fields = ["first_name", "last_name", "phone"]
    raw_id_fields = ["agent"]
