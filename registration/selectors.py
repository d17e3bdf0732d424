"""Reads for the registration and BAY Number screens, each scoped to one
brokerage, and the one read the consent gate makes."""

from django.shortcuts import get_object_or_404

from brokerages.models import Agent, Brokerage
from messaging.models import BayNumber
from optin import texts
from registration.models import Brand, Campaign, RegistrationAlert, RegistrationStatus


def registration_status(brokerage_id: int) -> str:
    """The brokerage's overall registration status ("draft" when nothing is
    filled in); one query."""
    statuses = (
        Brokerage.objects.filter(pk=brokerage_id)
        .values_list("brand__status", "campaign__status")
        .first()
    )
    brand, campaign = statuses or (None, None)
    return combined_status(brand or RegistrationStatus.DRAFT, campaign or RegistrationStatus.DRAFT)


def brand_for(brokerage) -> Brand:
    """The brokerage's brand, or an unsaved draft with nothing filled in."""
    return Brand.objects.filter(brokerage=brokerage).first() or Brand(brokerage=brokerage)


def campaign_for(brokerage) -> Campaign:
    """The brokerage's campaign, or an unsaved draft with suggested texts."""
    return Campaign.objects.filter(brokerage=brokerage).first() or suggested_campaign(brokerage)


def suggested_campaign(brokerage) -> Campaign:
    """A draft campaign whose keywords and messages match what this product
    sends and understands, so that what is registered is what is sent."""
    return Campaign(
        brokerage=brokerage,
        opt_in_keywords="YES, START, UNSTOP",
        opt_in_message=texts.optin_confirmation(agent=None, brokerage=brokerage),
        opt_out_keywords="STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT, REVOKE, OPTOUT, NO",
        opt_out_message=texts.optout_confirmation(agent=None, brokerage=brokerage),
        help_keywords="HELP, INFO",
        help_message=texts.help_reply(agent=None, brokerage=brokerage),
    )


def combined_status(brand_status: str, campaign_status: str) -> str:
    """One status for the whole registration, as the admin sees it."""
    statuses = {brand_status, campaign_status}
    if campaign_status == RegistrationStatus.APPROVED:
        return RegistrationStatus.APPROVED
    if RegistrationStatus.FAILED in statuses:
        return RegistrationStatus.FAILED
    if statuses & {RegistrationStatus.IN_REVIEW, RegistrationStatus.APPROVED}:
        return RegistrationStatus.IN_REVIEW
    if RegistrationStatus.SUBMITTED in statuses:
        return RegistrationStatus.SUBMITTED
    return RegistrationStatus.DRAFT


def overall_status(brand: Brand, campaign: Campaign) -> str:
    """One status for the whole registration, as the admin sees it."""
    return combined_status(brand.status, campaign.status)


def open_alerts(brokerage):
    """The alerts the brokerage's admins have not dismissed, newest first."""
    return RegistrationAlert.objects.filter(
        brokerage=brokerage, dismissed_at__isnull=True
    ).select_related("bay_number")


def brokerage_bay_numbers(brokerage):
    """Every BAY Number of the brokerage, in use ones first."""
    return (
        BayNumber.objects.filter(brokerage=brokerage)
        .select_related("agent")
        .order_by("released_at", "phone_number")
    )


def brokerage_bay_number(brokerage, bay_number_id: int) -> BayNumber:
    """One of the brokerage's BAY Numbers, or 404: other brokerages' do not exist."""
    return get_object_or_404(BayNumber, pk=bay_number_id, brokerage=brokerage)


def brokerage_people(brokerage):
    """Everyone of the brokerage a BAY Number can be assigned to."""
    return Agent.objects.filter(brokerage=brokerage, is_active=True)
