"""The consent gate: the one place that decides whether a text may go out.

Every path that sends (the send view, bulk send, templates, retries) asks
`check_send` or `check_send_many` before queueing, and the worker asks
`may_deliver` again under the consent row's lock right before it calls the SMS
backend, so a STOP that lands after a text was queued still wins.
"""

import dataclasses
import datetime

from django.conf import settings
from django.utils import timezone

from contacts.phones import display_phone
from optin.models import Consent, ConsentState


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


def _cooldown() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.OPTIN_REQUEST_COOLDOWN_HOURS)


def _pending_decision(consent: Consent, now: datetime.datetime) -> SendDecision:
    asked_at = consent.last_optin_request_at
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
                f" You can ask once more after {timezone.localtime(next_at):%b %-d %-I:%M %p}."
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


def decide(consent: Consent | None, bay_phone: str, now: datetime.datetime) -> SendDecision:
    """Return the decision for a consent row (None when there is none yet)."""
    state = ConsentState(consent.state) if consent else ConsentState.NEVER_ASKED
    if state == ConsentState.OPTED_IN:
        return SendDecision(allowed=True, state=state, reason="The contact opted in.")
    if state == ConsentState.PENDING:
        return _pending_decision(consent, now)
    if state == ConsentState.OPTED_OUT:
        return SendDecision(
            allowed=False,
            state=state,
            reason=(
                "This contact opted out of texts from this number. Only they can opt back "
                f"in, by texting START or YES to {display_phone(bay_phone)}."
            ),
            last_requested_at=consent.last_optin_request_at,
            requests_sent=consent.optin_requests_sent,
        )
    return SendDecision(
        allowed=False,
        state=state,
        reason="This contact hasn't agreed to receive texts yet. Send an opt-in request first.",
        can_request_optin=True,
    )


def check_send(*, bay_number, phone: str) -> SendDecision:
    """Decide whether `bay_number` may text `phone`; one query."""
    return check_send_many(bay_number=bay_number, phones=[phone])[phone]


def check_send_many(*, bay_number, phones) -> dict[str, SendDecision]:
    """Decide for many phones at once, in one query whatever their number."""
    phones = list(dict.fromkeys(phones))
    consents = {
        consent.phone: consent
        for consent in Consent.objects.filter(bay_number=bay_number, phone__in=phones)
    }
    now = timezone.now()
    return {phone: decide(consents.get(phone), bay_number.phone_number, now) for phone in phones}


def may_deliver(*, kind: str, state: str) -> bool:
    """Whether a queued text of `kind` may go out now that consent is `state`.

    HELP replies and the single opt-out confirmation go out whatever the
    state; an opt-in request never goes to a phone that opted out.
    """
    from messaging.models import Message

    if kind in (Message.Kind.HELP_REPLY, Message.Kind.OPTOUT_CONFIRMATION):
        return True
    if kind == Message.Kind.OPTIN_REQUEST:
        return state != ConsentState.OPTED_OUT
    return state == ConsentState.OPTED_IN
