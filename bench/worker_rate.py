"""(c) Sends per second through celery workers against a BAY Number's rate
limit, with a Redis server of the bench's own, in one run.

    DATABASE_URL=postgres://root@127.0.0.1:5432/cb_delivery_bench \\
        .venv/bin/python bench/worker_rate.py [--rate 5] [--seconds 20] [--workers 2]

Two backlogs of rate x seconds texts each go through the real path (the
file SMS backend stands in for Twilio): a bulk send, which the dispatcher
(celery beat) feeds to the workers at the number's pace, and a burst of
single sends, each queued at once, which the workers re-schedule whenever
the limit refuses them. Prints, for each, the achieved rate as a share of
the limit and the most sends seen in any one-second window (never above the
limit; times are when Twilio, here the file backend, accepted each text).
"""

import argparse
import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    environment,
    free_port,
    fresh_database,
    process,
    reply_yes,
    seed_agent,
    setup_django,
    wait_for_port,
)


def seed(rate: int, count: int):
    from contacts.models import Contact

    agent, bay_number = seed_agent(rate_mps=rate)
    for n in range(count):
        contact = Contact.objects.create(
            agent=agent, first_name=f"Pat{n}", phone=f"+1{202 + n // 99}55501{n % 99 + 1:02d}"
        )
        reply_yes(bay_number, contact, n)
    return agent, bay_number


def wait_until_sent(ids, timeout: float) -> None:
    from messaging.models import Message

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Message.objects.filter(pk__in=ids, sent_at__isnull=False).count() == len(ids):
            return
        time.sleep(0.5)
    sys.exit(f"gave up after {timeout:.0f} s: not every text was sent")


def summary(ids, rate: int) -> dict:
    from messaging.models import Message

    times = sorted(
        stamp.timestamp()
        for stamp in Message.objects.filter(pk__in=ids).values_list("sent_at", flat=True)
    )
    achieved = (len(times) - 1) / (times[-1] - times[0])
    busiest = max(
        sum(1 for later in times[index:] if later - start < 1.0)
        for index, start in enumerate(times)
    )
    return {"achieved": achieved, "share": achieved / rate, "busiest": busiest, "sent": len(times)}


def run_backlogs(agent, bay_number, count: int, timeout: float) -> dict:
    from messaging import bulk, services
    from messaging.models import Message

    contacts = list(agent.contacts.order_by("pk"))
    bulk_send = bulk.bulk_send(
        agent=agent, bay_number=bay_number, body="Hi {first_name}", contacts=contacts[:count]
    )
    bulk_ids = list(bulk_send.messages.values_list("pk", flat=True))
    wait_until_sent(bulk_ids, timeout)

    burst = [
        services.sms_send(agent=agent, bay_number=bay_number, contact=contact, body="Hi")
        for contact in contacts[count:]
    ]
    burst_ids = [message.pk for message in burst]
    wait_until_sent(burst_ids, timeout)
    assert Message.objects.filter(direction="outbound", twilio_sid__isnull=True).count() == 0
    return {"bulk (dispatcher)": bulk_ids, "burst (re-scheduled)": burst_ids}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=int, default=5, help="the BAY Number's texts per second")
    parser.add_argument("--seconds", type=int, default=20, help="length of each backlog")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    args = parser.parse_args()
    count = args.rate * args.seconds

    with tempfile.TemporaryDirectory(prefix="bench-rate-") as tmp:
        tmp = Path(tmp)
        port = free_port()
        broker = f"redis://127.0.0.1:{port}/0"
        env = environment(
            LOG_LEVEL="WARNING",
            REDIS_URL=broker,
            SMS_REDIS_URL=broker,
            SMS_BACKEND="filebased",
            SMS_FILE_PATH=tmp / "sms",
            SMS_DISPATCH_INTERVAL_SECONDS=2,
        )
        setup_django(**{key: env[key] for key in ("REDIS_URL", "SMS_REDIS_URL", "LOG_LEVEL")})
        fresh_database()
        agent, bay_number = seed(args.rate, 2 * count)

        redis_command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1"]
        redis_command += ["--save", "", "--appendonly", "no", "--dir", str(tmp)]
        celery = [sys.executable, "-m", "celery", "-A", "clientbay"]
        beat = [*celery, "beat", "-s", str(tmp / "beat-schedule"), "--loglevel=WARNING"]
        with contextlib.ExitStack() as processes:
            processes.enter_context(process(redis_command, log=tmp / "redis.log"))
            wait_for_port(port)
            for n in range(args.workers):
                worker = [*celery, "worker", "--pool=solo", "-n", f"bench{n}@%h"]
                worker.append("--loglevel=WARNING")
                processes.enter_context(process(worker, log=tmp / f"worker{n}.log", env=env))
            processes.enter_context(process(beat, log=tmp / "beat.log", env=env))
            time.sleep(3)  # the workers connect
            backlogs = run_backlogs(agent, bay_number, count, timeout=3 * args.seconds + 60)

    print(
        f"limit {args.rate} texts/s on one BAY Number, {args.workers} workers, "
        f"{count} texts per backlog"
    )
    for name, ids in backlogs.items():
        result = summary(ids, args.rate)
        print(
            f"{name:22} {result['achieved']:6.2f} texts/s = {result['share']:6.1%} of the limit; "
            f"most in any 1 s: {result['busiest']} (limit {args.rate})"
        )


if __name__ == "__main__":
    main()
