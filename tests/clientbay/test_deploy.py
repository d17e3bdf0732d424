"""The production settings, loaded as production loads them: from the
environment, in a fresh `manage.py` process."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.services import ROOT

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "clientbay.settings.base",
    "DJANGO_DEBUG": "0",
    "DJANGO_ALLOWED_HOSTS": "app.example.com",
    "PUBLIC_BASE_URL": "https://app.example.com",
    "TWILIO_AUTH_TOKEN": "production-auth-token",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    """Run manage.py with only the system's variables and `env`."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


class DeployCheckTests:
    def test_production_settings_pass_check_deploy(self):
        result = manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            **PRODUCTION_ENV,
        )

        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout

    def test_missing_auth_token_stops_start_up(self):
        env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
        del env["TWILIO_AUTH_TOKEN"]

        result = manage("check", **env)

        assert result.returncode != 0
        assert "TWILIO_AUTH_TOKEN is not set" in result.stderr

    def test_missing_secret_key_stops_start_up(self):
        result = manage("check", **PRODUCTION_ENV)

        assert result.returncode != 0
        assert "DJANGO_SECRET_KEY is not set" in result.stderr

    def test_production_defaults_to_twilio_and_needs_its_account_sid(self):
        env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
        del env["TWILIO_ACCOUNT_SID"]

        result = manage("check", **env)

        assert result.returncode != 0
        assert "TWILIO_ACCOUNT_SID is not set" in result.stderr

    def test_production_may_choose_another_backend_explicitly(self):
        env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
        del env["TWILIO_ACCOUNT_SID"]

        result = manage("check", SMS_BACKEND="filebased", **env)

        assert result.returncode == 0, result.stderr

    @pytest.mark.parametrize(
        ("url", "complaint"),
        [
            ("app.example.com", "must look like"),
            ("http://app.example.com", "must use https"),
            ("https://app.example.com/webhooks", "no path"),
            ("https://app.example.com/?x=1", "no path"),
        ],
    )
    def test_public_base_url_must_be_an_https_origin(self, url, complaint):
        env = {**PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}

        result = manage("check", **{**env, "PUBLIC_BASE_URL": url})

        assert result.returncode != 0
        assert complaint in result.stderr


def production_python(script: str, **env: str) -> subprocess.CompletedProcess:
    """Run `script` in a fresh Python with the production settings and `env`."""
    base = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env = {**base, **PRODUCTION_ENV, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **env}
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


class WsgiWorkerTests:
    def test_a_loaded_worker_keeps_its_modules_out_of_full_collections(self):
        """What a worker loads for every request (URLconfs, views, models) is
        frozen, so a full garbage collection does not walk it mid-request."""
        result = production_python(
            "import gc, sys, clientbay.wsgi\n"
            "assert 'messaging.webhooks' in sys.modules, 'the URLconf was not loaded'\n"
            "print(gc.get_freeze_count(), len(gc.get_objects()))\n"
        )

        assert result.returncode == 0, result.stderr
        frozen, tracked = map(int, result.stdout.split())
        assert frozen > 20_000
        assert tracked < frozen / 100


class PreparedStatementTests:
    @pytest.mark.parametrize(
        ("setting", "options"),
        [
            ("1", "{'server_side_binding': True, 'prepare_threshold': 5}"),
            ("0", "{}"),
        ],
    )
    def test_postgres_prepares_repeated_statements_unless_told_not_to(self, setting, options):
        result = production_python(
            "import django; django.setup()\n"
            "from django.conf import settings\n"
            "print(settings.DATABASES['default'].get('OPTIONS', {}))\n",
            DATABASE_URL="postgres://clientbay@127.0.0.1:5432/clientbay",
            DATABASE_PREPARED_STATEMENTS=setting,
        )

        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == options
