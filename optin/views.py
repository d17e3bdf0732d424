"""Consent screens: possible opt-outs to review, a contact's consent history,
opt-outs given another way, proof of consent, the do-not-text list and the
ledger export.

Every view needs a login and reads through `optin.selectors`, which scope
rows to the viewer (another agent's or brokerage's row is a 404); the
admin-only views answer 403 to agents. Every form posts with CSRF.
"""

import logging

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import TemplateView

from messaging import selectors as messaging_selectors
from optin import exports, selectors, services
from optin.forms import (
    DoNotTextForm,
    DoNotTextNoteForm,
    LedgerExportForm,
    RecordOptOutForm,
    ReviewDecisionForm,
    relevant_bay_numbers,
)
from optin.gate import check_send

logger = logging.getLogger(__name__)


class BrokerageAdminRequiredMixin(LoginRequiredMixin):
    """Brokerage admins only: anyone else logged in gets 403."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not request.user.is_brokerage_admin:
            raise PermissionDenied("Only a brokerage admin can open this page.")
        return super().dispatch(request, *args, **kwargs)


def _error_text(error: ValidationError) -> str:
    return " ".join(error.messages)


class ReviewListView(LoginRequiredMixin, TemplateView):
    """Possible opt-outs waiting for a decision, and the latest decided."""

    template_name = "optin/reviews.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        return super().get_context_data(
            open_reviews=selectors.open_reviews(user),
            decided_reviews=selectors.recently_decided_reviews(user),
            held_texts=messaging_selectors.held_texts(user),
            **kwargs,
        )


def _form_problems(form) -> list[str]:
    problems = []
    if "decision" in form.errors:
        problems.append("Choose whether the reply is an opt-out.")
    if "note" in form.errors:
        problems.append(
            f"The note is too long: at most 1,000 characters, this one has "
            f"{len(form.data.get('note', '')):,}."
        )
    return problems


class ReviewDecideView(LoginRequiredMixin, View):
    def post(self, request, review_id):
        review = selectors.visible_review(request.user, review_id)
        form = ReviewDecisionForm(request.POST)
        if not form.is_valid():
            # Say what was wrong: no decision chosen, or a note too long.
            messages.error(request, " ".join(_form_problems(form)))
            return redirect(self._next_url())
        try:
            services.optout_review_decide(
                review_id=review.pk,
                actor=request.user,
                opt_out=form.opt_out,
                note=form.cleaned_data["note"],
            )
        except services.ReviewClosed as closed:
            messages.error(request, str(closed))
        else:
            outcome = "recorded as an opt-out" if form.opt_out else "marked not an opt-out"
            messages.success(request, f"The reply was {outcome}.")
        return redirect(self._next_url())

    def _next_url(self) -> str:
        target = self.request.POST.get("next", "")
        if target and url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=False
        ):
            return target
        return reverse("optin:reviews")


class ContactConsentView(LoginRequiredMixin, TemplateView):
    """A contact's consent with each BAY Number: state, opt-in requests, the
    ledger, and links to record an opt-out and to the proof of consent."""

    template_name = "optin/contact_consent.html"

    def get_context_data(self, **kwargs):
        contact = selectors.visible_contact(self.request.user, self.kwargs["contact_id"])
        panels = []
        for bay_number in relevant_bay_numbers(self.request.user, contact):
            consent = bay_number.consents.filter(phone=contact.phone).first()
            panels.append(
                {
                    "bay_number": bay_number,
                    "consent": consent,
                    "decision": check_send(bay_number=bay_number, phone=contact.phone),
                    "consent_events": selectors.consent_history(
                        bay_number=bay_number, phone=contact.phone
                    ),
                    "request_status": selectors.optin_request_status(
                        bay_number=bay_number, phone=contact.phone
                    ),
                    "open_reviews": selectors.open_reviews(self.request.user).filter(
                        bay_number=bay_number, phone=contact.phone
                    ),
                }
            )
        return super().get_context_data(contact=contact, panels=panels, **kwargs)


class RecordOptOutView(LoginRequiredMixin, TemplateView):
    """Record an opt-out the contact gave by phone, e-mail or in person."""

    template_name = "optin/record_optout.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.contact = selectors.visible_contact(request.user, kwargs["contact_id"])
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or RecordOptOutForm(
            user=self.request.user, contact=self.contact
        )
        return super().get_context_data(contact=self.contact, form=form, **kwargs)

    def post(self, request, contact_id):
        form = RecordOptOutForm(request.POST, user=request.user, contact=self.contact)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        # The form offers only BAY Numbers the user may act on and checks
        # what the service checks, so the service refuses nothing here.
        event = services.consent_record_optout(
            bay_number=form.cleaned_data["bay_number"],
            phone=self.contact.phone,
            actor=request.user,
            channel=form.cleaned_data["channel"],
            note=form.cleaned_data["note"],
        )
        if event is None:
            messages.info(request, f"{self.contact.full_name} had already opted out.")
        else:
            messages.success(request, f"Opt-out recorded for {self.contact.full_name}.")
        return redirect("optin:contact_consent", contact_id=self.contact.pk)


class ProofView(LoginRequiredMixin, TemplateView):
    """Proof of consent for one phone and BAY Number: every ledger row and
    every text, both ways, exactly as sent and received."""

    template_name = "optin/proof.html"

    def get_context_data(self, **kwargs):
        consent = selectors.visible_consent(self.request.user, self.kwargs["consent_id"])
        return super().get_context_data(
            consent=consent, entries=selectors.proof_of_consent(consent), **kwargs
        )


def _csv_response(filename: str, lines) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


class ProofCsvView(LoginRequiredMixin, View):
    def get(self, request, consent_id):
        consent = selectors.visible_consent(request.user, consent_id)
        rows = (exports.proof_row(entry) for entry in selectors.proof_of_consent(consent))
        logger.info("User %s downloaded the proof of consent %s", request.user.pk, consent.pk)
        return _csv_response(
            f"proof-of-consent-{consent.pk}.csv", exports.csv_lines(exports.PROOF_HEADER, rows)
        )


class DoNotTextListView(BrokerageAdminRequiredMixin, TemplateView):
    """The brokerage's do-not-text list, and a form to add a phone."""

    template_name = "optin/do_not_text.html"

    def get_context_data(self, **kwargs):
        brokerage_id = self.request.user.brokerage_id
        return super().get_context_data(
            entries=selectors.do_not_text_entries(brokerage_id=brokerage_id),
            removed=selectors.removed_do_not_text_entries(brokerage_id=brokerage_id),
            form=kwargs.pop("form", None) or DoNotTextForm(),
            **kwargs,
        )

    def post(self, request):
        form = DoNotTextForm(request.POST)
        if form.is_valid():
            try:
                services.do_not_text_add(
                    brokerage=request.user.brokerage,
                    phone=form.cleaned_data["phone"],
                    actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_error("phone", _error_text(error))
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        messages.success(request, "Added to the do-not-text list.")
        return redirect("optin:do_not_text")


class DoNotTextEditView(BrokerageAdminRequiredMixin, TemplateView):
    template_name = "optin/do_not_text_edit.html"

    def get_context_data(self, **kwargs):
        entry = selectors.visible_do_not_text_entry(self.request.user, self.kwargs["entry_id"])
        form = kwargs.pop("form", None) or DoNotTextNoteForm(initial={"note": entry.note})
        return super().get_context_data(entry=entry, form=form, **kwargs)

    def post(self, request, entry_id):
        entry = selectors.visible_do_not_text_entry(request.user, entry_id)
        form = DoNotTextNoteForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        services.do_not_text_update(
            entry_id=entry.pk, actor=request.user, note=form.cleaned_data["note"]
        )
        messages.success(request, "Note saved.")
        return redirect("optin:do_not_text")


class DoNotTextRemoveView(BrokerageAdminRequiredMixin, View):
    def post(self, request, entry_id):
        entry = selectors.visible_do_not_text_entry(request.user, entry_id)
        services.do_not_text_remove(entry_id=entry.pk, actor=request.user)
        messages.success(request, "Taken off the do-not-text list.")
        return redirect("optin:do_not_text")


class LedgerExportView(BrokerageAdminRequiredMixin, TemplateView):
    """Choose the dates of the ledger export."""

    template_name = "optin/export.html"

    def get_context_data(self, **kwargs):
        form = kwargs.pop("form", None) or LedgerExportForm(initial=LedgerExportForm.last_month())
        return super().get_context_data(form=form, **kwargs)


class LedgerCsvView(BrokerageAdminRequiredMixin, View):
    """The brokerage's consent ledger for a date range, streamed as CSV."""

    def get(self, request):
        form = LedgerExportForm(request.GET)
        if not form.is_valid():
            view = LedgerExportView(request=request, kwargs={})
            return view.render_to_response(view.get_context_data(form=form), status=400)

        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        events = selectors.ledger_for_export(
            brokerage_id=request.user.brokerage_id, start=start, end=end
        )
        logger.info(
            "User %s exported the ledger of brokerage %s (%s to %s)",
            request.user.pk,
            request.user.brokerage_id,
            start,
            end,
        )
        return _csv_response(
            f"consent-ledger-{start}-to-{end}.csv",
            exports.csv_lines(exports.LEDGER_HEADER, exports.ledger_rows(events)),
        )
