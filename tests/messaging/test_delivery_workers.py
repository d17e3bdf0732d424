"""Delivery with real Redis servers and real `celery worker` processes.

Each test starts a Redis server of its own on a free port and workers that
run the production settings against the test database, recording every
send (its start, its end, the time and the worker's pid) to a shared file.
"""

import logging
import re
from collections import Counter

import pytest
from django.test import override_settings
from django.utils import timezone

from messaging import services, tasks
from messaging.models import Message
from tests.factories import BayNumberFactory, CampaignFactory, ContactFactory
from tests.fakes.recording_sms import read_record
from tests.messaging import support
from tests.processes import celery_on, celery_workers, redis_server, wait_for
from tests.services import require_postgres

pytestmark = [pytest.mark.slow, pytest.mark.redis, pytest.mark.postgres]


@pytest.fixture
def setup(transactional_db, tmp_path):
    """PostgreSQL (workers share the test database), an agent's BAY Number
    and a Redis server of this test's own."""
    require_postgres()
    with redis_server(tmp_path) as server:
        yield {"redis": server, "dir": tmp_path}


def approved_bay_number(**fields):
    """A BAY Number whose brokerage's campaign is approved: the workers run
    the production settings, where nothing else sends."""
    bay_number = BayNumberFactory(**fields)
    CampaignFactory(brokerage=bay_number.brokerage, status="approved")
    return bay_number


def texts(bay_number, count: int, first: int = 101) -> list[Message]:
    """Queue `count` texts from the agent to opted-in contacts, each through
    sms_send and committed, so each task goes to the broker on commit."""
    queued = []
    for n in range(count):
        contact = ContactFactory(agent=bay_number.agent, phone=f"+1202555{first + n:04d}")
        support.opt_in(bay_number, contact.phone)
        queued.append(
            services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=contact, body=f"Text {n}"
            )
        )
    return queued


def ends(record: list[dict]) -> Counter:
    return Counter(line["message_id"] for line in record if line["event"] == "end")


def begins(record: list[dict]) -> Counter:
    return Counter(line["message_id"] for line in record if line["event"] == "begin")


def handed_over(ids) -> int:
    return Message.objects.filter(pk__in=ids, twilio_sid__isnull=False).count()


class TwoWorkersTests:
    def test_two_workers_drain_one_backlog_sending_each_text_once(self, setup):
        bay_number = approved_bay_number(send_rate_mps=100)
        sends = setup["dir"] / "sends"
        with (
            celery_workers(
                2, broker_url=setup["redis"].url, directory=setup["dir"], RECORDING_SMS_DELAY=0.05
            ) as workers,
            celery_on(setup["redis"].url),
        ):
            ids = [message.pk for message in texts(bay_number, 40)]
            wait_for(lambda: handed_over(ids) == 40, "40 texts sent", workers[0].log)

        record = read_record(sends)
        assert ends(record) == Counter(dict.fromkeys(ids, 1))
        assert begins(record) == ends(record)
        assert {line["pid"] for line in record} == {worker.pid for worker in workers}
        sids = Message.objects.filter(pk__in=ids).values_list("twilio_sid", flat=True)
        assert len(set(sids)) == 40


class KilledWorkerTests:
    def test_worker_killed_mid_send_loses_nothing_and_doubles_nothing(self, setup):
        """The text being sent stays for review; the rest go out once."""
        bay_number = approved_bay_number(send_rate_mps=100)
        sends = setup["dir"] / "sends"
        with celery_on(setup["redis"].url):
            with celery_workers(
                1, broker_url=setup["redis"].url, directory=setup["dir"], RECORDING_SMS_DELAY=1
            ) as (doomed,):
                ids = [message.pk for message in texts(bay_number, 8)]
                wait_for(
                    lambda: (
                        len(ends(read_record(sends))) >= 2
                        and begins(read_record(sends)) != ends(read_record(sends))
                    ),
                    "the worker to be in the middle of its third send",
                    doomed.log,
                )
                doomed.kill()
            in_flight = set(begins(read_record(sends)) - ends(read_record(sends)))

            with celery_workers(1, broker_url=setup["redis"].url, directory=setup["dir"] / "b"):
                wait_for(lambda: handed_over(ids) == 7, "the other 7 texts sent")

        record = read_record(sends) + read_record(setup["dir"] / "b" / "sends")
        assert len(in_flight) == 1
        (killed,) = in_flight
        assert begins(record) == Counter(dict.fromkeys(ids, 1))
        assert ends(record) == Counter({i: 1 for i in ids if i != killed})
        assert Message.objects.get(pk=killed).status == Message.Status.SENDING

        with override_settings(SMS_SENDING_TIMEOUT_SECONDS=0):
            assert services.sms_flag_stuck(now=timezone.now()) == 1
        statuses = Counter(Message.objects.filter(pk__in=ids).values_list("status", flat=True))
        assert statuses == {Message.Status.SENDING: 7, Message.Status.NEEDS_REVIEW: 1}


class RedisRestartTests:
    def test_texts_queued_while_redis_is_down_go_out_once_it_is_back(self, setup, caplog):
        bay_number = approved_bay_number(send_rate_mps=100)
        server = setup["redis"]
        sends = setup["dir"] / "sends"
        with (
            celery_workers(1, broker_url=server.url, directory=setup["dir"]) as (worker,),
            celery_on(server.url),
        ):
            before = [message.pk for message in texts(bay_number, 2)]
            wait_for(lambda: handed_over(before) == 2, "the first texts sent", worker.log)

            server.stop()
            with caplog.at_level(logging.ERROR, logger="messaging.outbox"):
                during = [message.pk for message in texts(bay_number, 3, first=120)]
            server.start()

            waiting = Message.objects.filter(pk__in=during)
            assert caplog.text.count("Could not enqueue message") == 3
            assert {(m.status, m.dispatched_at) for m in waiting} == {("queued", None)}

            tasks.dispatch_queued_sms.delay()
            wait_for(lambda: handed_over(during) == 3, "the texts queued while down", worker.log)

        assert ends(read_record(sends)) == Counter(dict.fromkeys(before + during, 1))

    def test_workers_holding_texts_survive_redis_going_away_and_send_them_once(self, setup):
        """A backlog at 2 a second keeps texts reserved in the workers, waiting
        for their turn, when Redis stops; they must neither die nor lose one.
        Redis comes back empty, and the next periodic run queues again the
        texts whose tasks went with it."""
        bay_number = approved_bay_number(send_rate_mps=2)
        server = setup["redis"]
        with (
            celery_workers(
                2, broker_url=server.url, directory=setup["dir"], pool="prefork"
            ) as workers,
            celery_on(server.url),
        ):
            tasks.dispatch_queued_sms.delay()  # a periodic run before the outage
            wait_for(lambda: dispatched(workers) == 1, "a periodic run", workers[0].log)
            ids = [message.pk for message in texts(bay_number, 16)]
            wait_for(lambda: handed_over(ids) >= 3, "the backlog started", workers[0].log)

            server.stop()
            server.start()
            wait_for(
                lambda: all(b"Connected to" in log for log in restarted(workers)),
                "both workers back on Redis",
                workers[0].log,
            )
            tasks.dispatch_queued_sms.delay()
            wait_for(lambda: handed_over(ids) == 16, "the whole backlog sent", workers[0].log)

            assert [worker.process.poll() for worker in workers] == [None, None]
        assert ends(read_record(setup["dir"] / "sends")) == Counter(dict.fromkeys(ids, 1))
        logged = b"".join(worker.log.read_bytes() for worker in workers)
        assert b"Redis came back without its data" in logged


def dispatched(workers) -> int:
    """How many periodic dispatch runs the workers finished."""
    pattern = rb"dispatch_queued_sms\[[^\]]+\] succeeded"
    return sum(len(re.findall(pattern, worker.log.read_bytes())) for worker in workers)


def restarted(workers) -> list[bytes]:
    """What each worker logged after it lost Redis."""
    return [
        worker.log.read_bytes().partition(b"Connection to broker lost")[2] for worker in workers
    ]


class RateLimitWorkersTests:
    def test_two_workers_never_exceed_the_rate_in_any_second(self, setup):
        """2 texts a second: any 3 consecutive sends span at least a second."""
        rate = 2
        bay_number = approved_bay_number(send_rate_mps=rate)
        sends = setup["dir"] / "sends"
        with (
            celery_workers(2, broker_url=setup["redis"].url, directory=setup["dir"]) as workers,
            celery_on(setup["redis"].url),
        ):
            ids = [message.pk for message in texts(bay_number, 12)]
            wait_for(lambda: handed_over(ids) == 12, "12 texts sent", workers[0].log)

        record = read_record(sends)
        starts = sorted(line["at"] for line in record if line["event"] == "begin")
        assert ends(record) == Counter(dict.fromkeys(ids, 1))
        gaps = [later - earlier for earlier, later in zip(starts, starts[rate:], strict=False)]
        assert min(gaps) >= 1.0, gaps
        assert {line["pid"] for line in record} == {worker.pid for worker in workers}
