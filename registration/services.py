"""Every change to a brokerage's registration and its alerts. Each service
runs in one transaction; submission itself runs later, in a Celery task."""

import functools
import logging

from celery.exceptions import Retry
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from messaging import holds
from messaging.models import BayNumber
from registration import checks, selectors
from registration.models import Brand, Campaign, RegistrationAlert, RegistrationStatus

logger = logging.getLogger(__name__)

_IN_PROGRESS = {
    RegistrationStatus.SUBMITTED,
    RegistrationStatus.IN_REVIEW,
    RegistrationStatus.APPROVED,
}


class RegistrationRefused(Exception):
    """The change is not allowed now; `problems` lists what to fix, if any."""

    def __init__(self, message: str, problems: list[checks.Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


def _save_draft(obj, fields: dict, what: str):
    if obj.pk and not obj.is_editable:
        raise RegistrationRefused(
            f"The {what} is {obj.get_status_display().lower()} at Twilio and cannot change now."
        )
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save()
    return obj


@transaction.atomic
def brand_save_draft(*, admin, fields: dict) -> Brand:
    """Save the admin's brokerage's brand as typed, complete or not.

    Raises RegistrationRefused while the brand is at Twilio for review.
    """
    brand = Brand.objects.select_for_update().filter(brokerage=admin.brokerage).first()
    brand = _save_draft(brand or Brand(brokerage=admin.brokerage), fields, "brand")
    logger.info("Admin %s saved the brand draft of brokerage %s", admin.pk, brand.brokerage_id)
    return brand


@transaction.atomic
def campaign_save_draft(*, admin, fields: dict) -> Campaign:
    """Save the admin's brokerage's campaign as typed, complete or not.

    Raises RegistrationRefused while the campaign is at Twilio for review.
    """
    campaign = Campaign.objects.select_for_update().filter(brokerage=admin.brokerage).first()
    campaign = campaign or selectors.suggested_campaign(admin.brokerage)
    campaign = _save_draft(campaign, fields, "campaign")
    logger.info(
        "Admin %s saved the campaign draft of brokerage %s", admin.pk, campaign.brokerage_id
    )
    return campaign


@transaction.atomic
def registration_submit(*, admin) -> None:
    """Submit the brokerage's registration, if every check passes.

    The brand goes too unless Twilio already approved it; the submission
    task is enqueued when the transaction commits. Raises RegistrationRefused
    with the problems otherwise.
    """
    brand = Brand.objects.select_for_update().filter(brokerage=admin.brokerage).first()
    campaign = Campaign.objects.select_for_update().filter(brokerage=admin.brokerage).first()
    if brand is None or campaign is None:
        raise RegistrationRefused("Fill in and save the brand and the campaign first.")
    if selectors.overall_status(brand, campaign) in _IN_PROGRESS:
        raise RegistrationRefused("This registration is already with Twilio.")
    problems = checks.check_registration(brand, campaign)
    if problems:
        raise RegistrationRefused("Fix these before submitting.", problems)

    now = timezone.now()
    if brand.status != RegistrationStatus.APPROVED:
        brand.status, brand.failure_reason, brand.submitted_at = "submitted", "", now
        brand.save(update_fields=["status", "failure_reason", "submitted_at", "updated_at"])
    campaign.status, campaign.failure_reason, campaign.submitted_at = "submitted", "", now
    campaign.save(update_fields=["status", "failure_reason", "submitted_at", "updated_at"])
    logger.info("Admin %s submitted the registration of brokerage %s", admin.pk, brand.brokerage_id)
    transaction.on_commit(functools.partial(enqueue_submission, brand.brokerage_id))


def enqueue_submission(brokerage_id: int) -> None:
    """Hand the submission to Celery. If the broker is down, or Twilio fails
    in a way worth retrying, the registration stays "submitted" and the
    periodic poll takes it further."""
    from registration.tasks import submit_registration

    try:
        submit_registration.delay(brokerage_id)
    except Retry:
        # Run in-process (no broker), a transient Twilio error ends the eager
        # task with Retry; the registration stays submitted for the poll.
        logger.warning("Submission of brokerage %s will be retried by the poll", brokerage_id)
    except Exception:
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise
        logger.exception("Could not enqueue the submission of brokerage %s", brokerage_id)


def alert_campaign_problem(*, bay_number_id: int | None, code, reason: str):
    """Tell the brokerage's admins that carriers refuse a BAY Number's texts
    because of its registration (e.g. error 30034, campaign not registered).

    It concerns every text of that number, not one contact, so one open alert
    per number and code counts the repeats. Logs an ERROR for operators.
    """
    bay_number = BayNumber.objects.filter(pk=bay_number_id).first()
    if bay_number is None:
        logger.error("Carrier error %s for a text without a BAY Number", code)
        return None
    now = timezone.now()
    with transaction.atomic():
        alert = (
            RegistrationAlert.objects.select_for_update()
            .filter(bay_number=bay_number, error_code=str(code), dismissed_at__isnull=True)
            .first()
        )
        if alert is None:
            alert = RegistrationAlert.objects.create(
                brokerage_id=bay_number.brokerage_id,
                bay_number=bay_number,
                error_code=str(code),
                reason=reason[:300],
                last_seen_at=now,
            )
        else:
            RegistrationAlert.objects.filter(pk=alert.pk).update(
                occurrences=F("occurrences") + 1, last_seen_at=now
            )
    logger.error(
        "BAY Number %s cannot send: carrier error %s; alert %s raised for the admins "
        "of brokerage %s",
        bay_number.pk,
        code,
        alert.pk,
        bay_number.brokerage_id,
    )
    return alert


@transaction.atomic
def alert_dismiss(*, admin, alert_id: int) -> None:
    """Dismiss one of the admin's brokerage's open alerts; a repeat of the
    error raises a new one."""
    updated = RegistrationAlert.objects.filter(
        pk=alert_id, brokerage=admin.brokerage, dismissed_at__isnull=True
    ).update(dismissed_at=timezone.now(), dismissed_by=admin)
    if updated:
        logger.info("Admin %s dismissed alert %s", admin.pk, alert_id)
        # Clearing the alert is the admin saying the number may try again:
        # its texts held since the carrier's 30034 go out.
        alert = RegistrationAlert.objects.select_related("bay_number").get(pk=alert_id)
        if alert.bay_number is not None:
            holds.bay_number_resume_sending(bay_number=alert.bay_number, actor=admin)
