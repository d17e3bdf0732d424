from django import forms
from django.contrib import admin

from contacts.models import Contact
from contacts.phones import InvalidPhoneNumber, parse_contact_phone


class ContactAdminForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = [
            "agent",
            "first_name",
            "last_name",
            "phone",
            "email",
            "kind",
            "invalid_phone_reason",
        ]

    def clean_phone(self):
        """Store E.164 whatever was typed: consent is keyed on that form, so a
        number saved any other way would miss the contact's STOP (FC-15)."""
        try:
            return parse_contact_phone(self.cleaned_data["phone"]).e164
        except InvalidPhoneNumber as error:
            raise forms.ValidationError(str(error)) from None


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    form = ContactAdminForm
    list_display = ["full_name", "phone", "kind", "agent"]
    list_filter = ["kind"]
    search_fields = ["first_name", "last_name", "phone"]
    raw_id_fields = ["agent"]
