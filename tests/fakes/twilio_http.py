"""A scripted stand-in for Twilio's REST API, at the SDK's HTTP boundary.

The real `twilio.rest.Client` and the real Twilio backend run unchanged; only
the HTTP client under them is this one, so Twilio's JSON error bodies become
real `TwilioRestException`s and connection failures real `requests` errors.
Nothing here opens a socket.
"""

import itertools
import json
import urllib.parse

import requests
from twilio.http import HttpClient
from twilio.http.response import Response

from messaging.backends.twilio import TwilioBackend

ACCOUNT_SID = "AC" + "0" * 32
_sids = itertools.count(1)


def created(**extra) -> Response:
    """A 201 for Messages.create, with a fresh SID."""
    sid = f"SM{next(_sids):032x}"
    body = {"sid": sid, "account_sid": ACCOUNT_SID, "status": "queued", **extra}
    return Response(201, json.dumps(body))


def error(http_status: int, code: int, message: str = "error") -> Response:
    """A Twilio error body, as the API sends it."""
    body = {"code": code, "message": message, "status": http_status}
    return Response(http_status, json.dumps(body))


class ScriptedTwilioHttp(HttpClient):
    """Answers each request with the next scripted outcome (a Response, or an
    exception to raise); `by_to` overrides it for particular recipients.
    Once the script runs out, every request succeeds."""

    def __init__(self):
        super().__init__(logger=None, is_async=False)
        self.script: list = []
        self.by_to: dict[str, list] = {}
        self.requests: list[dict] = []

    def request(self, method, uri, params=None, data=None, headers=None, auth=None, **kwargs):
        host = urllib.parse.urlsplit(uri).hostname
        assert host and host.endswith("twilio.com"), f"unexpected host {host}"
        self.requests.append({"method": method, "uri": uri, "data": dict(data or {})})
        queue = self.by_to.get((data or {}).get("To"), self.script)
        outcome = queue.pop(0) if queue else created()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def sent_to(self, phone: str) -> int:
        """How many create requests went to `phone`."""
        return sum(1 for request in self.requests if request["data"].get("To") == phone)


twilio_api = ScriptedTwilioHttp()


def reset() -> ScriptedTwilioHttp:
    twilio_api.script.clear()
    twilio_api.by_to.clear()
    twilio_api.requests.clear()
    return twilio_api


def connection_refused() -> requests.ConnectionError:
    """What `requests` raises when nothing listens (the request never left)."""
    from urllib3.exceptions import MaxRetryError, NewConnectionError

    reason = NewConnectionError(None, "Connection refused")
    return requests.ConnectionError(MaxRetryError(None, "/", reason=reason))


class ScriptedTwilioBackend(TwilioBackend):
    """The real Twilio backend over the scripted HTTP client."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("account_sid", ACCOUNT_SID)
        kwargs.setdefault("auth_token", "test-auth-token")
        kwargs.setdefault("http_client", twilio_api)
        super().__init__(*args, **kwargs)
