"""Celery tasks of the consent app. They take primary keys, never rows."""

import logging

from celery import shared_task
from django.utils import timezone

from messaging.locks import job_lock
from optin import services
from optin.models import OptOutReview

logger = logging.getLogger(__name__)

# Reviews handled per run; the rest wait for the next run (every 15 minutes).
EXPIRE_BATCH = 500


@shared_task
def expire_optout_reviews() -> dict[str, int]:
    """Treat every possible opt-out still open at its deadline as an opt-out.

    Runs from `celery beat` (CELERY_BEAT_SCHEDULE); locked so that two runs
    never overlap, and each review is decided under its own row lock, so a
    reviewer deciding at the same moment wins or loses cleanly. Returns
    counts: `expired` reviews, of which `opted_out` changed consent, and
    `skipped` (1 when another run held the lock).
    """
    counts = {"expired": 0, "opted_out": 0, "skipped": 0}
    with job_lock("expire_optout_reviews", timeout=600) as held:
        if not held:
            logger.info("expire_optout_reviews is already running; skipped")
            counts["skipped"] = 1
            return counts

        now = timezone.now()
        due = list(
            OptOutReview.objects.filter(decided_at__isnull=True, deadline__lte=now)
            .order_by("deadline", "id")
            .values_list("pk", flat=True)[:EXPIRE_BATCH]
        )
        for review_id in due:
            review = services.optout_review_expire(review_id=review_id, now=now)
            if review is None:
                continue
            counts["expired"] += 1
            if review.consent_event.event_type == review.consent_event.EventType.OPTED_OUT:
                counts["opted_out"] += 1
    logger.info("expire_optout_reviews: %s", counts)
    return counts
