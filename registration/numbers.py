"""BAY Numbers, as brokerage admins run them: find, buy, assign, release.

Consent belongs to the BAY Number and the phone it texts, so a number that
changes hands keeps every consent record and its ledger: the new agent may
text exactly whom the number may text.
"""

import dataclasses
import logging

import phonenumbers
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from contacts.phones import InvalidPhoneNumber, parse_phone
from messaging.models import BayNumber
from registration import webhook_urls
from registration.models import Campaign
from registration.twilio_api import AvailableNumber, TwilioApi, TwilioApiError

logger = logging.getLogger(__name__)

SEARCH_LIMIT = 20


class NumberRefused(Exception):
    """The number cannot be bought, assigned or released; says why."""


@dataclasses.dataclass(frozen=True)
class Purchase:
    bay_number: BayNumber
    warning: str = ""


def available_numbers(*, area_code: int, api: TwilioApi | None = None) -> list[AvailableNumber]:
    """US local numbers able to text, in the area code. Raises TwilioApiError."""
    api = api or TwilioApi.from_settings()
    return api.available_numbers(area_code=area_code, limit=SEARCH_LIMIT)


# A BAY Number is a 10-digit US number, the kind A2P 10DLC registers.
_LOCAL_TYPES = {
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.MOBILE,
}


def _local_us_number(phone_number: str) -> str:
    """The E.164 form of a US local number, or NumberRefused saying why not."""
    try:
        parsed = parse_phone(phone_number)
    except InvalidPhoneNumber as error:
        raise NumberRefused(str(error)) from None
    if parsed.region != "US" or parsed.number_type not in _LOCAL_TYPES:
        raise NumberRefused(
            f"{parsed.e164} is not a US local number; BAY Numbers are 10-digit US numbers "
            "registered for A2P 10DLC."
        )
    return parsed.e164


def _check_agent(admin, agent) -> None:
    if agent is not None and agent.brokerage_id != admin.brokerage_id:
        raise NumberRefused("That person is not in your brokerage.")


def _reusable_row(admin, phone: str) -> BayNumber | None:
    """A released number of the same brokerage bought again keeps its row,
    and so its consent records; any other existing row refuses the purchase."""
    existing = BayNumber.objects.filter(phone_number=phone).first()
    if existing is None:
        return None
    if existing.released_at is None or existing.brokerage_id != admin.brokerage_id:
        raise NumberRefused(f"{existing.display} is already a BAY Number.")
    return existing


def bay_number_buy(*, admin, phone_number: str, agent=None, api: TwilioApi | None = None):
    """Buy a number for the admin's brokerage and give it to `agent`.

    Twilio sends the number's inbound texts and statuses to this product's
    webhooks; the number joins the brokerage's Messaging Service when there
    is one. Raises NumberRefused or TwilioApiError; returns a Purchase.
    """
    phone = _local_us_number(phone_number)
    _check_agent(admin, agent)
    if Contact.objects.filter(agent__brokerage_id=admin.brokerage_id, phone=phone).exists():
        raise NumberRefused("That number is one of your brokerage's contacts.")
    row = _reusable_row(admin, phone)
    api = api or TwilioApi.from_settings()
    brokerage = admin.brokerage

    bought = api.number_buy(
        phone_number=phone,
        friendly_name=f"{brokerage.name} BAY Number",
        sms_url=webhook_urls.inbound_sms_url(),
        status_callback=webhook_urls.status_callback_url(),
    )
    with transaction.atomic():
        row = row or BayNumber(brokerage=brokerage, phone_number=phone)
        row.agent, row.twilio_sid, row.released_at = agent, bought.sid, None
        row.friendly_name = f"{agent.display_name}'s BAY"[:64] if agent else ""
        row.save()
    logger.info("Admin %s bought BAY Number %s (%s)", admin.pk, row.pk, bought.sid)
    return Purchase(row, _join_service(api, row))


def _join_service(api: TwilioApi, bay_number: BayNumber) -> str:
    """Add the number to the brokerage's Messaging Service; return a warning
    if that fails (the next registration submission adds it)."""
    service = (
        Campaign.objects.filter(brokerage_id=bay_number.brokerage_id)
        .values_list("messaging_service_sid", flat=True)
        .first()
    )
    if not service:
        return ""
    try:
        api.service_number_add(service, bay_number.twilio_sid)
    except TwilioApiError as error:
        logger.warning("BAY Number %s not added to service %s", bay_number.pk, service)
        return f"The number was bought but not added to the Messaging Service: {error.reason}"
    BayNumber.objects.filter(pk=bay_number.pk).update(messaging_service_sid=service)
    bay_number.messaging_service_sid = service
    return ""


@transaction.atomic
def bay_number_assign(*, admin, bay_number: BayNumber, agent) -> BayNumber:
    """Give the number to `agent` (None leaves it unassigned). Its consent
    records stay with the number. Raises NumberRefused."""
    bay_number = BayNumber.objects.select_for_update().get(pk=bay_number.pk)
    if bay_number.brokerage_id != admin.brokerage_id:
        raise NumberRefused("That BAY Number is not your brokerage's.")
    if bay_number.released_at is not None:
        raise NumberRefused("That BAY Number was released; it cannot be assigned.")
    _check_agent(admin, agent)

    previous = bay_number.agent_id
    bay_number.agent = agent
    bay_number.friendly_name = f"{agent.display_name}'s BAY"[:64] if agent else ""
    bay_number.save(update_fields=["agent", "friendly_name", "updated_at"])
    logger.info(
        "Admin %s assigned BAY Number %s to agent %s (was %s)",
        admin.pk,
        bay_number.pk,
        agent.pk if agent else None,
        previous,
    )
    return bay_number


def bay_number_release(*, admin, bay_number: BayNumber, api: TwilioApi | None = None):
    """Release the number at Twilio and stop using it. Its consent records and
    texts are kept. Raises NumberRefused or TwilioApiError."""
    if bay_number.brokerage_id != admin.brokerage_id:
        raise NumberRefused("That BAY Number is not your brokerage's.")
    if bay_number.released_at is not None:
        raise NumberRefused("That BAY Number is already released.")
    if bay_number.twilio_sid:
        (api or TwilioApi.from_settings()).number_release(bay_number.twilio_sid)

    BayNumber.objects.filter(pk=bay_number.pk).update(
        released_at=timezone.now(), messaging_service_sid="", updated_at=timezone.now()
    )
    bay_number.refresh_from_db()
    logger.info(
        "Admin %s released BAY Number %s (%s)",
        admin.pk,
        bay_number.pk,
        bay_number.twilio_sid or "no SID",
    )
    return bay_number
