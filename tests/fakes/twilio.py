"""The real `twilio` SDK's HTTP client, pointed at local Prism servers.

`PrismHttpClient` is what tests pass as `http_client` to `twilio.rest.Client`
(or to the Twilio SMS backend, through SMS_BACKEND_OPTIONS). It sends every
request over real HTTP, but to loopback: each Twilio host maps to its own
Prism server, and a request for any other host is refused before it leaves.
"""

import dataclasses
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient

TIMEOUT = 10.0  # seconds; a stuck mock fails the test instead of hanging it


class UnroutedHostError(Exception):
    """The SDK tried to reach a host that has no local stand-in."""


@dataclasses.dataclass
class SentRequest:
    """One request as it went over the wire, and Prism's answer."""

    method: str
    host: str  # the Twilio host the SDK addressed
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    status_code: int
    violations: str  # Prism's `sl-violations` header: what broke the description

    def value(self, name: str) -> str | None:
        """Return the single value of form field `name`, or None."""
        values = self.form.get(name)
        if values is None:
            return None
        assert len(values) == 1, f"{name} was sent {len(values)} times"
        return values[0]


class PrismHttpClient(TwilioHttpClient):
    """Route Twilio's hosts to local servers and record what is sent.

    `routes` maps a host ("api.twilio.com") to a callable that returns the
    base URL of its stand-in; it is called on the host's first request, so a
    server starts only when a test uses it. Set `prefer` to a Prism `Prefer`
    header value (e.g. "code=400, example=opted_out") to choose the answer to
    every request, or `prefer_by_to[phone]` for the requests sent To a phone.
    """

    def __init__(self, routes: dict[str, Callable[[], str]], **kwargs):
        kwargs.setdefault("timeout", TIMEOUT)
        super().__init__(**kwargs)
        # Proxies or certificates from the environment never apply to loopback.
        self.session.trust_env = False
        self.routes = routes
        self.prefer: str | None = None
        self.prefer_by_to: dict[str, str] = {}
        self.requests: list[SentRequest] = []
        self._hosts: dict[str, str] = {}  # local netloc -> the Twilio host it stands in for
        self.request_hooks = {"response": [self._record]}

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        """Send the SDK's request to the stand-in of the host it addressed."""
        parts = urlsplit(url)
        route = self.routes.get(parts.hostname or "")
        if parts.scheme != "https" or route is None:
            raise UnroutedHostError(f"refused to send {method} to {parts.scheme}://{parts.netloc}")
        local = urlsplit(route())
        self._hosts[local.netloc] = parts.hostname
        routed = urlunsplit((local.scheme, local.netloc, parts.path, parts.query, ""))
        headers = dict(headers or {})
        prefer = self.prefer_by_to.get((data or {}).get("To"), self.prefer)
        if prefer:
            headers["Prefer"] = prefer
        return super().request(method, routed, params=params, data=data, headers=headers, **kwargs)

    def _record(self, response, *args, **kwargs):
        sent = response.request
        url = urlsplit(sent.url)
        body = sent.body or ""
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        self.requests.append(
            SentRequest(
                method=sent.method,
                host=self._hosts.get(url.netloc, ""),
                path=url.path,
                headers=dict(sent.headers),
                form=parse_qs(body, keep_blank_values=True),
                status_code=response.status_code,
                violations=response.headers.get("sl-violations", ""),
            )
        )
        return response

    @property
    def last(self) -> SentRequest:
        assert self.requests, "no request reached the Twilio stand-in"
        return self.requests[-1]
