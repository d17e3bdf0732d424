"""Sending texts, receiving them, and following their delivery."""

import datetime
import functools
import logging
import re

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from redis.exceptions import RedisError

from contacts.models import Contact
from contacts.phones import InvalidPhoneNumber, e164_or_none, parse_contact_phone
from messaging import holds, quiet_hours, ratelimit
from messaging.backends import SmsBackendError, SmsMessage, get_connection
from messaging.errors import Consequence, ErrorInfo, classify_error, delivery_error
from messaging.inserts import inbound_insert
from messaging.merge_fields import MERGE_FIELDS, unknown_fields
from messaging.models import BayNumber, Message, MessageTemplate, StatusReceipt
from messaging.outbox import enqueue_send, outbox_add, status_callback_url
from messaging.segments import twilio_length
from messaging.selectors import bay_numbers_among
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


# How long a text waits before asking an unreachable send-rate limit again.
LIMIT_UNREACHABLE_WAIT_SECONDS = 5


class RateLimited(Exception):
    """The BAY Number used its sends for this second; try after `wait` seconds.
    Nothing was sent and the text is queued again."""

    def __init__(self, wait: float):
        super().__init__(f"rate limited for {wait:.3f}s")
        self.wait = wait


def validate_body(body: str) -> str:
    """Return the body stripped of surrounding whitespace, or raise ValidationError."""
    body = (body or "").strip()
    if not body:
        raise ValidationError("Type a message first.", code="empty")
    length = twilio_length(body)
    if length > MAX_BODY_LENGTH:
        emoji = " (an emoji counts as two)" if length != len(body) else ""
        raise ValidationError(
            f"A text can be at most {MAX_BODY_LENGTH:,} characters{emoji}; this one has "
            f"{length:,}.",
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
    enqueued when the transaction commits. Outside the contact's sending
    window the returned message's `not_before` says when it will go.
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


def _lock_queued(message_id: int) -> Message | None:
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("bay_number")
        .filter(pk=message_id, direction=Message.Direction.OUTBOUND)
        .first()
    )
    if message is None or message.status != Message.Status.QUEUED:
        logger.info("Message %s is not queued; nothing to send", message_id)
        return None
    return message


def _must_wait(message: Message, now) -> bool:
    """Leave the text queued for the dispatcher when its number is held or
    its recipient's window is closed; say so on the row. Caller holds the lock."""
    if message.bay_number.sending_held_at is not None:
        logger.info("Message %s waits: BAY Number %s is held", message.pk, message.bay_number_id)
    elif message.not_before and message.not_before > now:
        logger.info("Message %s waits until %s", message.pk, message.not_before)
    else:
        wait_until = quiet_hours.send_after(phone=message.to_phone, kind=message.kind, at=now)
        if wait_until is None:
            return False
        message.not_before = wait_until
        logger.info("Message %s reached quiet hours; waits until %s", message.pk, wait_until)
    message.dispatched_at = None
    message.save(update_fields=["not_before", "dispatched_at", "updated_at"])
    return True


def _number_released(message: Message) -> bool:
    """Fail a text whose BAY Number was released while it waited: Twilio no
    longer sends from that number for us."""
    if message.bay_number.released_at is None:
        return False
    _fail_unsent(message, "its BAY Number was released before it could go out")
    return True


def _number_reassigned(message: Message) -> bool:
    """Fail a text an agent queued from a BAY Number that has since been
    given to another agent: it would go out, and its replies come back, under
    someone else's name. Automatic answers to the contact still go."""
    if message.kind not in (Message.Kind.REGULAR, Message.Kind.OPTIN_REQUEST):
        return False
    owner = message.contact.agent_id if message.contact_id else message.sent_by_id
    if owner is None or owner == message.bay_number.agent_id:
        return False
    _fail_unsent(message, "its BAY Number now belongs to another agent")
    return True


def _fail_unsent(message: Message, why: str) -> None:
    """Fail a claimed text that will never go, saying why to the agent."""
    message.status = Message.Status.FAILED
    message.failure_reason = f"Not sent: {why}."
    message.save(update_fields=["status", "failure_reason", "updated_at"])
    logger.info("Message %s not sent: %s", message.pk, why)


def _registration_blocks(message: Message) -> bool:
    """Block the text while the brokerage's A2P 10DLC registration is not
    approved (the gate refuses new texts then; this catches queued ones)."""
    hold = registration_hold(message.bay_number)
    if not hold:
        return False
    message.status = Message.Status.BLOCKED_UNREGISTERED
    message.failure_reason = hold
    message.save(update_fields=["status", "failure_reason", "updated_at"])
    logger.info("Message %s blocked at send time: campaign not approved", message.pk)
    return True


def _consent_blocks(message: Message) -> bool:
    """Block the text if consent changed since it was queued (FC-12), or its
    phone went on the brokerage's do-not-text list. Takes the consent row's
    lock, so a STOP being applied wins or waits."""
    consent = (
        Consent.objects.select_for_update()
        .filter(bay_number_id=message.bay_number_id, phone=message.to_phone)
        .first()
    )
    state = consent.state if consent else ConsentState.NEVER_ASKED
    do_not_text = bool(
        do_not_text_phones(brokerage_id=message.bay_number.brokerage_id, phones=[message.to_phone])
    )
    refusal = delivery_refusal(kind=message.kind, state=state, do_not_text=do_not_text)
    if not refusal:
        return False

    if state == ConsentState.OPTED_OUT:
        message.status = Message.Status.BLOCKED_OPTED_OUT
    elif (
        message.kind == Message.Kind.OPTIN_REQUEST
        and state == ConsentState.OPTED_IN
        and not do_not_text
    ):
        message.status = Message.Status.NOT_NEEDED
    else:
        message.status = Message.Status.BLOCKED_NO_CONSENT
    message.failure_reason = refusal
    message.save(update_fields=["status", "failure_reason", "updated_at"])
    logger.info("Message %s blocked at send time (consent %s)", message.pk, state)
    return True


def _claim(message_id: int) -> Message | None:
    """Claim a queued text for sending, under the message's and the consent's
    row locks. Return None when there is nothing to send now."""
    with transaction.atomic():
        message = _lock_queued(message_id)
        if message is None:
            return None
        now = timezone.now()
        if _must_wait(message, now) or _number_released(message) or _number_reassigned(message):
            return None
        if _registration_blocks(message) or _consent_blocks(message):
            return None

        message.status = Message.Status.SENDING
        message.attempts += 1
        message.claimed_at = now
        message.save(update_fields=["status", "attempts", "claimed_at", "updated_at"])
        return message


def _unclaim(message: Message, **fields) -> None:
    """Give back a claim that sent nothing (the rate limit said wait, or
    could not be asked, or Twilio refused the request itself), setting any
    other `fields` with it."""
    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
        status=Message.Status.QUEUED,
        attempts=F("attempts") - 1,
        claimed_at=None,
        updated_at=timezone.now(),
        **fields,
    )


def sms_deliver(message_id: int) -> str:
    """Send one queued text through the SMS backend, at most once.

    Claims the row first, so a redelivered or retried task that finds it
    already claimed does nothing. Then, just before the call, takes a slot
    under the BAY Number's rate limit, or gives the claim back and raises
    RateLimited. Raises TransientSendError when a retry is safe; every other
    failure is recorded on the message. Returns what happened, for logs and
    benchmarks.
    """
    message = _claim(message_id)
    if message is None:
        return "skipped"

    sms = SmsMessage(
        to=message.to_phone,
        from_=message.from_phone,
        body=message.body,
        message_id=message.pk,
        status_callback=status_callback_url(),
        messaging_service_sid=message.bay_number.messaging_service_sid,
    )
    try:
        with get_connection() as connection:
            # The slot is taken as late as it can be, right before the call,
            # so that nothing between the two can push it outside its window.
            _take_send_slot(message)
            connection.send_messages([sms])
    except SmsBackendError as error:
        info = classify_error(
            code=error.code, http_status=error.http_status, reached=error.reached_provider
        )
        return _record_send_error(message, error.code, info)

    _record_sent(message, sms)
    return "sent"


def _take_send_slot(message: Message) -> None:
    """Take a slot under the BAY Number's rate limits, or give the claim back
    and raise RateLimited with the seconds to wait.

    An unreachable limit is a wait too: nothing went out, so the text is
    neither left claimed (held for review as if it might have gone) nor
    failed when the outage outlasts its retries.
    """
    try:
        wait = ratelimit.acquire(ratelimit.limits_for(message.bay_number))
    except RedisError as error:
        _unclaim(message)
        logger.warning(
            "Message %s: the send-rate limit is unreachable (%s); asking again in %ss",
            message.pk,
            type(error).__name__,
            LIMIT_UNREACHABLE_WAIT_SECONDS,
        )
        raise RateLimited(LIMIT_UNREACHABLE_WAIT_SECONDS) from error
    if wait > 0:
        _unclaim(message)
        raise RateLimited(wait)


def _record_sent(message: Message, sms: SmsMessage) -> None:
    now = timezone.now()
    # Twilio answers "queued" or "accepted", and the text stays sending until a
    # callback; a backend that finished the job itself (the console) says "sent".
    status = _TWILIO_STATUS.get(sms.provider_status, Message.Status.SENDING)
    if _RANK[status] < _RANK[Message.Status.SENDING]:
        status = Message.Status.SENDING
    # An error code left by a retry that failed is not this text's outcome.
    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING).update(
        twilio_sid=sms.sid, status=status, error_code="", sent_at=now, updated_at=now
    )
    logger.info("Message %s handed to the SMS backend as %s", message.pk, sms.sid)
    if StatusReceipt.objects.filter(message_sid=sms.sid, applied_at__isnull=True).exists():
        receipts_apply_waiting(message_sid=sms.sid)


def _record_send_error(message: Message, code, info: ErrorInfo) -> str:
    """Record a refused send; return "held" or "failed", or raise
    TransientSendError when the text is to be retried."""
    if info.consequence == Consequence.ACCOUNT_PROBLEM:
        _hold_with_its_number(message, code, info)
        return "held"
    if info.retryable:
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.QUEUED,
            error_code=str(code or ""),
            claimed_at=None,
            dispatched_at=timezone.now(),
            updated_at=timezone.now(),
        )
        logger.warning("Message %s: retryable error %s", message.pk, code)
        raise TransientSendError(info.reason)

    status = (
        Message.Status.NEEDS_REVIEW
        if info.consequence == Consequence.REVIEW
        else Message.Status.FAILED
    )
    _fail(message, code=code, info=info, status=status)
    return "failed"


def _hold_with_its_number(message: Message, code, info: ErrorInfo) -> None:
    """Twilio refused the request itself (the account's credentials), so the
    text did not go: it goes back to the queue, its number's sending is held
    (every other text would meet the same refusal) and the admins are told.
    Dismissing the alert resumes the number."""
    _unclaim(message, error_code=str(code or ""), dispatched_at=None)
    holds.bay_number_hold_sending(bay_number_id=message.bay_number_id, reason=info.reason)
    alert_campaign_problem(bay_number_id=message.bay_number_id, code=code, reason=info.reason)


def _fail(message: Message, *, code, info: ErrorInfo, status=Message.Status.FAILED) -> None:
    message.status = status
    message.error_code = str(code or "")
    message.failure_reason = info.explanation[:300]
    message.save(update_fields=["status", "error_code", "failure_reason", "updated_at"])
    logger.info("Message %s %s with error %s", message.pk, status, code or "-")
    _apply_consequence(message, code, info)


def _apply_consequence(message: Message, code, info: ErrorInfo) -> None:
    if info.consequence == Consequence.OPT_OUT:
        consent_services.consent_record_carrier_optout(message=message, error_code=int(code))
    elif info.consequence == Consequence.INVALID_PHONE and message.contact_id:
        Contact.objects.filter(pk=message.contact_id).update(invalid_phone_reason=info.reason)
    elif info.consequence in (Consequence.CAMPAIGN_PROBLEM, Consequence.ACCOUNT_PROBLEM):
        holds.bay_number_hold_sending(bay_number_id=message.bay_number_id, reason=info.reason)
        alert_campaign_problem(bay_number_id=message.bay_number_id, code=code, reason=info.reason)


def sms_mark_failed(message_id: int, reason: str) -> None:
    """Mark a queued text failed after its retries ran out (the task's
    failure hook). A claimed text is left alone: it may have gone out."""
    updated = Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.FAILED, failure_reason=reason[:300], updated_at=timezone.now()
    )
    if updated:
        logger.warning("Message %s failed after its retries", message_id)


def sms_flag_stuck(*, now=None) -> int:
    """Mark texts claimed but never confirmed by Twilio as needing review.

    A worker that died mid-call leaves a text SENDING with no SID: it may or
    may not have gone out, so it is shown to a person, never resent blindly.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.SMS_SENDING_TIMEOUT_SECONDS)
    flagged = Message.objects.filter(
        Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, updated_at__lt=cutoff),
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENDING,
        twilio_sid__isnull=True,
    ).update(status=Message.Status.NEEDS_REVIEW, failure_reason=STUCK_REASON, updated_at=now)
    if flagged:
        logger.warning("Flagged %s texts stuck in sending for review", flagged)
    return flagged


STUCK_REASON = (
    "Sending started but Twilio never confirmed it, so it may or may not have gone out. "
    "Check with the contact before sending it again."
)


@transaction.atomic
def sms_review_resend(*, message: Message, actor) -> Message:
    """Queue a text held for review again, because a person decided to.
    The consent gate and quiet hours still apply when it is sent."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status != Message.Status.NEEDS_REVIEW:
        raise ValidationError("Only a text held for review can be sent again.")
    bay_number, contact = locked.bay_number, locked.contact
    if bay_number.released_at is not None or (
        contact is not None and bay_number.agent_id != contact.agent_id
    ):
        raise ValidationError(
            "Its BAY Number has been released or now belongs to another agent, so it cannot "
            "go out from it again. Write a new text instead."
        )
    now = timezone.now()
    locked.status = Message.Status.QUEUED
    locked.failure_reason = ""
    locked.claimed_at = None
    locked.dispatched_at = now
    locked.save(
        update_fields=["status", "failure_reason", "claimed_at", "dispatched_at", "updated_at"]
    )
    logger.info("Message %s queued again after review by %s", locked.pk, actor.pk)
    transaction.on_commit(functools.partial(enqueue_send, locked.pk))
    return locked


@transaction.atomic
def sms_review_close(*, message: Message, actor) -> Message:
    """Record that a text held for review is not to be sent again."""
    locked = Message.objects.select_for_update().get(pk=message.pk)
    if locked.status != Message.Status.NEEDS_REVIEW:
        raise ValidationError("Only a text held for review can be closed.")
    locked.status = Message.Status.FAILED
    locked.failure_reason = f"Not sent again after review by {actor.display_name}."[:300]
    locked.save(update_fields=["status", "failure_reason", "updated_at"])
    logger.info("Message %s closed after review by %s", locked.pk, actor.pk)
    return locked


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
    delivery created the row; a repeat returns the stored row and False. A
    text that asks nothing of consent (no keyword, no HELP, nothing to review)
    from a known contact is stored already processed, in one statement
    (`messaging.inserts`), so the webhook has no second step for it.
    """
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    if not _SID.match(sid):
        raise ValidationError("MessageSid is missing or malformed.")

    to_phone = e164_or_none(params.get("To")) or params.get("To", "")[:32]
    sender = params.get("From", "")
    phone = e164_or_none(sender)
    body = params.get("Body") or ""
    message = Message(
        twilio_sid=sid,
        direction=Message.Direction.INBOUND,
        from_phone=phone or sender[:32],
        to_phone=to_phone,
        body=body,
        media=_media(params),
        status=Message.Status.RECEIVED,
        raw_payload=_payload(params),
        processed_at=timezone.now(),
    )
    needs_action = consent_services.reply_needs_action(
        body=body, opt_out_type=params.get("OptOutType", "")
    )
    if inbound_insert(message, sender_phone=phone, needs_action=needs_action):
        logger.info("Stored inbound message %s (%s)", message.pk, sid)
        return message, True
    message = Message.objects.get(twilio_sid=sid)
    if message.direction != Message.Direction.INBOUND:
        # Twilio never gives an inbound text the SID of one we sent; this is a
        # misdirected callback or a replay, and must not act on our own text.
        logger.warning("Inbound webhook reused the SID of outbound message %s", message.pk)
        raise ValidationError(
            "This MessageSid is one of a text ClientBAY sent, not an inbound text."
        )
    logger.info("Inbound %s delivered again; stored as message %s", sid, message.pk)
    return message, False


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
        if message.processed_at is not None or message.direction != Message.Direction.INBOUND:
            return
        # Only a phone texting a BAY Number of ours can change consent: one of
        # the agent's contacts (a STOP is always heard), or a phone that may
        # become one. Short codes and other senders are stored, no more.
        if message.bay_number is not None and (
            message.contact_id is not None or _may_become_a_contact(message.from_phone)
        ):
            _link_sender(message)
            kind = consent_services.consent_apply_reply(message=message)
            logger.info("Inbound message %s classified as %s", message.pk, kind)
        else:
            logger.info("Inbound message %s is from a sender we never text; stored", message.pk)
        message.processed_at = timezone.now()
        message.save(update_fields=["processed_at", "contact", "updated_at"])


def _may_become_a_contact(phone: str) -> bool:
    """Whether the sender of a text may become a contact: a phone of a kind
    that takes texts (not a short code, premium-rate, toll-free...), and not
    a BAY Number, which would answer our texts with its own."""
    try:
        parse_contact_phone(phone)
    except InvalidPhoneNumber:
        return False
    return not bay_numbers_among([phone])


def _link_sender(message: Message) -> None:
    """Link a text from a phone the agent has no contact for to a new lead."""
    agent_id = message.bay_number.agent_id
    if message.contact_id is not None or agent_id is None:
        return
    message.contact, created = Contact.objects.get_or_create(
        agent_id=agent_id,
        phone=message.from_phone,
        defaults={"first_name": "Unknown", "kind": Contact.Kind.LEAD},
    )
    if created:
        logger.info("New lead %s from inbound message %s", message.contact.pk, message.pk)


def inbound_retry_unprocessed(*, now=None, limit: int = 200) -> dict[str, int]:
    """Handle again the stored inbound texts whose handling failed.

    Picks texts stored over SMS_INBOUND_RETRY_AFTER_SECONDS ago and still not
    processed; each is processed in its own transaction, so one failure does
    not stop the rest. Returns counts.
    """
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(seconds=settings.SMS_INBOUND_RETRY_AFTER_SECONDS)
    ids = list(
        Message.objects.filter(
            direction=Message.Direction.INBOUND, processed_at__isnull=True, created_at__lt=cutoff
        )
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    failed = 0
    for message_id in ids:
        try:
            inbound_process(message_id)
        except Exception:
            failed += 1
            logger.exception("Handling inbound message %s failed again", message_id)
    return {"processed": len(ids) - failed, "failed": failed}


def _receipt_fields(params) -> dict:
    code = (params.get("ErrorCode") or "").strip()
    return {
        # A malformed ErrorCode must not stop the status update.
        "error_code": code if code.isdecimal() and len(code) <= 10 else "",
        "raw_dlr_done_date": (params.get("RawDlrDoneDate") or "").strip()[:20],
        "payload": _payload(params),
    }


def status_callback_apply(*, params) -> Message | None:
    """Record a delivery status callback once and move its text forward.

    A repeat of the same (MessageSid, status) changes nothing: the receipt's
    unique constraint decides. A late "sent" never replaces "delivered".
    Errors reported here (21610, 30034, ...) are handled as if the send had
    raised them. A callback that beats the send's own record of the SID is
    kept and applied once the SID is known.
    """
    sid = (params.get("MessageSid") or params.get("SmsSid") or "").strip()
    twilio_status = (params.get("MessageStatus") or params.get("SmsStatus") or "").lower()
    if not sid or twilio_status not in _TWILIO_STATUS:
        logger.info("Ignored a status callback for %s with status %r", sid or "-", twilio_status)
        return None

    with transaction.atomic():
        receipt, created = StatusReceipt.objects.get_or_create(
            message_sid=sid[:34], status=twilio_status, defaults=_receipt_fields(params)
        )
        if not created:
            logger.info("Status %s for %s delivered again; nothing to do", twilio_status, sid)
            return None
        message = Message.objects.select_for_update().filter(twilio_sid=sid).first()
        if message is None:
            logger.info("Status %s for %s kept until its send is recorded", twilio_status, sid)
            return None
        _apply_receipt(message, receipt)
    return message


def _apply_receipt(message: Message, receipt: StatusReceipt) -> None:
    """Apply one receipt to its message; caller holds the message's lock."""
    receipt.message = message
    receipt.applied_at = timezone.now()
    receipt.save(update_fields=["message", "applied_at"])

    new_status = _TWILIO_STATUS[receipt.status]
    if _RANK.get(message.status, 3) >= _RANK[new_status]:
        return
    message.status = new_status
    if new_status == Message.Status.DELIVERED:
        message.delivered_at = receipt.applied_at
    message.dlr_done_date = receipt.raw_dlr_done_date or message.dlr_done_date
    message.save(update_fields=["status", "delivered_at", "dlr_done_date", "updated_at"])
    logger.info("Message %s (%s) is now %s", message.pk, receipt.message_sid, new_status)

    if new_status in (Message.Status.FAILED, Message.Status.UNDELIVERED):
        code = receipt.error_code
        _fail(message, code=code, info=delivery_error(code), status=new_status)


def receipts_apply_waiting(*, message_sid: str | None = None) -> int:
    """Apply the receipts that arrived before their text's SID was recorded,
    in status order. Returns how many were applied."""
    waiting = StatusReceipt.objects.filter(applied_at__isnull=True)
    if message_sid is not None:
        waiting = waiting.filter(message_sid=message_sid)
    else:
        waiting = waiting.filter(
            message_sid__in=Message.objects.filter(twilio_sid__isnull=False).values("twilio_sid")
        )
    applied = 0
    for sid in set(waiting.values_list("message_sid", flat=True)):
        with transaction.atomic():
            message = Message.objects.select_for_update().filter(twilio_sid=sid).first()
            if message is None:
                continue
            receipts = list(
                StatusReceipt.objects.select_for_update().filter(
                    message_sid=sid, applied_at__isnull=True
                )
            )
            for receipt in sorted(receipts, key=lambda r: _RANK[_TWILIO_STATUS[r.status]]):
                _apply_receipt(message, receipt)
                applied += 1
    return applied


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
        errors["name"] = _template_name_taken(name)
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


def _template_name_taken(name: str) -> str:
    return f"You already have a template called {name!r}."


@transaction.atomic
def template_create(*, agent, name: str, body: str) -> MessageTemplate:
    """Save a new template for the agent; raises ValidationError."""
    name, body = validate_template(agent=agent, name=name, body=body)
    try:
        with transaction.atomic():
            template = MessageTemplate.objects.create(agent=agent, name=name, body=body)
    except IntegrityError:
        # The same name saved at the same moment (a double click): the check
        # above saw neither, the unique constraint saw both.
        raise ValidationError({"name": _template_name_taken(name)}) from None
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
