"""Sending texts, receiving them, and following their delivery."""

import logging
import re

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contacts.models import Contact
from contacts.phones import e164_or_none
from messaging.backends import SmsBackendError, SmsMessage, get_connection
from messaging.errors import TWILIO_ERRORS, Consequence, ErrorInfo, classify_error
from messaging.merge_fields import MERGE_FIELDS, unknown_fields
from messaging.models import BayNumber, Message, MessageTemplate
from messaging.outbox import outbox_add, status_callback_url
from optin import services as consent_services
from optin.gate import (
    SendDecision,
    check_send,
    delivery_refusal,
    do_not_text_phones,
    registration_hold,
)
from optin.models import Consent, ConsentState
from registration.services import alert_campaign_problem

logger = logging.getLogger(__name__)

MAX_BODY_LENGTH = 1600  # Twilio refuses longer bodies.

# Status callbacks only move a text forward through these ranks.
_RANK = {
    Message.Status.QUEUED: 0,
    Message.Status.SENDING: 1,
    Message.Status.SENT: 2,
    Message.Status.DELIVERED: 3,
    Message.Status.UNDELIVERED: 3,
    Message.Status.FAILED: 3,
}
_TWILIO_STATUS = {
    "accepted": Message.Status.SENDING,
    "scheduled": Message.Status.SENDING,
    "queued": Message.Status.SENDING,
    "sending": Message.Status.SENDING,
    "sent": Message.Status.SENT,
    "delivered": Message.Status.DELIVERED,
    "read": Message.Status.DELIVERED,
    "undelivered": Message.Status.UNDELIVERED,
    "failed": Message.Status.FAILED,
    "canceled": Message.Status.FAILED,
}


class SendRefused(Exception):
    """The consent gate refused the text; `decision` says why."""

    def __init__(self, decision: SendDecision):
        super().__init__(decision.reason)
        self.decision = decision


class TransientSendError(Exception):
    """The provider failed in a way worth retrying; the text stays queued."""


def validate_body(body: str) -> str:
    """Return the body stripped of surrounding whitespace, or raise ValidationError."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("Type a message first.", code="empty")
    if len(body) > MAX_BODY_LENGTH:
        raise ValidationError(
            f"A text can be at most {MAX_BODY_LENGTH:,} characters; this one has {len(body):,}.",
            code="too_long",
        )
    return body


def check_ownership(*, agent, bay_number: BayNumber, contact: Contact) -> None:
    """Raise PermissionDenied unless the agent owns both the number and the contact."""
    if bay_number.agent_id != agent.pk or bay_number.released_at is not None:
        raise PermissionDenied("That BAY Number is not yours.")
    if contact.agent_id != agent.pk:
        raise PermissionDenied("That contact is not yours.")


@transaction.atomic
def sms_send(*, agent, bay_number: BayNumber, contact: Contact, body: str) -> Message:
    """Queue the agent's text to a contact, if the consent gate allows it.

    Raises PermissionDenied, ValidationError or SendRefused; the task is
    enqueued when the transaction commits.
    """
    check_ownership(agent=agent, bay_number=bay_number, contact=contact)
    body = validate_body(body)
    decision = check_send(bay_number=bay_number, phone=contact.phone)
    if not decision.allowed:
        raise SendRefused(decision)

    return outbox_add(
        bay_number=bay_number,
        to_phone=contact.phone,
        body=body,
        kind=Message.Kind.REGULAR,
        contact=contact,
        sent_by=agent,
    )


def delivery_error(code: str) -> ErrorInfo:
    """Return what a status callback's ErrorCode means for the text."""
    if code.isdigit() and int(code) in TWILIO_ERRORS:
        return TWILIO_ERRORS[int(code)]
    suffix = f" (error {code})" if code else ""
    return ErrorInfo(False, f"The carrier did not deliver the text{suffix}.")


def _claim(message_id: int) -> Message | None:
    """Claim a queued text for sending, under the message's and the consent's
    row locks. Return None when there is nothing to send."""
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("bay_number")
            .filter(pk=message_id, direction=Message.Direction.OUTBOUND)
            .first()
        )
        if message is None or message.status != Message.Status.QUEUED:
            logger.info("Message %s is not queued; nothing to send", message_id)
            return None

        hold = registration_hold(message.bay_number)
        if hold:
            message.status = Message.Status.BLOCKED_UNREGISTERED
            message.failure_reason = hold
            message.save(update_fields=["status", "failure_reason", "updated_at"])
            logger.info("Message %s blocked at send time: campaign not approved", message.pk)
            return None

        consent = (
            Consent.objects.select_for_update()
            .filter(bay_number_id=message.bay_number_id, phone=message.to_phone)
            .first()
        )
        state = consent.state if consent else ConsentState.NEVER_ASKED
        do_not_text = bool(
            do_not_text_phones(
                brokerage_id=message.bay_number.brokerage_id, phones=[message.to_phone]
            )
        )
        refusal = delivery_refusal(kind=message.kind, state=state, do_not_text=do_not_text)
        if refusal:
            message.status = (
                Message.Status.BLOCKED_OPTED_OUT
                if state == ConsentState.OPTED_OUT
                else Message.Status.BLOCKED_NO_CONSENT
            )
            message.failure_reason = refusal
            message.save(update_fields=["status", "failure_reason", "updated_at"])
            logger.info("Message %s blocked at send time (consent %s)", message.pk, state)
            return None

        message.status = Message.Status.SENDING
        message.attempts += 1
        message.save(update_fields=["status", "attempts", "updated_at"])
        return message


def sms_deliver(message_id: int) -> None:
    """Send one queued text through the SMS backend, at most once.

    Claims the row first, so a redelivered or retried task that finds it
    already claimed does nothing. Raises TransientSendError when a retry is
    safe; every other failure is recorded on the message.
    """
    message = _claim(message_id)
    if message is None:
        return

    bay_number = message.bay_number
    sms = SmsMessage(
        to=message.to_phone,
        from_=message.from_phone,
        body=message.body,
        message_id=message.pk,
        status_callback=status_callback_url(),
        messaging_service_sid=bay_number.messaging_service_sid,
    )
    try:
        with get_connection() as connection:
            connection.send_messages([sms])
    except SmsBackendError as error:
        info = classify_error(
            code=error.code, http_status=error.http_status, reached=error.reached_provider
        )
        _record_send_error(message, error.code, info)
        return

    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
        twilio_sid=sms.sid, sent_at=timezone.now(), updated_at=timezone.now()
    )
    logger.info("Message %s handed to the SMS backend as %s", message.pk, sms.sid)


def _record_send_error(message: Message, code, info: ErrorInfo) -> None:
    if info.retryable:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.QUEUED, error_code=str(code or ""), updated_at=timezone.now()
        )
        logger.warning("Message %s: retryable error %s", message.pk, code)
        raise TransientSendError(info.reason)

    _fail(message, code=code, info=info)


def _fail(message: Message, *, code, info: ErrorInfo, status=Message.Status.FAILED) -> None:
    message.status = status
    message.error_code = str(code or "")
    message.failure_reason = info.reason
    message.save(update_fields=["status", "error_code", "failure_reason", "updated_at"])
    logger.info("Message %s %s with error %s", message.pk, status, code or "-")
    _apply_consequence(message, code, info)


def _apply_consequence(message: Message, code, info: ErrorInfo) -> None:
    if info.consequence == Consequence.OPT_OUT:
        consent_services.consent_record_carrier_optout(message=message, error_code=int(code))
    elif info.consequence == Consequence.INVALID_PHONE and message.contact_id:
        Contact.objects.filter(pk=message.contact_id).update(invalid_phone_reason=info.reason)
    elif info.consequence == Consequence.CAMPAIGN_PROBLEM:
        alert_campaign_problem(bay_number_id=message.bay_number_id, code=code, reason=info.reason)


def sms_mark_failed(message_id: int, reason: str) -> None:
    """Mark a text failed after its retries ran out (the task's failure hook)."""
    updated = Message.objects.filter(
        pk=message_id, status__in=[Message.Status.QUEUED, Message.Status.SENDING]
    ).update(status=Message.Status.FAILED, failure_reason=reason[:300], updated_at=timezone.now())
    if updated:
        logger.warning("Message %s failed after its retries", message_id)


def _payload(params) -> dict:
    """Keep every value of every parameter; a repeated key keeps a list."""
    return {key: (values[0] if len(values) == 1 else values) for key, values in params.lists()}


def _media(params) -> list[dict]:
    try:
        count = int(params.get("NumMedia") or 0)
    except ValueError:
        count = 0
    return [
        {
            "url": params.get(f"MediaUrl{i}", ""),
            "content_type": params.get(f"MediaContentType{i}", ""),
        }
        for i in range(min(count, 10))
    ]


# Twilio SIDs are two letters and 32 hex digits; the field cases use shorter
# test SIDs such as SM_IN_01, which the same pattern allows.
_SID = re.compile(r"^[A-Za-z0-9_]{2,34}$")


def inbound_receive(*, params) -> tuple[Message, bool]:
    """Store an inbound webhook's text before anything else happens to it.

    Idempotent on MessageSid: the unique constraint decides, atomically, which
    delivery created the row; a repeat returns the stored row and False.
    """
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    if not _SID.match(sid):
        raise ValidationError("MessageSid is missing or malformed.")

    to_phone = e164_or_none(params.get("To")) or params.get("To", "")[:32]
    bay_number = BayNumber.objects.select_related("agent").filter(phone_number=to_phone).first()
    sender = params.get("From", "")
    phone = e164_or_none(sender)
    contact = None
    if phone and bay_number and bay_number.agent_id:
        contact, _ = Contact.objects.get_or_create(
            agent=bay_number.agent,
            phone=phone,
            defaults={"first_name": "Unknown", "kind": Contact.Kind.LEAD},
        )
    message, created = Message.objects.get_or_create(
        twilio_sid=sid,
        defaults={
            "direction": Message.Direction.INBOUND,
            "bay_number": bay_number,
            "contact": contact,
            "from_phone": phone or sender[:32],
            "to_phone": to_phone,
            "body": params.get("Body") or "",
            "media": _media(params),
            "status": Message.Status.RECEIVED,
            "raw_payload": _payload(params),
        },
    )
    if created:
        logger.info("Stored inbound message %s (%s)", message.pk, sid)
    else:
        logger.info("Inbound %s delivered again; stored as message %s", sid, message.pk)
    return message, created


def inbound_process(message_id: int) -> None:
    """Act on a stored inbound text once: the consent keywords and HELP.

    Runs under the message's row lock and marks it processed in the same
    transaction, so concurrent or repeated deliveries act only once.
    """
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("bay_number__agent", "bay_number__brokerage")
            .get(pk=message_id)
        )
        if message.processed_at is not None:
            return
        # Only a real phone texting a BAY Number of ours can change consent;
        # short codes and other sender IDs are stored and nothing more.
        if message.bay_number is not None and e164_or_none(message.from_phone):
            kind = consent_services.consent_apply_reply(message=message)
            logger.info("Inbound message %s classified as %s", message.pk, kind)
        message.processed_at = timezone.now()
        message.save(update_fields=["processed_at", "updated_at"])


def status_callback_apply(*, params) -> Message | None:
    """Move a sent text forward with a status callback; never backward.

    A late "sent" never replaces "delivered", and a repeated callback changes
    nothing. Errors reported here (21610, 30034, ...) are handled as if the
    send had raised them.
    """
    sid = params.get("MessageSid") or params.get("SmsSid") or ""
    twilio_status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    new_status = _TWILIO_STATUS.get(twilio_status)
    with transaction.atomic():
        message = Message.objects.select_for_update().filter(twilio_sid=sid).first()
        if message is None or new_status is None:
            logger.info("Status callback for unknown message %s or status %r", sid, twilio_status)
            return None
        if _RANK.get(message.status, 3) >= _RANK[new_status]:
            return message

        message.status = new_status
        now = timezone.now()
        if new_status == Message.Status.DELIVERED:
            message.delivered_at = now
        message.save(update_fields=["status", "delivered_at", "updated_at"])
        logger.info("Message %s (%s) is now %s", message.pk, sid, new_status)

        code = (params.get("ErrorCode") or "").strip()
        code = code if code.isdigit() and len(code) <= 10 else ""
        if new_status in (Message.Status.FAILED, Message.Status.UNDELIVERED):
            _fail(message, code=code, info=delivery_error(code), status=new_status)
    return message


# --- The agent's screens: read state and saved templates -----------------------


def conversation_mark_read(*, agent, bay_number: BayNumber, contact: Contact) -> int:
    """Mark the conversation's unread inbound texts read; return how many.

    Idempotent. Raises PermissionDenied unless the agent owns both sides.
    Leaves `updated_at` alone: reading a text does not change how it looks.
    """
    check_ownership(agent=agent, bay_number=bay_number, contact=contact)
    return Message.objects.filter(
        bay_number=bay_number,
        contact=contact,
        direction=Message.Direction.INBOUND,
        read_at__isnull=True,
    ).update(read_at=timezone.now())


def validate_template(*, agent, name: str, body: str, template=None) -> tuple[str, str]:
    """Return a template's name and body cleaned, or raise ValidationError
    (keyed by field) for an empty or duplicate name, a body a text could not
    carry, or an unknown merge field."""
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Give the template a name."
    elif (
        MessageTemplate.objects.filter(agent=agent, name__iexact=name)
        .exclude(pk=getattr(template, "pk", None))
        .exists()
    ):
        errors["name"] = f"You already have a template called {name!r}."
    try:
        body = validate_body(body)
    except ValidationError as error:
        errors["body"] = error.messages
    else:
        unknown = unknown_fields(body)
        if unknown:
            known = ", ".join(f"{{{field}}}" for field in MERGE_FIELDS)
            listed = ", ".join(f"{{{field}}}" for field in unknown)
            errors["body"] = f"Unknown merge field {listed}. You can use {known}."
    if errors:
        raise ValidationError(errors)
    return name, body


@transaction.atomic
def template_create(*, agent, name: str, body: str) -> MessageTemplate:
    """Save a new template for the agent; raises ValidationError."""
    name, body = validate_template(agent=agent, name=name, body=body)
    template = MessageTemplate.objects.create(agent=agent, name=name, body=body)
    logger.info("Agent %s saved template %s", agent.pk, template.pk)
    return template


@transaction.atomic
def template_update(*, agent, template: MessageTemplate, name: str, body: str) -> MessageTemplate:
    """Change the agent's own template; raises PermissionDenied or ValidationError."""
    if template.agent_id != agent.pk:
        raise PermissionDenied("That template is not yours.")
    template.name, template.body = validate_template(
        agent=agent, name=name, body=body, template=template
    )
    template.save(update_fields=["name", "body", "updated_at"])
    logger.info("Agent %s changed template %s", agent.pk, template.pk)
    return template


@transaction.atomic
def template_delete(*, agent, template: MessageTemplate) -> None:
    """Delete the agent's own template; raises PermissionDenied for another's."""
    if template.agent_id != agent.pk:
        raise PermissionDenied("That template is not yours.")
    logger.info("Agent %s deleted template %s", agent.pk, template.pk)
    template.delete()
