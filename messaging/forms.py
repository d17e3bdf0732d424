"""Forms of the messaging screens. They check input; the services write."""

from django import forms

from messaging.selectors import agent_bay_numbers
from messaging.services import validate_body


def normalize_newlines(text: str) -> str:
    """Browsers send a textarea's line breaks as CRLF; the composer counted LF."""
    return (text or "").replace("\r\n", "\n").replace("\r", "\n")


class SendMessageForm(forms.Form):
    bay_number = forms.ModelChoiceField(queryset=None, label="From", empty_label=None)
    # No max_length here: validate_body gives the one clear error for a long
    # text, and the composer counts what the server counts.
    body = forms.CharField(label="Message", strip=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bay_number"].queryset = agent_bay_numbers(agent)

    def clean_body(self):
        return validate_body(normalize_newlines(self.cleaned_data["body"]))


class MessageTemplateForm(forms.Form):
    name = forms.CharField(max_length=80)
    body = forms.CharField(
        label="Text",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Merge fields are filled in for each contact when you insert the template.",
    )

    def clean_body(self):
        return normalize_newlines(self.cleaned_data["body"])


class DevReplyForm(forms.Form):
    """Reply as one of the agent's own contacts to one of their own BAY
    Numbers; nobody can play another agent's contacts."""

    contact = forms.ModelChoiceField(queryset=None, label="Reply as")
    bay_number = forms.ModelChoiceField(queryset=None, label="To BAY Number", empty_label=None)
    body = forms.CharField(label="Reply", required=False, widget=forms.TextInput)

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = agent.contacts.all()
        self.fields["bay_number"].queryset = agent_bay_numbers(agent)
