"""The brokerage admin's BAY Number screens: the list, searching and
buying, assigning to agents, releasing."""

from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from registration import numbers, selectors
from registration.forms import AreaCodeForm, AssignNumberForm, BuyNumberForm
from registration.permissions import BrokerageAdminRequiredMixin
from registration.twilio_api import TwilioApiError


class NumberListView(BrokerageAdminRequiredMixin, TemplateView):
    template_name = "registration/numbers.html"

    def get_context_data(self, **kwargs):
        rows = [
            (
                number,
                AssignNumberForm(
                    brokerage=self.brokerage,
                    initial={"agent": number.agent_id},
                    auto_id=f"number{number.pk}_%s",
                ),
            )
            for number in selectors.brokerage_bay_numbers(self.brokerage)
        ]
        return super().get_context_data(
            rows=rows,
            search_form=AreaCodeForm(),
            alerts=selectors.open_alerts(self.brokerage),
            **kwargs,
        )


class NumberSearchView(BrokerageAdminRequiredMixin, TemplateView):
    template_name = "registration/number_search.html"

    def get_context_data(self, **kwargs):
        form = AreaCodeForm(self.request.GET or None)
        found, error = [], ""
        if form.is_valid():
            try:
                found = numbers.available_numbers(area_code=form.cleaned_data["area_code"])
            except TwilioApiError as failure:
                error = failure.reason
        return super().get_context_data(
            form=form,
            found=found,
            error=error,
            buy_form=BuyNumberForm(brokerage=self.brokerage),
            **kwargs,
        )


class NumberBuyView(BrokerageAdminRequiredMixin, View):
    def post(self, request):
        form = BuyNumberForm(request.POST, brokerage=self.brokerage)
        if not form.is_valid():
            messages.error(request, "Choose a number from the search results and an agent.")
            return redirect("registration:number_search")
        try:
            purchase = numbers.bay_number_buy(
                admin=request.user,
                phone_number=form.cleaned_data["phone_number"],
                agent=form.cleaned_data["agent"],
            )
        except (numbers.NumberRefused, TwilioApiError) as error:
            messages.error(request, f"Not bought. {getattr(error, 'reason', error)}")
            return redirect("registration:number_search")
        messages.success(request, f"Bought {purchase.bay_number.display}.")
        if purchase.warning:
            messages.warning(request, purchase.warning)
        return redirect("registration:numbers")


class NumberAssignView(BrokerageAdminRequiredMixin, View):
    def post(self, request, bay_number_id):
        bay_number = selectors.brokerage_bay_number(self.brokerage, bay_number_id)
        form = AssignNumberForm(request.POST, brokerage=self.brokerage)
        if not form.is_valid():
            messages.error(request, "Choose someone from your brokerage.")
            return redirect("registration:numbers")
        try:
            numbers.bay_number_assign(
                admin=request.user, bay_number=bay_number, agent=form.cleaned_data["agent"]
            )
        except numbers.NumberRefused as refusal:
            messages.error(request, str(refusal))
        else:
            agent = form.cleaned_data["agent"]
            who = agent.display_name if agent else "nobody"
            messages.success(request, f"{bay_number.display} is now assigned to {who}.")
        return redirect("registration:numbers")


class NumberReleaseView(BrokerageAdminRequiredMixin, TemplateView):
    """GET asks for confirmation; POST releases the number at Twilio."""

    template_name = "registration/number_release.html"

    def get_context_data(self, **kwargs):
        bay_number = selectors.brokerage_bay_number(self.brokerage, self.kwargs["bay_number_id"])
        return super().get_context_data(bay_number=bay_number, **kwargs)

    def post(self, request, bay_number_id):
        bay_number = selectors.brokerage_bay_number(self.brokerage, bay_number_id)
        try:
            numbers.bay_number_release(admin=request.user, bay_number=bay_number)
        except (numbers.NumberRefused, TwilioApiError) as error:
            messages.error(request, f"Not released. {getattr(error, 'reason', error)}")
            return redirect(reverse("registration:numbers"))
        messages.success(request, f"Released {bay_number.display}.")
        return redirect("registration:numbers")
