"""Celery tasks of the messaging app. They take primary keys, never rows.

The periodic ones (see CELERY_BEAT_SCHEDULE) each hold a lock so two runs
never overlap, and return a dict of counts.
"""

import logging
import random

from celery import shared_task

from messaging import outbox, services
from messaging.locks import job_lock

logger = logging.getLogger(__name__)

SEND_MAX_RETRIES = 6
# Spread re-scheduled sends a little, so workers that were refused together
# do not all come back in the same millisecond.
RATE_LIMIT_JITTER_SECONDS = 0.05


@shared_task(bind=True, max_retries=SEND_MAX_RETRIES, acks_late=True)
def send_sms(self, message_id: int) -> str:
    """Send one queued text.

    At the BAY Number's rate limit the task is queued again for when a slot
    frees: not a retry, so it uses none of the retries, but the new task
    carries the count of those already used. Transient provider errors are
    retried with exponential backoff and jitter; when the retries run out
    the text is marked failed.
    """
    try:
        return services.sms_deliver(message_id)
    except services.RateLimited as limited:
        countdown = limited.wait + random.uniform(0, RATE_LIMIT_JITTER_SECONDS)
        outbox.enqueue_send(message_id, countdown, retries=self.request.retries or 0)
        return "rate_limited"
    except services.TransientSendError as error:
        if self.request.retries >= self.max_retries:
            _send_sms_failure(message_id, str(error))
            return "failed"
        countdown = _backoff(self.request.retries)
        logger.warning(
            "Message %s: retry %s in %ss", message_id, self.request.retries + 1, countdown
        )
        if self.request.is_eager:
            # In-process there is no broker to wait in; returning the Retry
            # lets Celery's eager apply() run the next attempt straight away.
            return self.retry(exc=error, countdown=countdown, throw=False)
        raise self.retry(exc=error, countdown=countdown) from error


def _backoff(retries: int) -> float:
    """Seconds before retry number `retries + 1`: 2, 4, 8, ... up to 5 minutes,
    with jitter over the upper half so that many failed texts do not retry in
    step."""
    ceiling = min(300, 2 ** (retries + 1))
    return round(random.uniform(ceiling / 2, ceiling), 2)


def _send_sms_failure(message_id: int, reason: str) -> None:
    services.sms_mark_failed(message_id, f"Gave up after {SEND_MAX_RETRIES} retries: {reason}")


@shared_task
def process_inbound(message_id: int) -> None:
    """Act on a stored inbound text (used to retry one whose handling failed)."""
    services.inbound_process(message_id)


@shared_task
def dispatch_queued_sms(bay_number_ids: list[int] | None = None) -> dict[str, int]:
    """Queue the texts that are due: their window opened, their number's hold
    lifted, their task was lost, or their number's backlog moves on."""
    name = "dispatch" if bay_number_ids is None else f"dispatch:{sorted(bay_number_ids)}"
    with job_lock(name, timeout=300) as acquired:
        if not acquired:
            return {"skipped": 1}
        return outbox.outbox_dispatch(bay_number_ids=bay_number_ids)


@shared_task
def flag_stuck_sms() -> dict[str, int]:
    """Show texts stuck in sending for review, and apply status callbacks that
    arrived before their text's SID was recorded."""
    with job_lock("flag_stuck_sms", timeout=300) as acquired:
        if not acquired:
            return {"skipped": 1}
        return {
            "flagged": services.sms_flag_stuck(),
            "receipts_applied": services.receipts_apply_waiting(),
        }


@shared_task
def retry_unprocessed_inbound() -> dict[str, int]:
    """Handle again the stored inbound texts whose handling failed."""
    with job_lock("retry_unprocessed_inbound", timeout=300) as acquired:
        if not acquired:
            return {"skipped": 1}
        return services.inbound_retry_unprocessed()
