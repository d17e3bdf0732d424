"""Celery tasks of the messaging app. They take primary keys, never rows."""

import logging
import random

from celery import shared_task
from celery.exceptions import MaxRetriesExceededError

from messaging import services

logger = logging.getLogger(__name__)

SEND_MAX_RETRIES = 6


@shared_task(bind=True, max_retries=SEND_MAX_RETRIES, acks_late=True)
def send_sms(self, message_id: int) -> None:
    """Send one queued text; retry transient provider errors with exponential
    backoff and jitter, then mark the text failed."""
    try:
        services.sms_deliver(message_id)
    except services.TransientSendError as error:
        countdown = _backoff(self.request.retries)
        logger.warning(
            "Message %s: retry %s in %ss", message_id, self.request.retries + 1, countdown
        )
        try:
            raise self.retry(exc=error, countdown=countdown)
        except MaxRetriesExceededError:
            _send_sms_failure(message_id, str(error))


def _backoff(retries: int) -> float:
    """Seconds before retry number `retries + 1`: 2, 4, 8, ... up to 5 minutes,
    with full jitter so that many failed texts do not retry in step."""
    ceiling = min(300, 2 ** (retries + 1))
    return round(random.uniform(ceiling / 2, ceiling), 2)


def _send_sms_failure(message_id: int, reason: str) -> None:
    services.sms_mark_failed(message_id, f"Gave up after {SEND_MAX_RETRIES} retries: {reason}")


@shared_task
def process_inbound(message_id: int) -> None:
    """Act on a stored inbound text (used to retry one whose handling failed)."""
    services.inbound_process(message_id)
