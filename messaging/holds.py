"""Holding a BAY Number's sending, and resuming it.

When the carrier says a number's campaign is not registered (Twilio 30034)
it will refuse every text of that number, so its queued texts wait rather
than fail one by one. The hold lifts when a brokerage admin clears the alert
(`registration.services.alert_dismiss`) or the campaign is approved
(`registration.submission.apply_campaign_state`); the texts that waited are
then queued.
"""

import functools
import logging

from django.db import transaction
from django.utils import timezone

from messaging.models import BayNumber, Message
from messaging.outbox import dispatch_soon

logger = logging.getLogger(__name__)


def bay_number_hold_sending(*, bay_number_id: int, reason: str) -> bool:
    """Hold a BAY Number's sending; return whether this call put the hold on.

    The admins' alert is raised by `registration.services.alert_campaign_problem`.
    """
    held = BayNumber.objects.filter(pk=bay_number_id, sending_held_at__isnull=True).update(
        sending_held_at=timezone.now(),
        sending_held_reason=reason[:300],
        updated_at=timezone.now(),
    )
    if held:
        logger.warning("BAY Number %s: sending held until it is resumed", bay_number_id)
    return bool(held)


@transaction.atomic
def bay_number_resume_sending(*, bay_number: BayNumber, actor=None) -> int:
    """Lift a BAY Number's hold and queue, on commit, the texts that waited.
    Returns how many were waiting (0, changing nothing, if it was not held)."""
    resumed = BayNumber.objects.filter(pk=bay_number.pk, sending_held_at__isnull=False).update(
        sending_held_at=None, sending_held_reason="", updated_at=timezone.now()
    )
    bay_number.sending_held_at, bay_number.sending_held_reason = None, ""
    if not resumed:
        return 0

    waiting = Message.objects.filter(
        bay_number=bay_number, direction=Message.Direction.OUTBOUND, status=Message.Status.QUEUED
    ).count()
    logger.info(
        "BAY Number %s resumed sending (by user %s); %s texts waiting",
        bay_number.pk,
        getattr(actor, "pk", "-"),
        waiting,
    )
    transaction.on_commit(functools.partial(dispatch_soon, [bay_number.pk]))
    return waiting


def brokerage_resume_sending(*, brokerage_id: int, actor=None) -> int:
    """Resume every held BAY Number of a brokerage (its campaign was
    approved); return how many texts had waited."""
    held = BayNumber.objects.filter(brokerage_id=brokerage_id, sending_held_at__isnull=False)
    return sum(bay_number_resume_sending(bay_number=number, actor=actor) for number in held)
