"""The transactional outbox: a text is a row before it is a task.

`outbox_add` writes the queued row; the task is sent to Celery only after the
surrounding transaction commits, so a worker never looks for a row that a
rollback took away.
"""

import functools
import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse

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
    """
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
    )
    logger.info("Queued %s message %s", kind, message.pk)
    transaction.on_commit(functools.partial(enqueue_send, message.pk))
    return message


def enqueue_send(message_id: int) -> None:
    """Hand the text to Celery. If the broker is down the row stays queued and
    the periodic re-queue job sends it later, so nothing is lost."""
    from messaging.tasks import send_sms

    try:
        send_sms.delay(message_id)
    except Exception:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.exception("Could not enqueue message %s; it stays queued", message_id)
