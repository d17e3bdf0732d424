"""Forms of the contacts screens. They check input; the services write."""

from django import forms

from contacts.importer import MAX_BYTES
from contacts.models import Contact
from contacts.phones import InvalidPhoneNumber, parse_contact_phone
from messaging.selectors import BADGE_CHOICES, agent_bay_numbers


class TelInput(forms.TextInput):
    input_type = "tel"


class ContactForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100, required=False)
    phone = forms.CharField(
        label="Mobile phone",
        max_length=40,
        help_text="Any format, e.g. (202) 555-0142. Numbers outside the US start with +.",
        widget=TelInput(attrs={"autocomplete": "tel"}),
    )
    email = forms.EmailField(label="E-mail", required=False)
    kind = forms.ChoiceField(choices=Contact.Kind.choices, initial=Contact.Kind.CONTACT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.dropped_extension = ""

    def clean_phone(self):
        try:
            parsed = parse_contact_phone(self.cleaned_data["phone"])
        except InvalidPhoneNumber as error:
            raise forms.ValidationError(str(error)) from None
        self.dropped_extension = parsed.extension
        return parsed.e164

    @classmethod
    def initial_for(cls, contact: Contact) -> dict:
        return {
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phone": contact.phone_display,
            "email": contact.email,
            "kind": contact.kind,
        }


class ContactFilterForm(forms.Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    consent = forms.ChoiceField(
        label="Consent", required=False, choices=[("", "Any consent")] + BADGE_CHOICES
    )
    bay_number = forms.ModelChoiceField(
        label="For BAY Number", queryset=None, required=False, empty_label=None
    )

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bay_number"].queryset = agent_bay_numbers(agent)

    def filters(self, bay_numbers) -> dict:
        """The search and consent filter to apply, empty when the input is invalid."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "query": data.get("q", ""),
            "consent": data.get("consent", ""),
            "bay_number": data.get("bay_number") or (bay_numbers[0] if bay_numbers else None),
        }


class ContactImportForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        help_text="A header row, then one contact a row: first name, last name, phone, "
        "e-mail (optional).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                f"The file is over {MAX_BYTES // (1024 * 1024)} MB; split it."
            )
        return upload
