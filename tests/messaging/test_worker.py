"""A text through Redis and a real `celery worker` process.

The worker runs the production settings module against the test database
that pytest-django created, with the file SMS backend, so the test can watch
a queued text go out: the JSON file appears and the message gets its SID.
"""

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from messaging import services
from messaging.models import Message
from messaging.outbox import status_callback_url
from tests.conftest import INBOUND_PATH, inbound_params
from tests.factories import CampaignFactory
from tests.processes import celery_on, database_url, wait_for
from tests.services import ROOT, redis_url, require_postgres

QUEUE = "celery"  # Celery's default queue: the product routes nothing elsewhere


def queued_sends(url: str) -> dict[int, bytes]:
    """Return the send tasks waiting in the queue, by message id."""
    sends = {}
    for raw in redis.Redis.from_url(url).lrange(QUEUE, 0, -1):
        envelope = json.loads(raw)
        if envelope["headers"].get("task") == "messaging.tasks.send_sms":
            args = json.loads(base64.b64decode(envelope["body"]))[0]
            sends[args[0]] = raw
    return sends


def _worker_env(broker_url: str, sms_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="clientbay.settings.base",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=database_url(connection.settings_dict),
        REDIS_URL=broker_url,
        PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL,
        TWILIO_AUTH_TOKEN=settings.TWILIO_AUTH_TOKEN,
        SMS_BACKEND="filebased",
        SMS_FILE_PATH=str(sms_dir),
        # The worker would hold a text back outside the contact's daytime;
        # the quiet-hours tests set their own clock.
        SMS_QUIET_HOURS_ENABLED="0",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A `celery worker` process on Redis and the test database; stopped,
    whatever happens, before the database is flushed."""
    require_postgres()  # SQLite's test database lives in this process's memory
    broker_url = redis_url()
    sms_dir = tmp_path / "sms"
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "celery", "-A", "clientbay", "worker", "--pool=solo"]
    command += ["-Q", QUEUE, "-n", f"test-{secrets.token_hex(4)}@%h", "--loglevel=INFO"]
    command += ["--without-mingle", "--without-gossip", "--without-heartbeat"]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=_worker_env(broker_url, sms_dir),
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for(
            lambda: process.poll() is not None or b" ready." in log.read_bytes(),
            "the worker to start",
            log,
        )
        assert process.poll() is None, log.read_text(errors="replace")[-3000:]
        yield {"broker_url": broker_url, "sms_dir": sms_dir, "log": log}
    finally:
        _stop(process)


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # warm shutdown
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _opt_in(twilio) -> None:
    """The contact texts YES, as a signed Twilio webhook: the real path to consent."""
    response = twilio.post(INBOUND_PATH, inbound_params(MessageSid="SM_IN_WORKER", Body="YES"))
    assert response.status_code == 200


@pytest.mark.slow
@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
class CeleryWorkerTests:
    def test_queued_text_goes_out_through_the_worker(
        self, celery_worker, twilio, agent, bay_number, contact
    ):
        _opt_in(twilio)
        # The worker runs the production settings, where a BAY Number sends
        # only once its brokerage's A2P 10DLC campaign is approved.
        CampaignFactory(brokerage=bay_number.brokerage, status="approved")

        with celery_on(celery_worker["broker_url"]):
            message = services.sms_send(
                agent=agent, bay_number=bay_number, contact=contact, body="Offer accepted!"
            )
        sent_file = wait_for(
            lambda: next(celery_worker["sms_dir"].glob(f"{message.pk}-*.json"), None),
            f"message {message.pk}'s file",
            celery_worker["log"],
        )

        record = json.loads(sent_file.read_text())
        assert {key: record[key] for key in ("message_id", "from", "to", "body")} == {
            "message_id": message.pk,
            "from": "+12025550100",
            "to": "+12025550142",
            "body": "Offer accepted!",
        }
        assert record["status_callback"] == status_callback_url()
        message = wait_for(
            lambda: Message.objects.filter(pk=message.pk, twilio_sid=record["sid"]).first(),
            "the SID on the message",
            celery_worker["log"],
        )
        assert message.status == Message.Status.SENDING

        twilio.status(MessageSid=record["sid"], MessageStatus="sent")
        message.refresh_from_db()
        assert message.status == Message.Status.SENT


class _Rollback(Exception):
    pass


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
class OnCommitEnqueueTests:
    def test_rolled_back_text_is_never_queued(self, twilio, agent, bay_number, contact):
        url = redis_url()
        _opt_in(twilio)

        with celery_on(url):
            with pytest.raises(_Rollback), transaction.atomic():
                rolled_back = services.sms_send(
                    agent=agent, bay_number=bay_number, contact=contact, body="Draft, never sent"
                )
                raise _Rollback
            committed = services.sms_send(
                agent=agent, bay_number=bay_number, contact=contact, body="Sent"
            )

        queued = queued_sends(url)
        # No worker consumes this queue here: take the committed task back.
        redis.Redis.from_url(url).lrem(QUEUE, 1, queued.get(committed.pk, b""))
        assert committed.pk in queued
        assert rolled_back.pk not in queued
        assert not Message.objects.filter(pk=rolled_back.pk).exists()
