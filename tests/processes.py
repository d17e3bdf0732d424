"""Real processes for tests: a Redis server of the test's own and `celery
worker`s running the production settings against the test database.

Every wait is bounded; every process is stopped (its whole process group)
when its context ends, whatever happened.
"""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import kombu.pools
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings

from clientbay.celery import app as celery_app
from tests.services import ROOT, free_port, redis_server_binary

WAIT_TIMEOUT = 60.0  # seconds; bounds every wait on a process


def wait_for(predicate, what: str, log: Path | None = None, timeout: float = WAIT_TIMEOUT):
    """Poll `predicate` until it returns something truthy, or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-4000:] if log and log.exists() else ""
    pytest.fail(f"gave up after {timeout:.0f} s waiting for {what}\n{tail}")


def database_url(settings_dict: dict | None = None) -> str:
    """A DATABASE_URL for `settings_dict`, by default the database this test
    process uses (the test database pytest-django created)."""
    db = settings_dict or connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    host = quote(db["HOST"] or "127.0.0.1", safe="")
    return f"postgres://{auth}@{host}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


def _stop_group(process: subprocess.Popen, sig=signal.SIGTERM, timeout: float = 20) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


class RedisServer:
    """A throwaway `redis-server` on a free loopback port that keeps nothing
    on disk; `stop()` and `start()` again on the same port."""

    def __init__(self, directory: Path):
        self.binary = redis_server_binary()
        self.port = free_port()
        self.directory = directory
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1"]
        command += ["--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        wait_for(lambda: self._answers(client), f"redis-server on port {self.port}")
        return self

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)
            self.process = None


@contextlib.contextmanager
def redis_server(directory: Path):
    server = RedisServer(directory).start()
    try:
        yield server
    finally:
        server.stop()


def _reset_broker_pool() -> None:
    # The app and kombu cache broker connections; forget them so the next
    # send connects to the broker URL configured now.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()


@contextlib.contextmanager
def celery_on(broker_url: str):
    """Send tasks from this process through `broker_url`, as production does
    with REDIS_URL set, instead of running them in-process."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    conf.broker_url, conf.task_always_eager = broker_url, False
    _reset_broker_pool()
    try:
        with override_settings(CELERY_BROKER_URL=broker_url, CELERY_TASK_ALWAYS_EAGER=False):
            yield
    finally:
        conf.broker_url, conf.task_always_eager = saved
        _reset_broker_pool()


class CeleryWorker:
    """One `celery worker` process with the production settings. Its pool is
    `solo` unless told otherwise: the task runs in the process itself, so a
    SIGKILL stops it mid-task. `prefork` is the pool production runs."""

    def __init__(self, *, broker_url: str, record_dir: Path, log: Path, pool="solo", **env):
        self.pool = pool
        self.broker_url = broker_url
        self.record_dir = record_dir
        self.log = log
        self.extra_env = {key: str(value) for key, value in env.items()}
        self.process = None

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DJANGO_SETTINGS_MODULE="clientbay.settings.base",
            DJANGO_DEBUG="0",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DATABASE_URL=database_url(),
            REDIS_URL=self.broker_url,
            SMS_REDIS_URL=self.broker_url,
            PUBLIC_BASE_URL=settings.PUBLIC_BASE_URL,
            TWILIO_AUTH_TOKEN=settings.TWILIO_AUTH_TOKEN,
            SMS_BACKEND="tests.fakes.recording_sms.RecordingBackend",
            SMS_FILE_PATH=str(self.record_dir),
            # The tests set their own clock for quiet hours; workers send now.
            SMS_QUIET_HOURS_ENABLED="0",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def start(self) -> "CeleryWorker":
        name = f"delivery-{secrets.token_hex(4)}@%h"
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "clientbay",
            "worker",
            f"--pool={self.pool}",
        ]
        if self.pool == "prefork":
            command += ["--concurrency=2"]
        command += ["-n", name, "--loglevel=INFO", "--without-mingle", "--without-gossip"]
        with self.log.open("ab") as log_file:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self._env(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(self._ready, "the worker to start", self.log)
        assert self.process.poll() is None, self.log.read_text(errors="replace")[-4000:]
        return self

    def _ready(self) -> bool:
        return self.process.poll() is not None or b" ready." in self.log.read_bytes()

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, no chance to finish or ack anything."""
        _stop_group(self.process, signal.SIGKILL)

    def stop(self) -> None:
        if self.process is not None:
            _stop_group(self.process)


@contextlib.contextmanager
def celery_workers(count: int, *, broker_url: str, directory: Path, **env):
    """Start `count` workers; stop them all, whatever happens."""
    workers = []
    directory.mkdir(parents=True, exist_ok=True)
    try:
        for index in range(count):
            workers.append(
                CeleryWorker(
                    broker_url=broker_url,
                    record_dir=directory / "sends",
                    log=directory / f"worker-{index}.log",
                    **env,
                ).start()
            )
        yield workers
    finally:
        for worker in workers:
            worker.stop()
