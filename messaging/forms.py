from django import forms

from messaging.selectors import agent_bay_numbers
from messaging.services import MAX_BODY_LENGTH, validate_body


class SendMessageForm(forms.Form):
    bay_number = forms.ModelChoiceField(queryset=None, label="From", empty_label=None)
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MAX_BODY_LENGTH}),
        max_length=MAX_BODY_LENGTH,
        error_messages={
            "max_length": f"A text can be at most {MAX_BODY_LENGTH:,} characters "
            "(this one has %(show_value)d)."
        },
    )

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bay_number"].queryset = agent_bay_numbers(agent)

    def clean_body(self):
        return validate_body(self.cleaned_data["body"])


class BayNumberChoiceForm(forms.Form):
    bay_number = forms.ModelChoiceField(queryset=None, empty_label=None)

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bay_number"].queryset = agent_bay_numbers(agent)


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
