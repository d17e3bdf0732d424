"""Every change of consent, every decision about it, and the brokerage's
do-not-text list. Each service runs in one transaction; consent services hold
the consent row's lock and write exactly one ledger row per change or
decision.

Only the contact can opt a phone in: `consent_grant` takes the contact's own
inbound text and nothing else, and no service lets an agent or an admin move
a phone to opted in.
"""

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from contacts.phones import InvalidPhoneNumber, normalize_phone
from messaging import quiet_hours
from messaging.models import Message
from messaging.outbox import outbox_add
from optin import texts
from optin.deadlines import review_deadline
from optin.gate import decide, do_not_text_phones, registration_hold
from optin.keywords import ReplyKind, classify
from optin.models import Consent, ConsentEvent, ConsentState, DoNotTextEntry, OptOutReview
from optin.selectors import can_manage

logger = logging.getLogger(__name__)

# From opted out, only these bring a phone back (Twilio's re-subscribe list).
RESUBSCRIBE_KEYWORDS = frozenset({"start", "yes", "unstop"})
# How a contact gave an opt-out that an agent or admin records for them.
OPTOUT_CHANNELS = {
    "call": "Phone call",
    "email": "E-mail",
    "in_person": "In person",
    "letter": "Letter",
    "other": "Other",
}


class ConsentRefused(Exception):
    """The consent change or opt-in request is not allowed; says why."""


class ReviewClosed(Exception):
    """The possible opt-out was already decided."""


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
        "Consent %s: %s -> %s (%s, %s, event %s)",
        consent.pk,
        old_state,
        new_state,
        event_type,
        source,
        event.pk,
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


def actor_source(actor) -> str:
    """The ledger source for a person's action: admin or agent."""
    if actor.is_brokerage_admin:
        return ConsentEvent.Source.ADMIN_ACTION
    return ConsentEvent.Source.AGENT_ACTION


def _settle_reviews(
    consent: Consent, event: ConsentEvent, *, received_before=None, except_review=None
) -> int:
    """Close the phone's open reviews: a later consent change settled them.

    The event that settled them is their ledger row. With `received_before`,
    only reviews of replies received by then are closed (an opt-in settles
    only what the contact said before it); `except_review` is the one being
    decided.
    """
    reviews = OptOutReview.objects.filter(
        bay_number_id=consent.bay_number_id, phone=consent.phone, decided_at__isnull=True
    )
    if except_review is not None:
        reviews = reviews.exclude(pk=except_review.pk)
    if received_before is not None:
        reviews = reviews.filter(received_at__lte=received_before)
    settled = reviews.update(
        decision=OptOutReview.Decision.SUPERSEDED,
        decided_at=event.occurred_at,
        consent_event=event,
        updated_at=timezone.now(),
    )
    if settled:
        logger.info("Consent %s: event %s settled %s open reviews", consent.pk, event.pk, settled)
    return settled


@transaction.atomic
def consent_request_optin(*, bay_number, contact, actor) -> Message:
    """Send the opt-in request to a contact, if the rules allow one now.

    Allowed when never asked, or pending past the cool-down and under the
    limit; never after an opt-out, never to a do-not-text phone, never while
    the brokerage's registration holds its numbers. Raises ConsentRefused
    otherwise.
    """
    consent = _lock_consent(bay_number=bay_number, phone=contact.phone)
    blocked = do_not_text_phones(brokerage_id=bay_number.brokerage_id, phones=[contact.phone])
    decision = decide(consent, bay_number.phone_number, timezone.now(), do_not_text=bool(blocked))
    if not decision.can_request_optin:
        raise ConsentRefused(decision.reason)
    hold = registration_hold(bay_number)
    if hold:
        raise ConsentRefused(hold)

    # A request held for the contact's texting hours is asked when it goes
    # out, so the cool-down before another one counts from then.
    now = timezone.now()
    goes_out_at = quiet_hours.send_after(
        phone=contact.phone, kind=Message.Kind.OPTIN_REQUEST, at=now
    )
    consent.optin_requests_sent += 1
    consent.last_optin_request_at = goes_out_at or now
    extra = {"request_number": consent.optin_requests_sent}
    if goes_out_at:
        extra["goes_out_at"] = goes_out_at.isoformat()
    _record(
        consent,
        new_state=ConsentState.PENDING,
        event_type=ConsentEvent.EventType.OPTIN_REQUESTED,
        source=ConsentEvent.Source.AGENT_ACTION,
        acting_user=actor,
        extra_data=extra,
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
    extra: dict | None = None,
    confirm: bool = True,
) -> ConsentEvent | None:
    """Opt a phone out of texts from a BAY Number.

    A phone already opted out changes nothing: no ledger row and no second
    confirmation. With `confirm`, the single opt-out confirmation is queued.
    Open reviews of the phone's possible opt-outs are settled by this one.
    """
    consent = _lock_consent(bay_number=bay_number, phone=phone)
    if consent.state == ConsentState.OPTED_OUT:
        logger.info("Consent %s already opted out; nothing to change", consent.pk)
        return None

    extra_data = dict(extra or {})
    if note:
        extra_data["note"] = note
    event = _record(
        consent,
        new_state=ConsentState.OPTED_OUT,
        event_type=ConsentEvent.EventType.OPTED_OUT,
        source=source,
        acting_user=acting_user,
        keyword=keyword[:40],
        extra_data=extra_data,
        **_evidence(inbound_message),
    )
    _settle_reviews(consent, event)
    _drop_waiting_optin_requests(consent)
    if confirm:
        _send_auto_text(
            bay_number=bay_number,
            phone=phone,
            kind=Message.Kind.OPTOUT_CONFIRMATION,
            text_builder=texts.optout_confirmation,
        )
    return event


def _drop_waiting_optin_requests(consent: Consent) -> int:
    """Settle the opt-in requests to the phone still waiting for its texting
    hours: once it has opted in or out there is nothing left to ask. Only a
    text still queued is changed, so one a worker has claimed goes its way."""
    if consent.state == ConsentState.OPTED_OUT:
        status, reason = Message.Status.BLOCKED_OPTED_OUT, "Not sent: the contact opted out first."
    else:
        status, reason = Message.Status.NOT_NEEDED, "Not sent: the contact opted in first."
    dropped = Message.objects.filter(
        bay_number_id=consent.bay_number_id,
        to_phone=consent.phone,
        kind=Message.Kind.OPTIN_REQUEST,
        status=Message.Status.QUEUED,
    ).update(status=status, failure_reason=reason, updated_at=timezone.now())
    if dropped:
        logger.info("Consent %s: %s waiting opt-in requests not sent", consent.pk, dropped)
    return dropped


@transaction.atomic
def consent_grant(
    *, inbound_message: Message, source: str, keyword: str, confirm: bool = True
) -> ConsentEvent | None:
    """Opt a phone in because the contact said so in `inbound_message`.

    Only a text received from the phone itself can grant consent; there is no
    way for an agent or admin to do it. From opted out, only START, YES or
    UNSTOP (or Twilio's START) count. A phone already opted in changes
    nothing. Raises ConsentRefused for anything but an inbound text.
    """
    if inbound_message.direction != Message.Direction.INBOUND or inbound_message.pk is None:
        raise ConsentRefused("Only the contact's own reply can opt them in.")
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
    _settle_reviews(consent, event, received_before=inbound_message.created_at)
    _drop_waiting_optin_requests(consent)
    if confirm:
        _send_auto_text(
            bay_number=bay_number,
            phone=phone,
            kind=Message.Kind.OPTIN_CONFIRMATION,
            text_builder=texts.optin_confirmation,
        )
    return event


# Twilio's Advanced Opt-Out names what the contact did in `OptOutType`.
_OPT_OUT_TYPES = {"STOP": ReplyKind.OPT_OUT, "START": ReplyKind.OPT_IN, "HELP": ReplyKind.HELP}


def reply_needs_action(*, body: str, opt_out_type: str = "") -> bool:
    """Whether `consent_apply_reply` would do anything with such a reply: an
    opt-out, an opt-in, HELP, Twilio's OptOutType, or a possible opt-out to
    review. The webhook stores any other text as processed already."""
    if str(opt_out_type or "").strip().upper() in _OPT_OUT_TYPES:
        return True
    reply = classify(body)
    return reply.kind != ReplyKind.OTHER or reply.possible_opt_out


def _reply_meaning(message: Message):
    """(kind, keyword, source, by_twilio, possible_opt_out) of an inbound text.

    Twilio's `OptOutType` (Advanced Opt-Out) is trusted when present; the
    classifier decides otherwise.
    """
    opt_out_type = message.raw_payload.get("OptOutType", "")
    if isinstance(opt_out_type, list):
        # A repeated field is stored as a list; read it as the webhook did
        # (QueryDict.get gives the last value).
        opt_out_type = opt_out_type[-1] if opt_out_type else ""
    opt_out_type = str(opt_out_type).strip().upper()
    reply = classify(message.body)
    if opt_out_type in _OPT_OUT_TYPES:
        source = ConsentEvent.Source.TWILIO_OPT_OUT_TYPE
        kind = _OPT_OUT_TYPES[opt_out_type]
        # The ledger keeps the contact's own word (STOPALL, REVOKE) when it
        # means what Twilio says, and Twilio's type otherwise.
        keyword = reply.keyword if reply.kind == kind and reply.keyword else opt_out_type.lower()
        return kind, keyword, source, True, False
    source = ConsentEvent.Source.INBOUND_KEYWORD
    return reply.kind, reply.keyword, source, False, reply.possible_opt_out


def consent_apply_reply(*, message: Message) -> ReplyKind:
    """Act on an inbound text: opt out, opt in, answer HELP, flag it, or nothing.

    When Twilio's Advanced Opt-Out set `OptOutType`, that field decides and
    Twilio has already sent the confirmation or help text, so none is sent
    here. A reply that may be an opt-out opens a review (`OptOutReview`).
    """
    kind, keyword, source, by_twilio, possible = _reply_meaning(message)
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
    elif possible:
        optout_review_open(message=message, flagged_by=keyword)
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
        extra={"message_id": message.pk, "error_code": error_code},
        confirm=False,
    )


@transaction.atomic
def consent_record_optout(
    *, bay_number, phone: str, actor, channel: str, note: str
) -> ConsentEvent | None:
    """Record an opt-out the contact gave another way (a call, an e-mail).

    The actor must own the BAY Number or be an admin of its brokerage
    (PermissionDenied otherwise) and must say how and what the contact said
    (ValidationError). No confirmation text: the contact did not text, and
    FCC rules allow a confirmation only within five minutes of a texted
    request. Returns None when the phone was already opted out.
    """
    if not can_manage(actor, bay_number):
        raise PermissionDenied("You can record opt-outs only for your own BAY Numbers.")
    note = (note or "").strip()
    if channel not in OPTOUT_CHANNELS:
        raise ValidationError("Say how the contact told you.", code="channel")
    if not note:
        raise ValidationError("Add a note: when and how the contact asked.", code="note")

    return consent_revoke(
        bay_number=bay_number,
        phone=phone,
        source=actor_source(actor),
        acting_user=actor,
        note=note,
        extra={"channel": channel},
        confirm=False,
    )


@transaction.atomic
def optout_review_open(*, message: Message, flagged_by: str) -> OptOutReview | None:
    """Open a review of an inbound text that may be an opt-out.

    The deadline is 10 business days from the reply (`optin.deadlines`).
    Nothing is opened for a phone already opted out, and a text is reviewed
    at most once.
    """
    consent = Consent.objects.filter(
        bay_number_id=message.bay_number_id, phone=message.from_phone
    ).first()
    if consent is not None and consent.state == ConsentState.OPTED_OUT:
        return None

    review, created = OptOutReview.objects.get_or_create(
        inbound_message=message,
        defaults={
            "bay_number_id": message.bay_number_id,
            "phone": message.from_phone,
            "flagged_by": flagged_by[:40],
            "received_at": message.created_at,
            "deadline": review_deadline(message.created_at),
        },
    )
    if created:
        logger.info("Message %s flagged as a possible opt-out: review %s", message.pk, review.pk)
    return review


def _decide_review_event(review: OptOutReview, *, opt_out: bool, source, actor, note: str):
    """Write the ledger row of a review decision and return it."""
    extra = {"review_id": review.pk, "deadline": review.deadline.isoformat()}
    if note:
        extra["note"] = note
    evidence = {
        "acting_user": actor,
        "keyword": review.flagged_by,
        "extra_data": extra,
        **_evidence(review.inbound_message),
    }
    consent = _lock_consent(bay_number=review.bay_number, phone=review.phone)
    if opt_out and consent.state != ConsentState.OPTED_OUT:
        event = _record(
            consent,
            new_state=ConsentState.OPTED_OUT,
            event_type=ConsentEvent.EventType.OPTED_OUT,
            source=source,
            **evidence,
        )
        _settle_reviews(consent, event, except_review=review)
        return event
    event_type = (
        ConsentEvent.EventType.REVIEW_UPHELD if opt_out else ConsentEvent.EventType.REVIEW_DISMISSED
    )
    return _record(
        consent, new_state=consent.state, event_type=event_type, source=source, **evidence
    )


def _lock_review(review_id: int) -> OptOutReview:
    return (
        OptOutReview.objects.select_for_update()
        .select_related("bay_number", "inbound_message")
        .get(pk=review_id)
    )


def _require_open(review: OptOutReview) -> None:
    if not review.is_open:
        raise ReviewClosed(
            f"This possible opt-out was already decided ({review.get_decision_display()})."
        )


@transaction.atomic
def optout_review_decide(*, review_id: int, actor, opt_out: bool, note: str = "") -> OptOutReview:
    """Decide a possible opt-out: an opt-out, or not one.

    The actor must own the BAY Number or be an admin of its brokerage
    (PermissionDenied). Either way one ledger row is written: an opt-out
    (no confirmation text, as for every opt-out decided after the fact), or
    `review_dismissed` with the state unchanged. Raises ReviewClosed when it
    was decided already.
    """
    review = _lock_review(review_id)
    if not can_manage(actor, review.bay_number):
        raise PermissionDenied("Only the BAY Number's agent or a brokerage admin can decide.")
    _require_open(review)

    note = (note or "").strip()
    event = _decide_review_event(
        review, opt_out=opt_out, source=actor_source(actor), actor=actor, note=note
    )
    review.decision = (
        OptOutReview.Decision.OPT_OUT if opt_out else OptOutReview.Decision.NOT_OPT_OUT
    )
    review.decided_at = event.occurred_at
    review.decided_by = actor
    review.note = note
    review.consent_event = event
    review.save()
    logger.info("Review %s decided %s by user %s", review.pk, review.decision, actor.pk)
    return review


@transaction.atomic
def optout_review_expire(*, review_id: int, now=None) -> OptOutReview | None:
    """Treat a review still open at its deadline as an opt-out (source
    `review_deadline`). Returns None when it is decided or not yet due."""
    now = now or timezone.now()
    review = _lock_review(review_id)
    if not review.is_open or review.deadline > now:
        return None

    event = _decide_review_event(
        review, opt_out=True, source=ConsentEvent.Source.REVIEW_DEADLINE, actor=None, note=""
    )
    review.decision = OptOutReview.Decision.DEADLINE
    review.decided_at = event.occurred_at
    review.consent_event = event
    review.save()
    logger.info("Review %s reached its deadline; event %s", review.pk, event.pk)
    return review


def _require_admin_of(actor, brokerage_id: int) -> None:
    if not (actor.is_brokerage_admin and actor.brokerage_id == brokerage_id):
        raise PermissionDenied("Only an admin of the brokerage can change its do-not-text list.")


@transaction.atomic
def do_not_text_add(*, brokerage, phone: str, actor, note: str = "") -> DoNotTextEntry:
    """Put a phone on the brokerage's do-not-text list (admins only).

    Raises ValidationError for a phone that is not one or is on the list
    already. Writes no consent ledger row: see `DoNotTextEntry`.
    """
    _require_admin_of(actor, brokerage.pk)
    try:
        phone = normalize_phone(phone)
    except InvalidPhoneNumber as error:
        raise ValidationError(str(error), code="phone") from None

    try:
        with transaction.atomic():
            entry = DoNotTextEntry.objects.create(
                brokerage=brokerage, phone=phone, note=(note or "").strip(), added_by=actor
            )
    except IntegrityError:
        raise ValidationError("That phone is on the list already.", code="duplicate") from None
    logger.info("Do-not-text entry %s added by user %s", entry.pk, actor.pk)
    return entry


def _lock_active_entry(entry_id: int, actor) -> DoNotTextEntry:
    entry = DoNotTextEntry.objects.select_for_update().get(pk=entry_id, removed_at__isnull=True)
    _require_admin_of(actor, entry.brokerage_id)
    return entry


@transaction.atomic
def do_not_text_update(*, entry_id: int, actor, note: str) -> DoNotTextEntry:
    """Change the note of an entry still on the list (admins only)."""
    entry = _lock_active_entry(entry_id, actor)
    entry.note = (note or "").strip()
    entry.save(update_fields=["note", "updated_at"])
    logger.info("Do-not-text entry %s note changed by user %s", entry.pk, actor.pk)
    return entry


@transaction.atomic
def do_not_text_remove(*, entry_id: int, actor) -> DoNotTextEntry:
    """Take a phone off the list (admins only); the entry stays as history."""
    entry = _lock_active_entry(entry_id, actor)
    entry.removed_at = timezone.now()
    entry.removed_by = actor
    entry.save(update_fields=["removed_at", "removed_by", "updated_at"])
    logger.info("Do-not-text entry %s removed by user %s", entry.pk, actor.pk)
    return entry
