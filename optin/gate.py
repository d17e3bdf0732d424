"""The consent gate: the one place that decides whether a text may go out.

Every path that sends (the send view, bulk send, templates, retries) asks
`check_send` or `check_send_many` before queueing, and the worker asks
`delivery_refusal` again under the consent row's lock right before it calls
the SMS backend, so a STOP that lands after a text was queued still wins.

Three things refuse a text: the consent of the phone for that BAY Number,
the brokerage's do-not-text list, which no consent overrides, and the
brokerage's A2P 10DLC registration, without which carriers carry nothing.
"""

import dataclasses
import datetime
import functools

from django.conf import settings
from django.utils import timezone

from contacts.phones import display_phone
from messaging.quiet_hours import recipient_local_time
from optin.models import Consent, ConsentState, DoNotTextEntry
from registration.selectors import registration_status

DO_NOT_TEXT_REASON = (
    "This phone is on your brokerage's do-not-text list, so nobody in the brokerage may "
    "text it. Only a brokerage admin can take it off the list."
)


@dataclasses.dataclass(frozen=True)
class SendDecision:
    """What the gate says about texting one phone from one BAY Number."""

    allowed: bool
    state: ConsentState
    reason: str
    can_request_optin: bool = False
    last_requested_at: datetime.datetime | None = None
    next_request_at: datetime.datetime | None = None
    requests_sent: int = 0
    do_not_text: bool = False


def _cooldown() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.OPTIN_REQUEST_COOLDOWN_HOURS)


def _pending_decision(consent: Consent, now: datetime.datetime) -> SendDecision:
    asked_at = consent.last_optin_request_at
    if asked_at is not None and asked_at > now:
        # Queued for the contact's texting hours; it has not gone out yet.
        their_time = recipient_local_time(consent.phone, asked_at)
        reason = (
            "Your opt-in request to this contact waits for their texting hours and goes out "
            f"{their_time:%a %b %-d at %-I:%M %p} their time."
        )
    else:
        reason = "You asked this contact to opt in"
        if asked_at is not None:
            reason += f" on {timezone.localtime(asked_at):%b %-d at %-I:%M %p %Z}"
        reason += "; no YES yet."

    next_at = None
    if consent.optin_requests_sent >= settings.OPTIN_REQUEST_MAX:
        reason += " They have had the most opt-in requests allowed; only they can opt in now."
    else:
        next_at = asked_at + _cooldown() if asked_at else now
        if next_at > now:
            reason += (
                f" You can ask once more after {timezone.localtime(next_at):%b %-d %-I:%M %p %Z}."
            )
    return SendDecision(
        allowed=False,
        state=ConsentState.PENDING,
        reason=reason,
        can_request_optin=next_at is not None and next_at <= now,
        last_requested_at=asked_at,
        next_request_at=next_at,
        requests_sent=consent.optin_requests_sent,
    )


def _do_not_text_decision(consent: Consent | None, state: ConsentState) -> SendDecision:
    return SendDecision(
        allowed=False,
        state=state,
        reason=DO_NOT_TEXT_REASON,
        last_requested_at=consent.last_optin_request_at if consent else None,
        requests_sent=consent.optin_requests_sent if consent else 0,
        do_not_text=True,
    )


@functools.lru_cache(maxsize=256)
def _display(bay_phone: str) -> str:
    # A bulk send asks about thousands of phones of one BAY Number; format
    # its number once, not once per opted-out phone.
    return display_phone(bay_phone)


def _opted_out_decision(consent: Consent, bay_phone: str) -> SendDecision:
    return SendDecision(
        allowed=False,
        state=ConsentState.OPTED_OUT,
        reason=(
            "This contact opted out of texts from this number. Only they can opt back "
            f"in, by texting START or YES to {_display(bay_phone)}."
        ),
        last_requested_at=consent.last_optin_request_at,
        requests_sent=consent.optin_requests_sent,
    )


def _never_asked_decision(consent: Consent | None) -> SendDecision:
    requests_sent = consent.optin_requests_sent if consent else 0
    if requests_sent >= settings.OPTIN_REQUEST_MAX:
        # Not reachable through the services (a request leaves the phone
        # pending), but the limit holds whatever the row says.
        return SendDecision(
            allowed=False,
            state=ConsentState.NEVER_ASKED,
            reason="This contact has had the most opt-in requests allowed; only they can "
            "opt in now, by texting YES.",
            requests_sent=requests_sent,
        )
    return SendDecision(
        allowed=False,
        state=ConsentState.NEVER_ASKED,
        reason="This contact hasn't agreed to receive texts yet. Send an opt-in request first.",
        can_request_optin=True,
        requests_sent=requests_sent,
    )


def decide(
    consent: Consent | None,
    bay_phone: str,
    now: datetime.datetime,
    *,
    do_not_text: bool,
) -> SendDecision:
    """Return the decision for a consent row (None when there is none yet)
    and whether the phone is on the brokerage's do-not-text list, which
    refuses whatever the consent."""
    state = ConsentState(consent.state) if consent else ConsentState.NEVER_ASKED
    if do_not_text:
        return _do_not_text_decision(consent, state)
    if state == ConsentState.OPTED_IN:
        return SendDecision(allowed=True, state=state, reason="The contact opted in.")
    if state == ConsentState.PENDING:
        return _pending_decision(consent, now)
    if state == ConsentState.OPTED_OUT:
        return _opted_out_decision(consent, bay_phone)
    return _never_asked_decision(consent)


def check_send(*, bay_number, phone: str) -> SendDecision:
    """Decide whether `bay_number` may text `phone`; three queries."""
    return check_send_many(bay_number=bay_number, phones=[phone])[phone]


def check_send_many(*, bay_number, phones) -> dict[str, SendDecision]:
    """Decide for many phones at once, in three queries whatever their number:
    their consents, which of them are on the brokerage's do-not-text list, and
    the brokerage's registration."""
    phones = list(dict.fromkeys(phones))
    consents = {
        consent.phone: consent
        for consent in Consent.objects.filter(bay_number=bay_number, phone__in=phones).only(
            "phone", "state", "last_optin_request_at", "optin_requests_sent"
        )
    }
    blocked = do_not_text_phones(brokerage_id=bay_number.brokerage_id, phones=phones)
    now = timezone.now()
    decisions = {
        phone: decide(
            consents.get(phone), bay_number.phone_number, now, do_not_text=phone in blocked
        )
        for phone in phones
    }
    hold = registration_hold(bay_number)
    if hold:
        decisions = {
            phone: dataclasses.replace(
                decision, allowed=False, reason=hold, can_request_optin=False
            )
            for phone, decision in decisions.items()
        }
    return decisions


_HOLD_STATUS = {
    "draft": "not submitted yet",
    "submitted": "submitted to Twilio",
    "in_review": "in review",
    "failed": "refused and needs corrections",
}


def registration_hold(bay_number) -> str | None:
    """Why nothing may go out from `bay_number` yet, or None; one query.

    US carriers block texts from a business number whose A2P 10DLC campaign
    is not registered (Twilio error 30034), so until the brokerage's campaign
    is approved its BAY Numbers send nothing, unless the sandbox setting
    REGISTRATION_REQUIRED_TO_SEND is off.
    """
    if not settings.REGISTRATION_REQUIRED_TO_SEND:
        return None
    status = registration_status(bay_number.brokerage_id)
    if status == "approved":
        return None
    return (
        "Texts from this BAY Number are on hold: your brokerage's A2P 10DLC registration is "
        f"{_HOLD_STATUS.get(status, status)}. US carriers block texts from business "
        "numbers until it is approved; your brokerage admin follows it under Registration."
    )


def do_not_text_phones(*, brokerage_id: int, phones) -> set[str]:
    """Those of `phones` on the brokerage's do-not-text list; one query."""
    return set(
        DoNotTextEntry.objects.filter(
            brokerage_id=brokerage_id, phone__in=list(phones), removed_at__isnull=True
        ).values_list("phone", flat=True)
    )


def delivery_refusal(*, kind: str, state: str, do_not_text: bool) -> str:
    """Why a queued text of `kind` may not go out now, or '' when it may.

    HELP replies and the single opt-out confirmation answer the contact's own
    request, which carriers require to work always, so they go out whatever
    the state, even to a do-not-text phone. Every other text needs the phone
    off the do-not-text list; an opt-in request needs it not yet opted in or
    out (a request queued for texting hours may meet either), and a regular
    text needs it opted in.
    """
    from messaging.models import Message

    if kind in (Message.Kind.HELP_REPLY, Message.Kind.OPTOUT_CONFIRMATION):
        return ""
    if do_not_text:
        return "Not sent: the phone is on the brokerage's do-not-text list."
    if kind == Message.Kind.OPTIN_REQUEST:
        if state in (ConsentState.NEVER_ASKED, ConsentState.PENDING):
            return ""
        if state == ConsentState.OPTED_IN:
            return "Not sent: the contact opted in before it went out."
    elif state == ConsentState.OPTED_IN:
        return ""
    if state == ConsentState.OPTED_OUT:
        return "Not sent: the contact opted out after it was queued."
    return "Not sent: the contact's consent changed after it was queued."


def may_deliver(*, kind: str, state: str, do_not_text: bool) -> bool:
    """Whether a queued text of `kind` may go out now (see `delivery_refusal`)."""
    return not delivery_refusal(kind=kind, state=state, do_not_text=do_not_text)
