"""Forms of the admin screens. Drafts save whatever was typed, so the forms
only shape the input; `registration.checks` judges it before submission.
Each field says in plain words what it is for."""

from django import forms

from contacts.phones import InvalidPhoneNumber, normalize_phone
from registration.models import Brand, Campaign
from registration.selectors import brokerage_people

SAMPLE_FIELDS = [f"sample_{n}" for n in range(1, 6)]

BRAND_HELP = {
    "legal_name": "Your business's legal name exactly as on the IRS letter that gave you "
    "your EIN (CP 575), including LLC or Inc. A different spelling is the most common "
    "reason brands are rejected.",
    "ein": "Your Employer Identification Number, written as 12-3456789.",
    "business_type": "How the business is organized, as on its formation papers.",
    "company_type": "Private for most brokerages; publicly traded companies also give "
    "their stock exchange and ticker below.",
    "industry": "What the business does. Brokerages choose Real estate.",
    "regions": "Where your contacts live.",
    "street": "The business's registered street address, as on the IRS letter.",
    "street_secondary": "Suite, unit or floor, if any.",
    "city": "The city of the registered address.",
    "state": "Two-letter state code, e.g. CA.",
    "postal_code": "Five-digit ZIP code.",
    "website": "Your public website, starting with https://. Reviewers visit it to confirm "
    "the business is real and matches the name above.",
    "rep_first_name": "The person who can speak for the business, usually an owner or "
    "officer. Carriers may contact them to confirm the registration.",
    "rep_last_name": "Their last name, as they would give it to a carrier who calls.",
    "rep_title": "Their title at the business, e.g. Managing Broker.",
    "rep_job_position": "The closest of Twilio's job positions.",
    "rep_email": "An address at your business's domain works best; Twilio may send a "
    "verification e-mail to it.",
    "rep_phone": "A phone number where they can be reached.",
    "stock_exchange": "Only for publicly traded companies.",
    "stock_ticker": "Only for publicly traded companies, e.g. ABCD.",
}

CAMPAIGN_HELP = {
    "use_case": "What your agents text about. Mixed fits most brokerages: conversations "
    "with clients, listing updates and appointment reminders.",
    "description": "In 40 to 4,096 characters, what the texts are about and who gets them. "
    "For example: agents of Bayview Realty text clients and leads who opted in about "
    "listings, showings and their transactions.",
    "message_flow": "In 40 to 2,048 characters, how people agree to get texts: where they "
    "opt in, what they are told, and how they confirm. Reviewers reject a campaign "
    "when this is missing or vague.",
    "has_embedded_links": "Tick if texts may contain web links (listing pages, for example).",
    "has_embedded_phone": "Tick if texts may contain phone numbers.",
    "opt_in_keywords": "Words a contact texts to opt in, separated by commas. Must include "
    "YES: the opt-in request asks for it.",
    "opt_in_message": "The confirmation sent when someone opts in. It must name the "
    'business and include the message frequency, "Msg & data rates may apply", HELP '
    "and STOP.",
    "opt_out_keywords": "Words that stop all texts, separated by commas. Must include STOP.",
    "opt_out_message": "The one reply sent after an opt-out. It names the business and "
    "says no more texts will come.",
    "help_keywords": "Words that get the help reply, separated by commas. Must include HELP.",
    "help_message": "The reply to HELP: who you are and how to reach you.",
    "privacy_policy_url": "Your privacy policy page, starting with https://. It should say "
    "that phone numbers are not shared with third parties for marketing.",
    "terms_url": "Your texting terms page, starting with https://.",
}
SAMPLE_HELP = (
    "Examples of real texts, 20 to 1,024 characters each; give at least two. Each must "
    "name the business, as your agents' texts do."
)


def _optional(form, help_texts: dict) -> None:
    for name, field in form.fields.items():
        field.required = False
        if name in help_texts:
            field.help_text = help_texts[name]


class BrandForm(forms.ModelForm):
    class Meta:
        model = Brand
        fields = list(BRAND_HELP)
        widgets = {"website": forms.URLInput(attrs={"placeholder": "https://"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _optional(self, BRAND_HELP)

    def clean_ein(self):
        return self.cleaned_data["ein"].strip()

    def clean_rep_phone(self):
        """Store the phone in E.164 when it parses; keep it as typed otherwise
        (the checks say what is wrong with it)."""
        raw = self.cleaned_data["rep_phone"].strip()
        try:
            return normalize_phone(raw) if raw else ""
        except InvalidPhoneNumber:
            return raw


class CampaignForm(forms.ModelForm):
    sample_1 = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Sample 1")
    sample_2 = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Sample 2")
    sample_3 = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Sample 3")
    sample_4 = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Sample 4")
    sample_5 = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Sample 5")

    class Meta:
        model = Campaign
        fields = list(CAMPAIGN_HELP)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "message_flow": forms.Textarea(attrs={"rows": 4}),
            "opt_in_message": forms.Textarea(attrs={"rows": 2}),
            "opt_out_message": forms.Textarea(attrs={"rows": 2}),
            "help_message": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _optional(self, CAMPAIGN_HELP)
        samples = list(self.instance.message_samples or [])
        for index, name in enumerate(SAMPLE_FIELDS):
            self.fields[name].initial = samples[index] if index < len(samples) else ""
        self.fields["sample_1"].help_text = SAMPLE_HELP

    def draft_fields(self) -> dict:
        """The cleaned values as the Campaign stores them (samples as a list)."""
        data = {name: self.cleaned_data[name] for name in self._meta.fields}
        data["message_samples"] = [
            self.cleaned_data[name].strip()
            for name in SAMPLE_FIELDS
            if self.cleaned_data[name].strip()
        ]
        return data


class AreaCodeForm(forms.Form):
    area_code = forms.IntegerField(
        min_value=200,
        max_value=999,
        label="Area code",
        help_text="Three digits, e.g. 415. Agents' contacts are likelier to answer a local number.",
    )


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.get_role_display()})"


class BuyNumberForm(forms.Form):
    phone_number = forms.CharField(widget=forms.HiddenInput)
    agent = PersonChoiceField(queryset=None, required=False, empty_label="Nobody yet")

    def __init__(self, *args, brokerage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = brokerage_people(brokerage)


class AssignNumberForm(forms.Form):
    agent = PersonChoiceField(
        queryset=None, required=False, empty_label="Nobody (unassigned)", label="Assign to"
    )

    def __init__(self, *args, brokerage, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["agent"].queryset = brokerage_people(brokerage)
