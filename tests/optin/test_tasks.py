"""The periodic task that turns overdue possible opt-outs into opt-outs."""

import datetime

import pytest
import redis
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from messaging.locks import job_lock
from messaging.models import Message
from optin import services
from optin.models import ConsentState, OptOutReview
from optin.tasks import expire_optout_reviews
from tests.factories import InboundMessageFactory
from tests.optin.states import PHONE, opt_in, opt_out, state_of
from tests.services import redis_url


def flagged(bay_number, *, days_ago: int, phone: str = PHONE) -> OptOutReview:
    """A possible opt-out received `days_ago` days ago."""
    message = InboundMessageFactory(bay_number=bay_number, from_phone=phone, body="No problem")
    Message.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days_ago)
    )
    message.refresh_from_db()
    services.consent_apply_reply(message=message)
    return OptOutReview.objects.get(inbound_message=message)


@pytest.mark.django_db
class ExpireOptoutReviewsTests:
    def test_overdue_reviews_become_opt_outs_and_recent_ones_wait(self, bay_number):
        opt_in(bay_number)
        overdue = flagged(bay_number, days_ago=30)
        never_asked = flagged(bay_number, days_ago=30, phone="+12025550143")
        recent = flagged(bay_number, days_ago=1, phone="+12025550144")

        counts = expire_optout_reviews()

        assert counts == {"expired": 2, "opted_out": 2, "skipped": 0}
        for review in (overdue, never_asked):
            review.refresh_from_db()
            assert review.decision == OptOutReview.Decision.DEADLINE
            assert review.consent_event.source == "review_deadline"
        recent.refresh_from_db()
        assert recent.is_open
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert state_of(bay_number, "+12025550143") == ConsentState.OPTED_OUT
        assert state_of(bay_number, "+12025550144") == ConsentState.NEVER_ASKED

    def test_decided_and_settled_reviews_are_left_alone(self, bay_number):
        opt_in(bay_number)
        dismissed = flagged(bay_number, days_ago=30)
        services.optout_review_decide(review_id=dismissed.pk, actor=bay_number.agent, opt_out=False)
        settled = flagged(bay_number, days_ago=30)
        opt_out(bay_number)

        counts = expire_optout_reviews()

        assert counts == {"expired": 0, "opted_out": 0, "skipped": 0}
        settled.refresh_from_db()
        assert settled.decision == OptOutReview.Decision.SUPERSEDED

    def test_a_second_run_while_one_holds_the_lock_does_nothing(self, bay_number):
        review = flagged(bay_number, days_ago=30)

        with job_lock("expire_optout_reviews", timeout=60) as held:
            assert held
            counts = expire_optout_reviews()

        assert counts == {"expired": 0, "opted_out": 0, "skipped": 1}
        review.refresh_from_db()
        assert review.is_open
        assert expire_optout_reviews()["expired"] == 1

    def test_runs_from_celery_beat_every_15_minutes(self):
        entry = settings.CELERY_BEAT_SCHEDULE["expire-optout-reviews"]

        assert entry["task"] == expire_optout_reviews.name == "optin.tasks.expire_optout_reviews"
        assert entry["schedule"] == 15 * 60


def held_twice(name: str) -> tuple[bool, bool, bool]:
    """Take the lock, try it again while held, then once more after."""
    with job_lock(name, timeout=5) as first, job_lock(name, timeout=5) as second:
        pass
    with job_lock(name, timeout=5) as again:
        return first, second, again


class TaskLockTests:
    def test_the_lock_is_held_once_in_process(self):
        with override_settings(SMS_REDIS_URL=None):
            assert held_twice("unit") == (True, False, True)

    def test_the_lock_is_held_once_across_processes_in_redis(self):
        with override_settings(SMS_REDIS_URL=redis_url()):
            assert held_twice("unit-redis") == (True, False, True)

    def test_a_lock_that_expired_under_its_task_is_reported(self, caplog):
        url = redis_url()
        with override_settings(SMS_REDIS_URL=url), job_lock("unit-expired", timeout=5) as held:
            redis.Redis.from_url(url).delete("clientbay:lock:unit-expired")

        assert held
        assert "Lock unit-expired expired before its job finished" in caplog.text
