"""Bulk send: one text, with merge fields, from an agent to many contacts.

The consent gate decides for every recipient in one query
(`check_send_many`), whatever their number; recipients it refuses, and
numbers Twilio already called invalid, are skipped with the reason, never
queued. The rest become rows in one insert and the dispatcher sends them at
the BAY Number's rate, so one bad number (21211) mid-way stops nothing
(FC-18): every recipient's text is its own task with its own result.
"""

import dataclasses
import logging
from collections import Counter
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from messaging.merge_fields import MERGE_FIELDS, merge, merge_values, unknown_fields
from messaging.models import BulkSend, Message
from messaging.outbox import dispatch_soon, outbox_add_many
from messaging.segments import twilio_length
from messaging.services import MAX_BODY_LENGTH, validate_body
from optin.gate import check_send_many

logger = logging.getLogger(__name__)

INVALID_NUMBER = "invalid_number"
DO_NOT_TEXT = "do_not_text"
DUPLICATE_PHONE = "duplicate_phone"
TOO_LONG = "too_long"
EMPTY = "empty"
_SKIP_LABELS = {
    INVALID_NUMBER: "Invalid number",
    DO_NOT_TEXT: "On the do-not-text list",
    DUPLICATE_PHONE: "Same phone as another recipient",
    TOO_LONG: f"Longer than {MAX_BODY_LENGTH:,} characters with the merge fields filled in",
    EMPTY: "Empty once the merge fields are filled in",
}


def _body_problem(body: str) -> str | None:
    """Why a merged body cannot be sent (a skip reason), or None."""
    if not body:
        return EMPTY
    if twilio_length(body) > MAX_BODY_LENGTH:
        return TOO_LONG
    return None


def validate_template(body: str) -> str:
    """Return the stripped template, or raise ValidationError for an empty or
    over-long body or a merge field that does not exist (the same fields as
    saved templates, `messaging.merge_fields`)."""
    body = validate_body(body)
    unknown = unknown_fields(body)
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in MERGE_FIELDS)
        listed = ", ".join(f"{{{name}}}" for name in unknown)
        raise ValidationError(
            f"Unknown merge field {listed}. You can use {known}.", code="unknown_field"
        )
    return body


def render(template: str, contact, agent) -> str:
    """The template with each merge field filled in for `contact`."""
    return merge(template, merge_values(contact=contact, agent=agent)).strip()


class Recipient(NamedTuple):
    """What the plan needs of a contact: a tuple, light enough that 10,000 of
    them cost ten times what 1,000 do (model instances made the garbage
    collector's passes grow with the count)."""

    pk: int
    first_name: str
    last_name: str
    phone: str
    invalid_phone_reason: str

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


_RECIPIENT_FIELDS = ("pk", "first_name", "last_name", "phone", "invalid_phone_reason")


def _recipients(contacts) -> list[Recipient]:
    if isinstance(contacts, QuerySet):
        return [Recipient(*row) for row in contacts.values_list(*_RECIPIENT_FIELDS)]
    return [Recipient(*(getattr(c, name) for name in _RECIPIENT_FIELDS)) for c in contacts]


@dataclasses.dataclass
class BulkPlan:
    """Who gets the text (recipient, body) and who is skipped, and why."""

    sendable: list[tuple[Recipient, str]] = dataclasses.field(default_factory=list)
    skipped: list[dict] = dataclasses.field(default_factory=list)

    def skip(self, contact: Recipient, code: str, label: str, reason: str = "") -> None:
        self.skipped.append(
            {
                "contact_id": contact.pk,
                "name": contact.full_name,
                "reason_code": code,
                "label": label,
                "reason": reason or label,
            }
        )


def bulk_plan(*, bay_number, contacts, template: str, agent=None) -> BulkPlan:
    """Decide for each contact whether the text goes, in a fixed number of
    queries whatever their number: the contacts, then the consent gate for
    all of their phones at once (`check_send_many`). `agent` (by default the
    BAY Number's) fills the {agent_name} and {brokerage} fields."""
    agent = agent or bay_number.agent
    recipients = _recipients(contacts)
    decisions = check_send_many(bay_number=bay_number, phones=[r.phone for r in recipients])
    plan, seen = BulkPlan(), set()
    for contact in recipients:
        decision = decisions[contact.phone]
        if contact.invalid_phone_reason:
            plan.skip(
                contact, INVALID_NUMBER, _SKIP_LABELS[INVALID_NUMBER], contact.invalid_phone_reason
            )
        elif contact.phone in seen:
            plan.skip(contact, DUPLICATE_PHONE, _SKIP_LABELS[DUPLICATE_PHONE])
        elif decision.do_not_text:
            plan.skip(contact, DO_NOT_TEXT, _SKIP_LABELS[DO_NOT_TEXT], decision.reason)
        elif not decision.allowed:
            state = decision.state
            plan.skip(contact, str(state), getattr(state, "label", str(state)), decision.reason)
        else:
            body = render(template, contact, agent).strip()
            problem = _body_problem(body)
            if problem:
                plan.skip(contact, problem, _SKIP_LABELS[problem])
            else:
                plan.sendable.append((contact, body))
        seen.add(contact.phone)
    return plan


@transaction.atomic
def bulk_send(*, agent, bay_number, body: str, contacts, submission=None) -> BulkSend:
    """Queue the agent's text to each of `contacts` the gate allows.

    `contacts` must be the agent's own (a queryset is fine). Raises
    PermissionDenied for another's BAY Number and ValidationError for a bad
    template or no recipients. The dispatcher is asked to start on commit.
    `submission` is the form's token: a second call with it, even at the
    same moment, queues nothing and returns the first call's bulk send.
    """
    if bay_number.agent_id != agent.pk or bay_number.released_at is not None:
        raise PermissionDenied("That BAY Number is not yours.")
    template = validate_template(body)
    earlier = _submitted(agent, submission)
    if earlier is not None:
        return earlier
    plan = bulk_plan(bay_number=bay_number, contacts=contacts, template=template, agent=agent)
    total = len(plan.sendable) + len(plan.skipped)
    if total == 0:
        raise ValidationError("Choose at least one contact.", code="no_recipients")

    try:
        with transaction.atomic():
            bulk = BulkSend.objects.create(
                agent=agent,
                bay_number=bay_number,
                body=template,
                recipients=total,
                queued=len(plan.sendable),
                skipped=plan.skipped,
                submission=submission,
            )
    except IntegrityError:
        # Posted twice at once: the unique submission made this one wait for
        # the other, which has queued the texts.
        return _submitted(agent, submission)
    outbox_add_many(
        bay_number=bay_number,
        texts=plan.sendable,
        kind=Message.Kind.REGULAR,
        sent_by=agent,
        bulk_send=bulk,
    )
    logger.info("Bulk send %s: %s queued, %s skipped", bulk.pk, bulk.queued, len(plan.skipped))
    transaction.on_commit(lambda: dispatch_soon([bay_number.pk]))
    return bulk


def _submitted(agent, submission) -> BulkSend | None:
    """The bulk send this form submission already made, if any."""
    if submission is None:
        return None
    earlier = BulkSend.objects.filter(agent=agent, submission=submission).first()
    if earlier is not None:
        logger.info("Bulk send %s submitted again; nothing more queued", earlier.pk)
    return earlier


def skipped_summary(bulk: BulkSend) -> list[tuple[str, int]]:
    """(reason, how many) for the skipped recipients, most common first."""
    return Counter(entry["label"] for entry in bulk.skipped).most_common()


_SENT = {Message.Status.SENT, Message.Status.DELIVERED}


def bulk_progress(bulk: BulkSend) -> dict:
    """How far the bulk send has got, in one query: texts waiting (some for
    their window), sent (handed to Twilio or beyond), delivered, and not
    sent. Caller selects the bulk's bay_number with it."""
    rows = bulk.messages.values("status").annotate(
        count=Count("id"),
        with_sid=Count("twilio_sid"),
        first_wait=Min("not_before"),
        for_window=Count("id", filter=Q(not_before__gt=timezone.now())),
    )
    counts = Counter(waiting=0, sent=0, delivered=0, not_sent=0, for_window=0)
    next_window = None
    for row in rows:
        status, count, with_sid = row["status"], row["count"], row["with_sid"]
        if status == Message.Status.SENDING:
            # With a SID Twilio has it; without, the call is under way.
            counts["sent"] += with_sid
            counts["waiting"] += count - with_sid
        elif status in _SENT:
            counts["sent"] += count
        elif status == Message.Status.QUEUED:
            counts["waiting"] += count
            counts["for_window"] += row["for_window"]
            next_window = row["first_wait"]
        else:
            # Failed, blocked (opted out, no consent, campaign not approved)
            # or held for review: finished, without going out.
            counts["not_sent"] += count
        if status == Message.Status.DELIVERED:
            counts["delivered"] += count
    finished = counts["sent"] + counts["not_sent"]
    return {
        "queued": bulk.queued,
        "skipped": len(bulk.skipped),
        **counts,
        "finished": finished,
        "percent": round(100 * finished / bulk.queued) if bulk.queued else 100,
        "done": counts["waiting"] == 0,
        # Worth polling: some texts are going now, not all waiting for
        # their window or for a held number.
        "active": counts["waiting"] > counts["for_window"] and not bulk.bay_number.sending_held_at,
        "next_window": next_window.isoformat() if next_window else None,
        "held_reason": bulk.bay_number.sending_held_reason,
    }
