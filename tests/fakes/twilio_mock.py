"""One local mock of every Twilio REST API the registration uses.

Twilio's three OpenAPI descriptions (the 2010 API, Messaging, Trust Hub)
share no path and no schema name, so they merge into one description that
one Prism process serves on loopback; the product's LoopbackHttpClient (set
by TWILIO_API_MOCK_URL) sends all three hosts there. The merged copy differs
from Twilio's in three ways, each needed for Prism:

- Array fields of form bodies (MessageSamples, OptOutKeywords...) declare the
  encoding OpenAPI implies by default (style form, explode); without it
  Prism reads a repeated key as one string and refuses the request. They
  also allow reserved characters, which Prism otherwise finds in the decoded
  text of any sample with a colon or a question mark.
- Answers Twilio's description lacks are added as named examples (an
  approved or failed brand, a verified or failed campaign, a compliant
  evaluation, Twilio-shaped errors), chosen with `Prefer: example=NAME`.
- The happy answers come first, because Prism answers with the first example
  when none is asked for: a development server walks from submission to
  approval. Twilio's own examples stay available by name.

The Prism process is the shared `tests.fakes.prism.PrismServer`, and requests
are recorded as the shared `tests.fakes.twilio.SentRequest`, with the query
string added. The client is the product's own LoopbackHttpClient, so tests go
through the code a development server uses.

Run it for the development walk-through with
`python -m tests.fakes.twilio_mock --port 4010` and start the app with
`TWILIO_API_MOCK_URL=http://127.0.0.1:4010`.
"""

import argparse
import copy
import dataclasses
import json
import re
import signal
import sys
import tempfile
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from registration.twilio_api import LoopbackHttpClient
from tests.fakes.prism import PrismServer
from tests.fakes.twilio import SentRequest

ROOT = Path(__file__).resolve().parent.parent.parent
SPEC_DIR = ROOT / "node_modules" / "@twilio-alpha" / "mcp" / "twilio-oai" / "spec" / "json"
SPECS = ("twilio_api_v2010.json", "twilio_messaging_v1.json", "twilio_trusthub_v1.json")

BRAND = "/v1/a2p/BrandRegistrations/{Sid}"
BRANDS = "/v1/a2p/BrandRegistrations"
CAMPAIGN = "/v1/Services/{MessagingServiceSid}/Compliance/Usa2p/{Sid}"
PROFILE_EVALUATIONS = "/v1/CustomerProfiles/{CustomerProfileSid}/Evaluations"
PRODUCT_EVALUATIONS = "/v1/TrustProducts/{TrustProductSid}/Evaluations"
NUMBERS = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers.json"
NUMBER = "/2010-04-01/Accounts/{AccountSid}/IncomingPhoneNumbers/{Sid}.json"
SERVICES = "/v1/Services"

BRAND_FAILURE = {
    "code": 30794,
    "description": "The legal name does not match the EIN in IRS records.",
    "fields": ["business_name", "business_registration_number"],
}
CAMPAIGN_FAILURE = {
    "error_code": 30896,
    "fields": ["MESSAGE_SAMPLES"],
    "url": "https://www.twilio.com/docs/api/errors/30896",
    "description": "Sample messages do not identify the brand.",
}


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict]:
    info = f"https://www.twilio.com/docs/errors/{code}"
    return status, {"code": code, "message": message, "more_info": info, "status": status}


# (path, method) -> Twilio-shaped error answers by example name, asked for
# with `Prefer: code=STATUS, example=NAME`. Codes: twilio.com/docs/api/errors
ERRORS = {
    (BRANDS, "post"): {
        "brand_refused": _twilio_error(400, 21715, "Customer Profile Bundle is not approved"),
    },
    (NUMBERS, "post"): {
        "number_taken": _twilio_error(400, 21422, "PhoneNumber is not available"),
    },
    (NUMBER, "delete"): {
        "number_gone": _twilio_error(404, 20404, "The requested resource was not found"),
    },
    (SERVICES, "post"): {
        "server_error": _twilio_error(503, 20503, "Service unavailable"),
    },
}


def prefer_error(path: str, method: str, name: str) -> str:
    """The Prefer header value that selects error example `name`."""
    status = ERRORS[(path, method)][name][0]
    return f"code={status}, example={name}"


def _example(spec, path, method, code, name) -> dict:
    content = spec["paths"][path][method]["responses"][code]["content"]["application/json"]
    return copy.deepcopy(content["examples"][name]["value"])


def _first(spec, path, method, code, examples: dict) -> None:
    """Put `examples` before the description's own, which stay by name."""
    content = spec["paths"][path][method]["responses"][code]["content"]["application/json"]
    content["examples"] = {**examples, **content["examples"]}


def _compliant(evaluation: dict) -> dict:
    return {**evaluation, "status": "compliant", "results": []}


def _add_examples(spec: dict) -> None:
    brand = _example(spec, BRAND, "get", "200", "fetch")
    _first(
        spec,
        BRAND,
        "get",
        "200",
        {
            "approved": {"value": {**brand, "status": "APPROVED", "failure_reason": None}},
            "pending": {"value": {**brand, "failure_reason": None}},
            "failed": {"value": {**brand, "status": "FAILED", "errors": [BRAND_FAILURE]}},
        },
    )
    campaign = _example(spec, CAMPAIGN, "get", "200", "fetch")
    _first(
        spec,
        CAMPAIGN,
        "get",
        "200",
        {
            "verified": {"value": {**campaign, "campaign_status": "VERIFIED"}},
            "pending": {"value": campaign},
            "failed": {
                "value": {**campaign, "campaign_status": "FAILED", "errors": [CAMPAIGN_FAILURE]}
            },
        },
    )
    for path in (PROFILE_EVALUATIONS, PRODUCT_EVALUATIONS):
        evaluation = _example(spec, path, "post", "201", "create")
        _first(spec, path, "post", "201", {"compliant": {"value": _compliant(evaluation)}})
    for (path, method), errors in ERRORS.items():
        responses = spec["paths"][path][method]["responses"]
        for name, (status, body) in errors.items():
            response = responses.setdefault(
                str(status),
                {
                    "description": f"Twilio error ({status})",
                    "content": {"application/json": {"schema": {"type": "object"}, "examples": {}}},
                },
            )
            response["content"]["application/json"].setdefault("examples", {})[name] = {
                "value": body
            }


def _explode_form_arrays(spec: dict) -> None:
    for operations in spec["paths"].values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "requestBody" not in operation:
                continue
            for media in operation["requestBody"]["content"].values():
                arrays = {
                    name: {"style": "form", "explode": True, "allowReserved": True}
                    for name, schema in media["schema"].get("properties", {}).items()
                    if schema.get("type") == "array"
                }
                if arrays:
                    media["encoding"] = arrays


def merged_spec(spec_dir: Path = SPEC_DIR) -> dict:
    """Twilio's three descriptions as one, adapted for Prism (see above)."""
    merged = None
    for name in SPECS:
        spec = json.loads((spec_dir / name).read_text(encoding="utf-8"))
        if merged is None:
            merged = spec
            merged["info"]["title"] = "Twilio (2010 API, Messaging, Trust Hub)"
            continue
        assert not set(spec["paths"]) & set(merged["paths"]), "the descriptions share a path"
        merged["paths"].update(spec["paths"])
        merged["components"]["schemas"].update(spec["components"]["schemas"])
    _explode_form_arrays(merged)
    _add_examples(merged)
    return merged


def start_mock(workdir: Path, port: int | None = None) -> PrismServer:
    """Start Prism on 127.0.0.1 serving the merged description, on `port` or
    a free one; stop it with the server's `stop()`."""
    spec = workdir / "twilio.json"
    spec.write_text(json.dumps(merged_spec()), encoding="utf-8")
    server = PrismServer(spec, workdir / "prism.log")
    if port:
        server.port, server.base_url = port, f"http://127.0.0.1:{port}"
    server.start()
    return server


@dataclasses.dataclass
class RestRequest(SentRequest):
    """One request as the SDK sent it, and the mock's answer, with the query
    string too (searches send their criteria there)."""

    query: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def request_violations(self) -> list[dict]:
        """What Prism found wrong with the request (not with Twilio's own
        example answer, which sometimes breaks its schema)."""
        found = json.loads(self.violations) if self.violations else []
        return [v for v in found if v.get("location", [""])[0] == "request"]

    @property
    def endpoint(self) -> str:
        """Method, host and path with SIDs replaced by their two-letter prefix."""
        path = re.sub(r"\b([A-Z]{2})[0-9a-fA-F]{32}\b", r"\1…", self.path)
        return f"{self.method} {self.host}{path}"


class RecordingHttpClient(LoopbackHttpClient):
    """The product's loopback client, recording every request it sends.

    `prefer` holds (method, path regex, Prefer header value) rules; the first
    matching rule chooses the mock's answer to a request.
    """

    def __init__(self, base_url: str):
        super().__init__(base_url)
        self.requests: list[RestRequest] = []
        self.prefer: list[tuple[str, str, str]] = []
        self.request_hooks = {"response": [self._record]}

    def request(self, method, url, params=None, data=None, headers=None, **kwargs):
        path = urlsplit(url).path
        headers = dict(headers or {})
        for rule_method, pattern, value in self.prefer:
            if rule_method == method.upper() and re.search(pattern, path):
                headers["Prefer"] = value
                break
        self._host = urlsplit(url).hostname
        return super().request(method, url, params=params, data=data, headers=headers, **kwargs)

    def _record(self, response, *args, **kwargs):
        sent = response.request
        url = urlsplit(sent.url)
        body = sent.body or ""
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        self.requests.append(
            RestRequest(
                method=sent.method,
                host=self._host,
                path=url.path,
                headers=dict(sent.headers),
                form=parse_qs(body, keep_blank_values=True),
                status_code=response.status_code,
                violations=response.headers.get("sl-violations", ""),
                query=parse_qs(url.query),
            )
        )
        return response

    def endpoints(self) -> list[str]:
        return [sent.endpoint for sent in self.requests]

    def find(self, method: str, pattern: str) -> list[RestRequest]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]


def main(argv=None) -> int:
    """Serve the mock in the foreground for a development server to use."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=4010)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as workdir:
        mock = start_mock(Path(workdir), args.port)
        # Stopping this command (Ctrl-C or SIGTERM) stops Prism with it.
        signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
        print(
            f"Twilio mock at {mock.base_url}; run the app with TWILIO_API_MOCK_URL={mock.base_url}"
        )
        try:
            mock.process.wait()
        except KeyboardInterrupt:
            pass
        finally:
            mock.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
