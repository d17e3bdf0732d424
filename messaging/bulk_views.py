"""The bulk send screens: write one text for many contacts, then watch it go.

Thin views over `messaging.bulk`: the form validates, the service decides
and queues, the detail page shows what was skipped and why, and polls the
progress endpoint while the texts go out.
"""

import uuid

from django import forms
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.views import View
from django.views.generic import TemplateView

from contacts.selectors import contact_list
from messaging import bulk
from messaging.merge_fields import MERGE_FIELDS
from messaging.models import BulkSend
from messaging.selectors import agent_bay_numbers
from messaging.services import MAX_BODY_LENGTH

RESULTS_SHOWN = 1000
PICKER_SIZE = 200


# The largest id a database integer column holds.
_LARGEST_ID = 2**63 - 1


class ContactsField(forms.ModelMultipleChoiceField):
    """The agent's contacts by id; an id no database could hold is refused
    as any unknown one is (SQLite raised OverflowError on it)."""

    def _check_values(self, value):
        for pk in value:
            if not str(pk).isdecimal() or int(pk) > _LARGEST_ID:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class BulkSendForm(forms.Form):
    bay_number = forms.ModelChoiceField(queryset=None, label="From", empty_label=None)
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": MAX_BODY_LENGTH}),
        help_text="Merge fields: " + ", ".join(f"{{{name}}}" for name in MERGE_FIELDS) + ".",
    )
    # The site's stylesheet makes inputs full width; checkboxes keep theirs.
    all_contacts = forms.BooleanField(
        label="All my contacts",
        required=False,
        widget=forms.CheckboxInput(attrs={"style": "width:auto"}),
    )
    contacts = ContactsField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"style": "width:auto"}),
    )
    # Made when the form is first shown: a double click sends once.
    submission = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, agent, **kwargs):
        super().__init__(*args, **kwargs)
        self.agent = agent
        self.fields["bay_number"].queryset = agent_bay_numbers(agent)
        self.fields["contacts"].queryset = agent.contacts.all()

    def clean_body(self):
        return bulk.validate_template(self.cleaned_data["body"])

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("all_contacts") and not cleaned.get("contacts"):
            raise ValidationError("Choose at least one contact, or all of them.")
        if not cleaned.get("submission") and "submission" not in self.errors:
            # A page shown before forms carried one: without it a second
            # post could not be told from the first. It is shown again with
            # one (BulkSendCreateView.get_context_data).
            raise ValidationError("This page had expired: check it, then press Send again.")
        return cleaned

    def recipients(self):
        """The chosen contacts, as a queryset of the agent's own."""
        if self.cleaned_data["all_contacts"]:
            return self.agent.contacts.all()
        return self.cleaned_data["contacts"]


def _ticked(data) -> set[str]:
    """The contact ids ticked in a posted form, as the form sent them."""
    return {value for value in data.getlist("contacts") if value.isdecimal()}


class BulkSendCreateView(LoginRequiredMixin, TemplateView):
    """The bulk send form. An agent may have thousands of contacts, so the
    list to pick from shows at most PICKER_SIZE of them, narrowed by a search
    that keeps the message and the contacts already ticked; "All my contacts"
    takes every one."""

    template_name = "messaging/bulk_new.html"

    def get_context_data(self, *, query: str = "", chosen=frozenset(), **kwargs):
        agent = self.request.user
        form = kwargs.pop("form", None) or BulkSendForm(
            agent=agent, initial={"submission": uuid.uuid4()}
        )
        if form.is_bound:
            chosen = _ticked(form.data)
            if not form.data.get("submission"):
                form.data = form.data.copy()
                form.data["submission"] = str(uuid.uuid4())
        shown = list(contact_list(agent=agent, query=query)[: PICKER_SIZE + 1])
        listed = {str(contact.pk) for contact in shown[:PICKER_SIZE]}
        return super().get_context_data(
            form=form,
            query=query,
            picker=[(contact, str(contact.pk) in chosen) for contact in shown[:PICKER_SIZE]],
            picker_more=len(shown) > PICKER_SIZE,
            picker_size=PICKER_SIZE,
            # Ticked in an earlier search: kept, though not listed now.
            chosen_elsewhere=sorted(chosen - listed, key=int),
            chosen_count=len(chosen),
            contact_count=agent.contacts.count(),
            **kwargs,
        )

    def get(self, request, *args, **kwargs):
        context = self.get_context_data(query=request.GET.get("q", "").strip())
        return self.render_to_response(context)

    def post(self, request):
        query = request.POST.get("q", "").strip()
        if request.POST.get("find"):
            # A search: the form again with what was typed and ticked, unchecked.
            typed = {name: request.POST.get(name) for name in ("bay_number", "body", "submission")}
            typed["all_contacts"] = bool(request.POST.get("all_contacts"))
            form = BulkSendForm(agent=request.user, initial=typed)
            chosen = _ticked(request.POST)
            return self.render_to_response(
                self.get_context_data(form=form, query=query, chosen=chosen)
            )
        form = BulkSendForm(request.POST, agent=request.user)
        if not form.is_valid():
            context = self.get_context_data(form=form, query=query)
            return self.render_to_response(context, status=400)
        try:
            sent = bulk.bulk_send(
                agent=request.user,
                bay_number=form.cleaned_data["bay_number"],
                body=form.cleaned_data["body"],
                contacts=form.recipients(),
                submission=form.cleaned_data["submission"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, " ".join(getattr(error, "messages", [str(error)])))
            context = self.get_context_data(form=form, query=query)
            return self.render_to_response(context, status=400)
        return redirect("messaging:bulk_detail", bulk_id=sent.pk)


def _agent_bulk(request, bulk_id: int) -> BulkSend:
    """The agent's own bulk send, or 404: another agent's does not exist."""
    return get_object_or_404(
        BulkSend.objects.select_related("bay_number"), pk=bulk_id, agent=request.user
    )


class BulkSendDetailView(LoginRequiredMixin, TemplateView):
    template_name = "messaging/bulk_detail.html"

    def get_context_data(self, **kwargs):
        sent = _agent_bulk(self.request, kwargs["bulk_id"])
        results = sent.messages.select_related("contact").order_by("id")[:RESULTS_SHOWN]
        return super().get_context_data(
            bulk=sent,
            progress=bulk.bulk_progress(sent),
            skipped_summary=bulk.skipped_summary(sent),
            results=results,
            results_shown=RESULTS_SHOWN,
            **kwargs,
        )


class BulkSendProgressView(LoginRequiredMixin, View):
    """JSON the detail page polls for its progress bar."""

    def get(self, request, bulk_id):
        return JsonResponse(bulk.bulk_progress(_agent_bulk(request, bulk_id)))
