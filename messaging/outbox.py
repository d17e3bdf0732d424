"""The transactional outbox: a text is a row before it is a task.

`outbox_add` writes the queued row; its task goes to Celery only after the
surrounding transaction commits, so a worker never looks for a row that a
rollback took away. A text that must wait for the recipient's daytime gets
`not_before` and no task at all: a Celery countdown of hours would outlive
the broker's visibility timeout. `outbox_dispatch`, run every few seconds by
Celery beat, queues what is due: texts whose window opened, texts whose task
was lost (Redis down or emptied), and a BAY Number's backlog a little at a
time, at the pace its rate limit allows.
"""

import datetime
import functools
import logging
import math
from collections import Counter, defaultdict

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import RedisError

from messaging import quiet_hours, ratelimit, redis_client
from messaging.models import Message

logger = logging.getLogger(__name__)


def status_callback_url() -> str:
    """Return the public URL Twilio posts delivery status callbacks to."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("messaging:twilio_status")


def outbox_add(
    *, bay_number, to_phone: str, body: str, kind: str, contact=None, sent_by=None
) -> Message:
    """Write a queued outbound text and enqueue its task on commit.

    The caller has already asked the consent gate; the worker asks again.
    Outside the recipient's sending window the text waits, with `not_before`
    saying until when, and the dispatcher queues it then.
    """
    now = timezone.now()
    not_before = quiet_hours.send_after(phone=to_phone, kind=kind, at=now)
    message = Message.objects.create(
        direction=Message.Direction.OUTBOUND,
        kind=kind,
        bay_number=bay_number,
        contact=contact,
        from_phone=bay_number.phone_number,
        to_phone=to_phone,
        body=body,
        status=Message.Status.QUEUED,
        sent_by=sent_by,
        not_before=not_before,
        dispatched_at=None if not_before else now,
    )
    if not_before:
        logger.info("Queued %s message %s to go after %s", kind, message.pk, not_before)
    else:
        logger.info("Queued %s message %s", kind, message.pk)
        transaction.on_commit(functools.partial(enqueue_send, message.pk))
    return message


def outbox_add_many(*, bay_number, texts, kind: str, sent_by=None, bulk_send=None) -> int:
    """Write many queued texts in one insert; the dispatcher paces them out.

    `texts` holds (contact, body) pairs the gate already allowed; a contact
    needs `pk` and `phone` (a Contact or a bulk Recipient). Returns the
    number written. Nothing is enqueued here: the caller kicks the
    dispatcher on commit, which queues them at the number's rate.
    """
    now = timezone.now()
    rows = [
        Message(
            direction=Message.Direction.OUTBOUND,
            kind=kind,
            bay_number=bay_number,
            contact_id=contact.pk,
            from_phone=bay_number.phone_number,
            to_phone=contact.phone,
            body=body,
            status=Message.Status.QUEUED,
            sent_by=sent_by,
            bulk_send=bulk_send,
            not_before=quiet_hours.send_after(phone=contact.phone, kind=kind, at=now),
        )
        for contact, body in texts
    ]
    Message.objects.bulk_create(rows, batch_size=500)
    logger.info("Queued %s %s messages from BAY Number %s", len(rows), kind, bay_number.pk)
    return len(rows)


def enqueue_send(message_id: int, countdown: float = 0, *, retries: int = 0) -> bool:
    """Hand the text to Celery, its task having used `retries` retries
    already. If the broker is down the row stays queued, marked
    undispatched, and the dispatcher sends it later: nothing is lost."""
    from messaging.tasks import send_sms

    try:
        send_sms.apply_async((message_id,), countdown=countdown or None, retries=retries)
    except Exception:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.exception("Could not enqueue message %s; it stays queued", message_id)
        Message.objects.filter(pk=message_id, status=Message.Status.QUEUED).update(
            dispatched_at=None
        )
        return False
    return True


def dispatch_soon(bay_number_ids: list[int]) -> None:
    """Ask a worker to queue these numbers' due texts now rather than at the
    next periodic run; if the broker is down, that run will do it."""
    from messaging.tasks import dispatch_queued_sms

    try:
        dispatch_queued_sms.delay(bay_number_ids=bay_number_ids)
    except Exception:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.exception("Could not ask for a dispatch of BAY Numbers %s", bay_number_ids)


def _due(now: datetime.datetime, bay_number_ids=None):
    """Queued outbound texts that may go now and have no live task."""
    lost_before = now - datetime.timedelta(seconds=settings.SMS_REQUEUE_AFTER_SECONDS)
    due = Message.objects.filter(
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.QUEUED,
        bay_number__sending_held_at__isnull=True,
    ).filter(
        Q(not_before__isnull=True) | Q(not_before__lte=now),
        Q(dispatched_at__isnull=True) | Q(dispatched_at__lt=lost_before),
    )
    if bay_number_ids is not None:
        due = due.filter(bay_number_id__in=bay_number_ids)
    return due


def _in_flight(now: datetime.datetime, bay_number_ids) -> dict[int, int]:
    """How many texts of each number already have a live task."""
    lost_before = now - datetime.timedelta(seconds=settings.SMS_REQUEUE_AFTER_SECONDS)
    rows = (
        Message.objects.filter(
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.QUEUED,
            bay_number_id__in=bay_number_ids,
            dispatched_at__gte=lost_before,
        )
        .values("bay_number_id")
        .annotate(count=Count("id"))
    )
    return {row["bay_number_id"]: row["count"] for row in rows}


def _plan(candidates, in_flight: dict[int, int], paced: bool) -> list[tuple[int, float]]:
    """Pick (message id, countdown) pairs: per number, at most what its rate
    sends within the horizon, spaced one slot apart after its live tasks.

    With a brokerage (campaign) limit, the numbers of a brokerage that have
    texts to go share it evenly: paced each at its own rate, they would ask
    for more than the campaign allows, and the texts of the number whose
    tasks came back a few milliseconds later would lose every slot."""
    by_number = defaultdict(list)
    for message_id, bay_number_id, rate, brokerage_id in candidates:
        by_number[(bay_number_id, rate, brokerage_id)].append(message_id)
    sharing = Counter(brokerage_id for _, _, brokerage_id in by_number)

    chosen = []
    for (bay_number_id, rate, brokerage_id), ids in by_number.items():
        if not paced:
            chosen += [(message_id, 0.0) for message_id in ids]
            continue
        rate = float(rate or settings.SMS_DEFAULT_RATE_MPS)
        if settings.SMS_BROKERAGE_RATE_MPS:
            rate = min(rate, settings.SMS_BROKERAGE_RATE_MPS / sharing[brokerage_id])
        ahead = in_flight.get(bay_number_id, 0)
        room = max(0, math.ceil(rate * settings.SMS_DISPATCH_HORIZON_SECONDS) - ahead)
        chosen += [
            (message_id, round((ahead + index) / rate, 3))
            for index, message_id in enumerate(ids[:room])
        ]
    return chosen


def _broker_came_back_empty() -> bool:
    """Whether the broker's Redis lost its data since the last periodic run
    (restarted without saving it): a marker key only this sets is missing.
    Only known when SMS_REDIS_URL is the broker's Redis, as by default."""
    client = redis_client.get_redis()
    if client is None or settings.SMS_REDIS_URL != settings.CELERY_BROKER_URL:
        return False
    try:
        return bool(client.set(redis_client.key("outbox", "broker-has-data"), "1", nx=True))
    except RedisError:
        return False


def _forget_dispatches() -> None:
    """Every queued text's task went with the broker's data; without this
    they would wait SMS_REQUEUE_AFTER_SECONDS before going again. A task
    that did survive finds its text already claimed when the new one ran,
    and does nothing."""
    forgotten = Message.objects.filter(
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.QUEUED,
        dispatched_at__isnull=False,
    ).update(dispatched_at=None)
    if forgotten:
        logger.warning("Redis came back without its data: %s queued texts go again", forgotten)


def outbox_dispatch(*, now=None, bay_number_ids=None) -> dict[str, int]:
    """Queue every text that is due and has no live task, paced per number.

    Rows are picked with SKIP LOCKED and stamped `dispatched_at` before the
    tasks go out on commit, so two dispatchers never queue the same text.
    Returns counts: how many were queued, how many of those had lost their
    task or had waited for their window, and how many the pacing left for
    a later run.
    """
    now = now or timezone.now()
    paced = ratelimit.is_active()
    if bay_number_ids is None and _broker_came_back_empty():
        _forget_dispatches()
    with transaction.atomic():
        candidates = list(
            _due(now, bay_number_ids)
            .select_for_update(skip_locked=True, of=("self",))
            .order_by("id")
            .values_list(
                "id",
                "bay_number_id",
                "bay_number__send_rate_mps",
                "bay_number__brokerage_id",
                "dispatched_at",
                "not_before",
            )[: settings.SMS_DISPATCH_BATCH]
        )
        numbers = {row[1] for row in candidates}
        in_flight = _in_flight(now, numbers) if paced else {}
        chosen = _plan([row[:4] for row in candidates], in_flight, paced)
        Message.objects.filter(pk__in=[message_id for message_id, _ in chosen]).update(
            dispatched_at=now
        )
        for message_id, countdown in chosen:
            transaction.on_commit(functools.partial(enqueue_send, message_id, countdown))

    chosen_ids = {message_id for message_id, _ in chosen}
    picked = [row for row in candidates if row[0] in chosen_ids]
    counts = {
        "dispatched": len(chosen),
        "requeued_lost": sum(1 for row in picked if row[4] is not None),
        "window_opened": sum(1 for row in picked if row[5] is not None),
        "left_for_later": len(candidates) - len(chosen),
    }
    if chosen:
        logger.info("Dispatched queued messages: %s", counts)
    return counts
