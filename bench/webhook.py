"""(a) The signed inbound webhook against a bare Django view, both under
gunicorn on PostgreSQL, measured with wrk on loopback in one run.

    DATABASE_URL=postgres://root@127.0.0.1:5432/cb_delivery_bench \\
        .venv/bin/python bench/webhook.py [--duration 10] [--connections 16]

Every webhook request is a new inbound text (its own MessageSid), signed as
Twilio signs it, from one of 99 known contacts: it is verified, stored,
classified and marked processed, as in production. Prints requests/s and
p99 for both, and the ratio (target: at least 20% of bare, p99 < 50 ms).
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
    environment,
    free_port,
    fresh_database,
    process,
    seed_agent,
    setup_django,
    wait_for_port,
)

INBOUND_PATH = "/webhooks/twilio/sms/"
BAY_NUMBER = "+12025550100"
CONTACTS = [f"+1202555{n:04d}" for n in range(101, 200)]


def seed() -> None:
    from contacts.models import Contact

    agent, _bay_number = seed_agent()
    Contact.objects.bulk_create(
        Contact(agent=agent, first_name=f"Contact {n}", phone=phone)
        for n, phone in enumerate(CONTACTS)
    )


def write_requests(path: Path, count: int) -> None:
    """Sign `count` distinct inbound webhooks as Twilio would."""
    from django.conf import settings

    from messaging.signatures import sign
    from messaging.simulator import inbound_params

    url = settings.PUBLIC_BASE_URL + INBOUND_PATH
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            params = inbound_params(
                from_phone=CONTACTS[n % len(CONTACTS)],
                to_phone=BAY_NUMBER,
                body="Thanks, see you at the open house Saturday",
            )
            sid = "SM" + uuid.uuid4().hex
            params.update(MessageSid=sid, SmsSid=sid, SmsMessageSid=sid)
            out.write(f"{sign(url, params)}\t{urllib.parse.urlencode(params)}\n")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def run_wrk(url: str, script: str, args, script_args=()) -> dict:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s"]
    command += ["--latency", "--timeout", "5s", "-s", script, url, *script_args]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=args.duration + 60, check=True
    ).stdout
    p50, p99 = (re.search(rf"{q}%\s+([\d.]+)(us|ms|s)\b", output) for q in (50, 99))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    wrapped = re.search(r"Request file wrapped: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": float(p50.group(1)) * _UNITS[p50.group(2)],
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)],
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "wrapped": int(wrapped.group(1)) if wrapped else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="bare/webhook pairs; median kept")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", dest="threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--gunicorn-threads", dest="gthreads", type=int, default=1)
    parser.add_argument("--requests", type=int, default=20000, help="signed webhooks per round")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    setup_django()
    fresh_database()
    seed()
    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        rounds = measure(Path(tmp), args)
    report(rounds, args)


def measure(tmp: Path, args) -> list[tuple[dict, dict]]:
    """Serve the app with gunicorn and run wrk: a short warm-up, then rounds
    of the bare view and the webhook, each webhook round with fresh SIDs."""
    from django.db import connection

    files = [tmp / f"inbound-{n}.txt" for n in range(args.rounds + 1)]
    for path in files:
        write_requests(path, args.requests)
    connection.close()

    port = free_port()
    command = [sys.executable, "-m", "gunicorn", "clientbay.wsgi:application"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
    command += ["--threads", str(args.gthreads), "--log-level", "warning"]
    bare_url, hook_url = (
        f"http://127.0.0.1:{port}/bench/bare/",
        f"http://127.0.0.1:{port}{INBOUND_PATH}",
    )
    bare_lua, hook_lua = str(ROOT / "bench/bare.lua"), str(ROOT / "bench/inbound.lua")
    with process(command, log=tmp / "gunicorn.log", env=environment()):
        wait_for_port(port)
        warm_up = argparse.Namespace(**{**vars(args), "duration": 2})
        run_wrk(bare_url, bare_lua, warm_up)
        run_wrk(hook_url, hook_lua, warm_up, script_args=(str(files[0]), str(args.threads)))
        return [
            (
                run_wrk(bare_url, bare_lua, args),
                run_wrk(hook_url, hook_lua, args, script_args=(str(path), str(args.threads))),
            )
            for path in files[1:]
        ]


def report(rounds: list[tuple[dict, dict]], args) -> None:
    from messaging.models import Message

    print(
        f"gunicorn workers={args.workers} threads={args.gthreads}; wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s; PostgreSQL; loopback"
    )
    ratios, p99s, errors, repeats = [], [], 0, 0
    for n, (bare, hook) in enumerate(rounds, 1):
        ratio = hook["rps"] / bare["rps"]
        ratios.append(ratio)
        p99s.append(hook["p99_ms"])
        errors += hook["errors"]
        repeats += hook["wrapped"]
        print(
            f"round {n}: bare {bare['rps']:7.1f} req/s (p99 {bare['p99_ms']:6.1f} ms), webhook "
            f"{hook['rps']:6.1f} req/s (p50 {hook['p50_ms']:5.1f}, p99 {hook['p99_ms']:6.1f} ms): "
            f"{ratio:6.1%}"
        )
    ratio, p99 = statistics.median(ratios), statistics.median(p99s)
    stored = Message.objects.filter(direction=Message.Direction.INBOUND).count()
    unprocessed = Message.objects.filter(processed_at__isnull=True).count()
    print(f"webhook / bare (median) {ratio:6.1%}   target >= 20%")
    print(f"webhook p99 (median)    {p99:6.1f} ms  target < 50 ms")
    print(
        f"webhook non-2xx answers {errors}; {stored} inbound texts stored, {unprocessed} "
        f"unprocessed; repeated SIDs sent: {repeats}"
    )
    met = ratio >= 0.20 and p99 < 50 and errors == 0
    print("targets met" if met else "TARGETS MISSED")


if __name__ == "__main__":
    main()
