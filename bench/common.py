"""What the bench scripts share: a PostgreSQL database of their own, the
environment production would have, and processes that always stop.

Everything runs on loopback and every run is bounded in time.
"""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://root@127.0.0.1:5432/cb_delivery_bench"
PUBLIC_BASE_URL = "https://app.example.com"
AUTH_TOKEN = "bench-auth-token"


def environment(**extra) -> dict[str, str]:
    """Production settings (DEBUG off) for a process on this machine."""
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=env.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
        DJANGO_SECURE_SSL_REDIRECT="0",
        PUBLIC_BASE_URL=PUBLIC_BASE_URL,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        # Nothing here texts anyone: texts stay in memory unless a bench
        # names another backend.
        SMS_BACKEND="locmem",
        SMS_QUIET_HOURS_ENABLED="0",
        LOG_LEVEL=env.get("LOG_LEVEL", "INFO"),
        PYTHONUNBUFFERED="1",
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


def setup_django(**extra) -> None:
    """Configure Django in this process with the bench environment."""
    os.environ.update(environment(**extra))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fresh_database() -> None:
    """Drop and create the bench database, then migrate it: every run starts
    empty. Refuses any database whose name does not end in "_bench"."""
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    database = settings.DATABASES["default"]
    name = database["NAME"]
    if connection.vendor != "postgresql" or not name.endswith("_bench"):
        sys.exit("The bench needs its own PostgreSQL database, named *_bench, in DATABASE_URL")
    connection.close()
    with _maintenance_cursor(database) as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    call_command("migrate", verbosity=0)


@contextlib.contextmanager
def _maintenance_cursor(database: dict):
    import psycopg

    with (
        psycopg.connect(
            host=database["HOST"] or "127.0.0.1",
            port=database["PORT"] or 5432,
            user=database["USER"],
            password=database["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as conn,
        conn.cursor() as cursor,
    ):
        yield cursor


def seed_agent(*, rate_mps=None):
    """A brokerage with an approved campaign, an agent and their BAY Number
    +12025550100; returns (agent, bay_number)."""
    from brokerages.models import Agent, Brokerage
    from messaging.models import BayNumber
    from registration.models import Campaign, RegistrationStatus

    brokerage = Brokerage.objects.create(name="Bench Realty", phone="+12025550199")
    # Production settings send only once the A2P 10DLC campaign is approved.
    Campaign.objects.create(brokerage=brokerage, status=RegistrationStatus.APPROVED)
    agent = Agent.objects.create(username="bench", brokerage=brokerage, first_name="Bea")
    bay_number = BayNumber.objects.create(
        brokerage=brokerage, agent=agent, phone_number="+12025550100", send_rate_mps=rate_mps
    )
    return agent, bay_number


def reply_yes(bay_number, contact, n: int) -> None:
    """Opt `contact` in as a real phone does: a YES stored as an inbound text
    (the `n`th seeded, for its SID) and the consent service acting on it."""
    from messaging.models import Message
    from optin import services as consent
    from optin.models import ConsentEvent

    reply = Message.objects.create(
        direction=Message.Direction.INBOUND,
        bay_number=bay_number,
        from_phone=contact.phone,
        to_phone=bay_number.phone_number,
        body="YES",
        status=Message.Status.RECEIVED,
        twilio_sid=f"SMSEED{n:028d}",
    )
    consent.consent_grant(
        inbound_message=reply,
        source=ConsentEvent.Source.INBOUND_KEYWORD,
        keyword="yes",
        confirm=False,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.1)
    sys.exit(f"nothing listened on port {port} after {timeout:.0f} s")


@contextlib.contextmanager
def process(command: list[str], *, log: Path, env: dict[str, str] | None = None):
    """Run a process in its own group; always stop the whole group."""
    with log.open("ab") as log_file:
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=20)
