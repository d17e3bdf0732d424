"""Celery tasks of the registration: submitting to Twilio, and polling
Twilio's review. They take primary keys, never rows."""

import collections
import logging
import random

from celery import shared_task
from django.db.models import Q

from registration import submission
from registration.models import Brand, RegistrationStatus
from registration.twilio_api import TwilioApi, TwilioApiError

logger = logging.getLogger(__name__)

SUBMIT_MAX_RETRIES = 5
_WAITING = [RegistrationStatus.SUBMITTED, RegistrationStatus.IN_REVIEW]


@shared_task(bind=True, max_retries=SUBMIT_MAX_RETRIES, acks_late=True)
def submit_registration(self, brokerage_id: int) -> None:
    """Submit the brokerage's registration to Twilio; retry transient errors
    with exponential backoff, then record the failure for the admin."""
    try:
        submission.submission_run(brokerage_id)
    except TwilioApiError as error:
        # Celery's retry() re-raises `exc` itself once retries run out, so the
        # last attempt is recognised here rather than by MaxRetriesExceededError.
        if self.request.retries >= SUBMIT_MAX_RETRIES:
            submission.submission_give_up(brokerage_id, error)
            return
        countdown = round(random.uniform(0.5, 1.0) * min(600, 30 * 2**self.request.retries))
        logger.warning("Submission of brokerage %s: retry in %ss", brokerage_id, countdown)
        raise self.retry(exc=error, countdown=countdown) from error


@shared_task
def poll_registrations() -> dict[str, int]:
    """Check every brand and campaign under review with Twilio, register the
    campaigns of newly approved brands, and retry submissions left behind.

    Each registration is claimed while it is polled, so overlapping runs
    skip what another run holds. Returns counts of what was checked and found.
    """
    waiting = (
        Brand.objects.filter(Q(status__in=_WAITING) | Q(brokerage__campaign__status__in=_WAITING))
        .values_list("brokerage_id", flat=True)
        .distinct()
    )
    counts = collections.Counter()
    api = None
    for brokerage_id in waiting:
        counts["checked"] += 1
        try:
            api = api or TwilioApi.from_settings()
        except TwilioApiError as error:
            logger.error("Cannot poll registrations: %s", error)
            break
        outcome = submission.registration_poll(brokerage_id, api=api)
        if outcome:
            counts[str(outcome)] += 1
    result = {"checked": counts["checked"], **{k: v for k, v in counts.items() if k != "checked"}}
    logger.info("Polled registrations: %s", result)
    return result
