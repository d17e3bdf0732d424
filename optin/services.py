"""Every change of consent. Each service runs in one transaction, holds the
consent row's lock, and writes exactly one ledger row per change."""

import logging

from django.db import transaction
from django.utils import timezone

from messaging.models import Message
from messaging.outbox import outbox_add
from optin import texts
from optin.gate import decide
from optin.keywords import ReplyKind, classify
from optin.models import Consent, ConsentEvent, ConsentState

logger = logging.getLogger(__name__)

# From opted out, only these bring a phone back (Twilio's re-subscribe list).
RESUBSCRIBE_KEYWORDS = frozenset({"start", "yes", "unstop"})


class ConsentRefused(Exception):
    """The consent change or opt-in request is not allowed; says why."""


def _lock_consent(*, bay_number, phone: str) -> Consent:
    consent, _ = Consent.objects.get_or_create(bay_number=bay_number, phone=phone)
    return Consent.objects.select_for_update().get(pk=consent.pk)


def _record(consent: Consent, *, new_state, event_type, source, **evidence) -> ConsentEvent:
    old_state = consent.state
    now = timezone.now()
    if new_state != old_state:
        consent.state = new_state
        consent.state_changed_at = now
    consent.save()

    event = ConsentEvent.objects.create(
        consent=consent,
        bay_number_id=consent.bay_number_id,
        phone=consent.phone,
        occurred_at=now,
        event_type=event_type,
        old_state=old_state,
        new_state=new_state,
        source=source,
        **evidence,
    )
    logger.info(
        "Consent %s: %s -> %s (%s, event %s)", consent.pk, old_state, new_state, source, event.pk
    )
    return event


def _contact_for(bay_number, phone: str):
    if bay_number.agent_id is None:
        return None
    return bay_number.agent.contacts.filter(phone=phone).first()


def _send_auto_text(*, bay_number, phone: str, kind: str, text_builder) -> Message:
    body = text_builder(agent=bay_number.agent, brokerage=bay_number.brokerage)
    return outbox_add(
        bay_number=bay_number,
        to_phone=phone,
        body=body,
        kind=kind,
        contact=_contact_for(bay_number, phone),
    )


def _evidence(inbound_message: Message | None) -> dict:
    if inbound_message is None:
        return {}
    return {
        "inbound_message": inbound_message,
        "message_sid": inbound_message.twilio_sid or "",
        "raw_text": inbound_message.body,
    }


@transaction.atomic
def consent_request_optin(*, bay_number, contact, actor) -> Message:
    """Send the opt-in request to a contact, if the rules allow one now.

    Allowed when never asked, or pending past the cool-down and under the
    limit; never after an opt-out. Raises ConsentRefused otherwise.
    """
    consent = _lock_consent(bay_number=bay_number, phone=contact.phone)
    decision = decide(consent, bay_number.phone_number, timezone.now())
    if not decision.can_request_optin:
        raise ConsentRefused(decision.reason)

    consent.optin_requests_sent += 1
    consent.last_optin_request_at = timezone.now()
    _record(
        consent,
        new_state=ConsentState.PENDING,
        event_type=ConsentEvent.EventType.OPTIN_REQUESTED,
        source=ConsentEvent.Source.AGENT_ACTION,
        acting_user=actor,
        extra_data={"request_number": consent.optin_requests_sent},
    )
    body = texts.optin_request(agent=bay_number.agent or actor, brokerage=bay_number.brokerage)
    return outbox_add(
        bay_number=bay_number,
        to_phone=contact.phone,
        body=body,
        kind=Message.Kind.OPTIN_REQUEST,
        contact=contact,
        sent_by=actor,
    )


@transaction.atomic
def consent_revoke(
    *,
    bay_number,
    phone: str,
    source: str,
    inbound_message: Message | None = None,
    acting_user=None,
    keyword: str = "",
    note: str = "",
    confirm: bool = True,
) -> ConsentEvent | None:
    """Opt a phone out of texts from a BAY Number.

    A phone already opted out changes nothing: no ledger row and no second
    confirmation. With `confirm`, the single opt-out confirmation is queued.
    """
    consent = _lock_consent(bay_number=bay_number, phone=phone)
    if consent.state == ConsentState.OPTED_OUT:
        logger.info("Consent %s already opted out; nothing to change", consent.pk)
        return None

    event = _record(
        consent,
        new_state=ConsentState.OPTED_OUT,
        event_type=ConsentEvent.EventType.OPTED_OUT,
        source=source,
        acting_user=acting_user,
        keyword=keyword,
        extra_data={"note": note} if note else {},
        **_evidence(inbound_message),
    )
    if confirm:
        _send_auto_text(
            bay_number=bay_number,
            phone=phone,
            kind=Message.Kind.OPTOUT_CONFIRMATION,
            text_builder=texts.optout_confirmation,
        )
    return event


@transaction.atomic
def consent_grant(
    *, inbound_message: Message, source: str, keyword: str, confirm: bool = True
) -> ConsentEvent | None:
    """Opt a phone in because the contact said so in `inbound_message`.

    Only a reply from the phone itself can grant consent; there is no way for
    an agent to do it. From opted out, only START, YES or UNSTOP (or Twilio's
    START) count. A phone already opted in changes nothing.
    """
    bay_number = inbound_message.bay_number
    phone = inbound_message.from_phone
    consent = _lock_consent(bay_number=bay_number, phone=phone)
    if consent.state == ConsentState.OPTED_IN:
        return None
    if (
        consent.state == ConsentState.OPTED_OUT
        and source == ConsentEvent.Source.INBOUND_KEYWORD
        and keyword not in RESUBSCRIBE_KEYWORDS
    ):
        logger.info("Consent %s: %r does not re-subscribe an opt-out", consent.pk, keyword)
        return None

    event = _record(
        consent,
        new_state=ConsentState.OPTED_IN,
        event_type=ConsentEvent.EventType.OPTED_IN,
        source=source,
        keyword=keyword,
        **_evidence(inbound_message),
    )
    if confirm:
        _send_auto_text(
            bay_number=bay_number,
            phone=phone,
            kind=Message.Kind.OPTIN_CONFIRMATION,
            text_builder=texts.optin_confirmation,
        )
    return event


def consent_apply_reply(*, message: Message) -> ReplyKind:
    """Act on an inbound text: opt out, opt in, answer HELP, or nothing.

    When Twilio's Advanced Opt-Out set `OptOutType`, that field decides and
    Twilio has already sent the confirmation, so none is sent here.
    """
    opt_out_type = str(message.raw_payload.get("OptOutType", "")).strip().upper()
    if opt_out_type in {"STOP", "START", "HELP"}:
        kind = {"STOP": ReplyKind.OPT_OUT, "START": ReplyKind.OPT_IN, "HELP": ReplyKind.HELP}[
            opt_out_type
        ]
        source, keyword, by_twilio = ConsentEvent.Source.TWILIO_OPT_OUT_TYPE, opt_out_type, True
    else:
        reply = classify(message.body)
        kind, keyword, by_twilio = reply.kind, reply.keyword, False
        source = ConsentEvent.Source.INBOUND_KEYWORD

    if kind == ReplyKind.OPT_OUT:
        consent_revoke(
            bay_number=message.bay_number,
            phone=message.from_phone,
            source=source,
            inbound_message=message,
            keyword=keyword,
            confirm=not by_twilio,
        )
    elif kind == ReplyKind.OPT_IN:
        consent_grant(
            inbound_message=message, source=source, keyword=keyword, confirm=not by_twilio
        )
    elif kind == ReplyKind.HELP and not by_twilio:
        _send_auto_text(
            bay_number=message.bay_number,
            phone=message.from_phone,
            kind=Message.Kind.HELP_REPLY,
            text_builder=texts.help_reply,
        )
    return kind


@transaction.atomic
def consent_record_carrier_optout(*, message: Message, error_code: int) -> ConsentEvent | None:
    """Record the opt-out that a Twilio 21610 error reveals for `message`'s
    phone. No confirmation: the carrier already blocks texts to it."""
    return consent_revoke(
        bay_number=message.bay_number,
        phone=message.to_phone,
        source=ConsentEvent.Source.TWILIO_21610,
        keyword="",
        note=f"Twilio error {error_code} on message {message.pk} ({message.twilio_sid or '-'})",
        confirm=False,
    )
