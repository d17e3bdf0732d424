"""The messaging tasks: retries through the broker, and the periodic jobs'
locks against overlapping runs."""

import pytest
from celery.exceptions import Retry

from clientbay.celery import app as celery_app
from messaging import tasks
from messaging.backends import SmsBackendError
from messaging.models import Message
from messaging.redis_client import get_redis, key
from tests.factories import OutboundMessageFactory
from tests.messaging import support
from tests.services import redis_url


@pytest.mark.django_db
class SendSmsRetryTests:
    def test_worker_retry_goes_back_to_the_broker_with_its_countdown(
        self, bay_number, contact, monkeypatch
    ):
        """Outside eager mode the task raises Retry after queueing itself again."""
        support.opt_in(bay_number, contact.phone)
        message = OutboundMessageFactory(bay_number=bay_number, contact=contact)

        def busy(self, messages):
            raise SmsBackendError("busy", code=20429, http_status=429)

        monkeypatch.setattr("messaging.backends.locmem.LocmemBackend.send_messages", busy)
        # The retry goes to the (in-memory) broker, as it would from a worker.
        monkeypatch.setitem(celery_app.conf, "task_always_eager", False)
        tasks.send_sms.push_request(
            id="task-1", args=[message.pk], kwargs={}, retries=2, called_directly=False
        )
        try:
            with pytest.raises(Retry) as retry:
                tasks.send_sms.run(message.pk)
        finally:
            tasks.send_sms.pop_request()

        assert 4 <= retry.value.when <= 8
        message.refresh_from_db()
        assert message.status == Message.Status.QUEUED

    def test_process_inbound_handles_a_stored_text(self, twilio, bay_number, contact):
        message = Message.objects.create(
            direction=Message.Direction.INBOUND,
            bay_number=bay_number,
            from_phone=contact.phone,
            to_phone=bay_number.phone_number,
            body="STOP",
            status=Message.Status.RECEIVED,
            twilio_sid="SM_IN_STORED",
        )

        tasks.process_inbound(message.pk)

        message.refresh_from_db()
        assert message.processed_at is not None
        assert bay_number.consents.get(phone=contact.phone).state == "opted_out"


@pytest.mark.django_db
class PeriodicJobLockTests:
    @pytest.fixture
    def redis_on(self, settings, request):
        settings.SMS_REDIS_URL = redis_url()
        settings.SMS_REDIS_PREFIX = f"test-tasks-{request.node.name}"
        yield get_redis()

    @pytest.mark.parametrize(
        ("job", "name"),
        [
            (tasks.flag_stuck_sms, "flag_stuck_sms"),
            (tasks.retry_unprocessed_inbound, "retry_unprocessed_inbound"),
            (tasks.dispatch_queued_sms, "dispatch"),
        ],
    )
    def test_a_run_while_another_holds_the_lock_skips(self, redis_on, job, name):
        lock = redis_on.lock(key("lock", name), timeout=30)
        assert lock.acquire(blocking=False)
        try:
            assert job() == {"skipped": 1}
        finally:
            lock.release()

        assert "skipped" not in job()

    def test_dispatch_for_some_numbers_locks_only_them(self, redis_on, bay_number):
        lock = redis_on.lock(key("lock", "dispatch"), timeout=30)
        assert lock.acquire(blocking=False)
        try:
            counts = tasks.dispatch_queued_sms(bay_number_ids=[bay_number.pk])
        finally:
            lock.release()

        assert counts["dispatched"] == 0 and "skipped" not in counts


@pytest.mark.django_db
class RunDeliveryJobsCommandTests:
    def test_command_runs_each_job_and_prints_its_counts(
        self, bay_number, contact, outbox, run_on_commit
    ):
        from io import StringIO

        from django.core.management import call_command

        support.opt_in(bay_number, contact.phone)
        waiting = OutboundMessageFactory(bay_number=bay_number, contact=contact, dispatched_at=None)
        out = StringIO()

        with run_on_commit():
            call_command("run_delivery_jobs", stdout=out)

        waiting.refresh_from_db()
        assert waiting.status == Message.Status.SENDING and len(outbox) == 1
        assert out.getvalue().splitlines() == [
            "dispatch_queued_sms: dispatched 1, requeued_lost 0, window_opened 0, left_for_later 0",
            "flag_stuck_sms: flagged 0, receipts_applied 0",
            "retry_unprocessed_inbound: processed 0, failed 0",
        ]
