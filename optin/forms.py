import datetime

from django import forms
from django.db.models import Q
from django.utils import timezone

from optin.selectors import visible_bay_numbers
from optin.services import OPTOUT_CHANNELS


class ReviewDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("opt_out", "It's an opt-out"), ("not_opt_out", "Not an opt-out")]
    )
    note = forms.CharField(required=False, max_length=1000)

    @property
    def opt_out(self) -> bool:
        return self.cleaned_data["decision"] == "opt_out"


def relevant_bay_numbers(user, contact):
    """The BAY Numbers a viewer may act on for a contact: the contact's
    agent's numbers in use, and any that ever had consent for the phone."""
    return (
        visible_bay_numbers(user)
        .filter(
            Q(agent_id=contact.agent_id, released_at__isnull=True)
            | Q(consents__phone=contact.phone)
        )
        .distinct()
        .order_by("phone_number")
    )


class RecordOptOutForm(forms.Form):
    bay_number = forms.ModelChoiceField(queryset=None, label="BAY Number", empty_label=None)
    channel = forms.ChoiceField(choices=list(OPTOUT_CHANNELS.items()), label="How they told you")
    note = forms.CharField(
        label="Note",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="When and in what words the contact asked, for the record.",
    )

    def __init__(self, *args, user, contact, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bay_number"].queryset = relevant_bay_numbers(user, contact)


class DoNotTextForm(forms.Form):
    phone = forms.CharField(label="Phone number", max_length=40)
    note = forms.CharField(label="Note", required=False, max_length=300)


class DoNotTextNoteForm(forms.Form):
    note = forms.CharField(label="Note", required=False, max_length=300)


class LedgerExportForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (included)", widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            raise forms.ValidationError("The start date must come before the end date.")
        return cleaned

    @classmethod
    def last_month(cls) -> dict:
        today = timezone.localdate()
        return {"start": today - datetime.timedelta(days=30), "end": today}
