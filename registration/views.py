"""The brokerage admin's registration screens: the status page, the brand
and campaign forms, submitting, and alerts."""

from django.conf import settings
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from optin import texts
from registration import checks, selectors, services
from registration.forms import SAMPLE_FIELDS, BrandForm, CampaignForm
from registration.models import RegistrationStatus, RegistrationStep
from registration.permissions import BrokerageAdminRequiredMixin


def _by_field(problems: list[checks.Problem]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for problem in problems:
        grouped.setdefault(problem.field, []).append(problem.message)
    return grouped


class RegistrationStatusView(BrokerageAdminRequiredMixin, TemplateView):
    template_name = "registration/status.html"

    def get_context_data(self, **kwargs):
        brand = selectors.brand_for(self.brokerage)
        campaign = selectors.campaign_for(self.brokerage)
        problems = checks.check_registration(brand, campaign)
        overall = selectors.overall_status(brand, campaign)
        return super().get_context_data(
            brand=brand,
            campaign=campaign,
            overall=overall,
            overall_label=RegistrationStatus(overall).label,
            problems=problems,
            alerts=selectors.open_alerts(self.brokerage),
            steps=RegistrationStep.objects.filter(brokerage=self.brokerage).order_by("-id")[:40],
            hold_enabled=settings.REGISTRATION_REQUIRED_TO_SEND,
            optin_request=texts.optin_request(agent=None, brokerage=self.brokerage),
            **kwargs,
        )


class DraftFormView(BrokerageAdminRequiredMixin, TemplateView):
    """A brand or campaign form: "Save draft" keeps whatever was typed;
    "Save and check" also lists, next to each field, what must change.

    `sections` lists (title, field names, extra problem keys) in page order.
    """

    form_class = None
    what = ""
    sections: list[tuple[str, list[str], list[str]]] = []

    def current(self):
        raise NotImplementedError

    def problems(self, obj) -> list[checks.Problem]:
        raise NotImplementedError

    def save(self, form):
        raise NotImplementedError

    def get_context_data(self, form=None, **kwargs):
        obj = self.current()
        show_checks = "check" in self.request.GET
        problems = self.problems(obj) if show_checks else []
        form = form or self.form_class(instance=obj)
        if obj.pk and not obj.is_editable:
            for field in form.fields.values():
                field.disabled = True
        by_field = _by_field(problems)
        sections = [
            {
                "title": title,
                "fields": [(form[name], by_field.get(name, [])) for name in names],
                "problems": [message for key in extra for message in by_field.get(key, [])],
            }
            for title, names, extra in self.sections
        ]
        return super().get_context_data(
            form=form,
            obj=obj,
            sections=sections,
            show_checks=show_checks,
            problem_count=len(problems),
            **kwargs,
        )

    def post(self, request):
        form = self.form_class(request.POST, instance=self.current())
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            self.save(form)
        except services.RegistrationRefused as refusal:
            messages.error(request, str(refusal))
            return redirect("registration:status")
        messages.success(request, f"The {self.what} draft is saved.")
        url = reverse(f"registration:{self.what}")
        return redirect(url + "?check=1" if "check" in request.POST else url)


class BrandView(DraftFormView):
    template_name = "registration/brand_form.html"
    form_class = BrandForm
    what = "brand"
    sections = [
        (
            "The business",
            ["legal_name", "ein", "business_type", "company_type", "industry", "regions"],
            [],
        ),
        ("Registered address", ["street", "street_secondary", "city", "state", "postal_code"], []),
        ("Website", ["website"], []),
        (
            "Authorized representative",
            [
                "rep_first_name",
                "rep_last_name",
                "rep_title",
                "rep_job_position",
                "rep_email",
                "rep_phone",
            ],
            [],
        ),
        ("Publicly traded companies only", ["stock_exchange", "stock_ticker"], []),
    ]

    def current(self):
        return selectors.brand_for(self.brokerage)

    def problems(self, obj):
        return checks.check_brand(obj)

    def save(self, form):
        services.brand_save_draft(admin=self.request.user, fields=form.cleaned_data)


class CampaignView(DraftFormView):
    template_name = "registration/campaign_form.html"
    form_class = CampaignForm
    what = "campaign"
    sections = [
        (
            "What your agents text about",
            ["use_case", "description", "has_embedded_links", "has_embedded_phone"],
            [],
        ),
        ("How contacts opt in", ["message_flow", "opt_in_keywords", "opt_in_message"], []),
        ("Sample messages", SAMPLE_FIELDS, ["message_samples"]),
        (
            "Opting out and getting help",
            ["opt_out_keywords", "opt_out_message", "help_keywords", "help_message"],
            [],
        ),
        ("Your policies", ["privacy_policy_url", "terms_url"], []),
    ]

    def current(self):
        return selectors.campaign_for(self.brokerage)

    def problems(self, obj):
        return checks.check_campaign(obj, selectors.brand_for(self.brokerage).names)

    def save(self, form):
        services.campaign_save_draft(admin=self.request.user, fields=form.draft_fields())


class SubmitRegistrationView(BrokerageAdminRequiredMixin, View):
    def post(self, request):
        try:
            services.registration_submit(admin=request.user)
        except services.RegistrationRefused as refusal:
            messages.error(request, str(refusal))
            for problem in refusal.problems:
                messages.error(request, problem.message)
        else:
            messages.success(
                request,
                "Submitted. Twilio and the carriers review it, which takes from a few hours "
                "to several days; this page shows each change.",
            )
        return redirect("registration:status")


class DismissAlertView(BrokerageAdminRequiredMixin, View):
    def post(self, request, alert_id):
        services.alert_dismiss(admin=request.user, alert_id=alert_id)
        return redirect("registration:status")
