"""Which real services this run has, and what a test does without one.

Outside CI, a test whose service is missing is skipped with the reason and the
way to provide it. In CI (CI=true) nothing may be skipped for want of a
service, so the same test fails instead.
"""

import os
import shutil
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def missing(reason: str):
    """Skip the calling test, or fail it in CI."""
    if IN_CI:
        pytest.fail(f"CI must provide this: {reason}", pytrace=False)
    pytest.skip(reason)


def require_postgres():
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        missing("needs PostgreSQL: set DATABASE_URL=postgres://USER@127.0.0.1:5432/NAME")


def redis_url() -> str:
    """The Redis URL tests use, or a skip (a failure in CI) when there is none."""
    url = os.environ.get("REDIS_URL", "")
    if not url:
        missing("needs Redis: set REDIS_URL=redis://127.0.0.1:6379/0")
    parsed = urlparse(url)
    try:
        socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=2).close()
    except OSError:
        missing(f"Redis at {parsed.hostname}:{parsed.port or 6379} does not answer")
    return url


def prism_binary() -> Path:
    binary = ROOT / "node_modules" / ".bin" / "prism"
    if not binary.exists():
        missing("needs Prism and Twilio's API description: run `npm ci --ignore-scripts`")
    return binary


def twilio_spec(name: str) -> Path:
    spec = ROOT / "node_modules" / "@twilio-alpha" / "mcp" / "twilio-oai" / "spec" / "json" / name
    if not spec.exists():
        missing(f"needs {name} from @twilio-alpha/mcp: run `npm ci --ignore-scripts`")
    return spec


def chromium_binary() -> str:
    path = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        missing("needs Debian's chromium: apt-get install chromium")
    return path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_server_binary() -> str:
    """The `redis-server` program, for tests that start (and stop) their own."""
    path = shutil.which("redis-server")
    if not path:
        missing("needs redis-server: apt-get install redis-server")
    return path
