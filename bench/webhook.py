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
import subprocess
import sys
import tempfile
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    ROOT,
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
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", output)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    wrapped = re.search(r"Request file wrapped: (\d+)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p99_ms": float(p99.group(1)) * _UNITS[p99.group(2)],
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "wrapped": int(wrapped.group(1)) if wrapped else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--requests", type=int, default=60000, help="distinct signed webhooks")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install -y wrk")

    setup_django()
    fresh_database()
    seed()
    from django.db import connection

    connection.close()
    from bench.common import environment

    with tempfile.TemporaryDirectory(prefix="bench-webhook-") as tmp:
        requests_file = Path(tmp) / "inbound.txt"
        write_requests(requests_file, args.requests)
        port = free_port()
        command = [sys.executable, "-m", "gunicorn", "clientbay.wsgi:application"]
        command += ["--bind", f"127.0.0.1:{port}", "--workers", str(args.workers)]
        command += ["--log-level", "warning"]
        with process(command, log=Path(tmp) / "gunicorn.log", env=environment()):
            wait_for_port(port)
            base = f"http://127.0.0.1:{port}"
            bare = run_wrk(f"{base}/bench/bare/", str(ROOT / "bench/bare.lua"), args)
            hook = run_wrk(
                base + INBOUND_PATH,
                str(ROOT / "bench/inbound.lua"),
                args,
                script_args=(str(requests_file), str(args.threads)),
            )
    report(bare, hook, args)


def report(bare: dict, hook: dict, args) -> None:
    from messaging.models import Message

    stored = Message.objects.filter(direction=Message.Direction.INBOUND).count()
    processed = Message.objects.filter(processed_at__isnull=False).count()
    ratio = hook["rps"] / bare["rps"]
    print(
        f"gunicorn workers={args.workers}, wrk -t{args.threads} -c{args.connections} "
        f"-d{args.duration}s, PostgreSQL, loopback"
    )
    print(f"bare view        {bare['rps']:9.1f} req/s   p99 {bare['p99_ms']:7.2f} ms")
    print(f"signed webhook   {hook['rps']:9.1f} req/s   p99 {hook['p99_ms']:7.2f} ms")
    print(f"webhook / bare   {ratio:9.1%}   (target >= 20%)")
    print(f"webhook p99      {hook['p99_ms']:7.2f} ms  (target < 50 ms)")
    print(
        f"webhook non-2xx answers: {hook['errors']}; stored {stored} inbound texts, "
        f"{processed} processed; request file repeats: {hook['wrapped']}"
    )
    met = ratio >= 0.20 and hook["p99_ms"] < 50 and hook["errors"] == 0
    print("targets met" if met else "TARGETS MISSED")


if __name__ == "__main__":
    main()
