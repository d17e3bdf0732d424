import pytest
from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

from messaging.backends import locmem
from tests.factories import AgentFactory, BayNumberFactory, ContactFactory
from tests.fakes.prism import API_SPEC, MESSAGING_SPEC, TRUSTHUB_SPEC, PrismFleet
from tests.fakes.twilio import PrismHttpClient

PUBLIC_BASE_URL = "https://app.example.com"
INBOUND_PATH = "/webhooks/twilio/sms/"
STATUS_PATH = "/webhooks/twilio/status/"


@pytest.fixture(autouse=True)
def _empty_outbox():
    locmem.outbox.clear()
    locmem.failures.clear()
    yield
    locmem.outbox.clear()
    locmem.failures.clear()


@pytest.fixture
def outbox():
    """The locmem SMS backend's outbox: what the product sent."""
    return locmem.outbox


def twilio_signature(url: str, params) -> str:
    """Sign as Twilio does, with the test auth token and the SDK's own code."""
    return RequestValidator(settings.TWILIO_AUTH_TOKEN).compute_signature(url, params)


def inbound_params(**overrides) -> dict[str, str]:
    """The base inbound webhook `P` of the field cases, with overrides."""
    params = {
        "AccountSid": "AC_TEST",
        "MessageSid": "SM_IN_01",
        "From": "+12025550142",
        "To": "+12025550100",
        "NumMedia": "0",
        "Body": "Hi",
    }
    params.update(overrides)
    return {key: value for key, value in params.items() if value is not None}


def status_params(**overrides) -> dict[str, str]:
    """The base status callback `S` of the field cases, with overrides."""
    params = {
        "AccountSid": "AC_TEST",
        "MessageSid": "SM_OUT_01",
        "From": "+12025550100",
        "To": "+12025550142",
        "MessageStatus": "sent",
    }
    params.update(overrides)
    return params


class TwilioPoster:
    """Posts webhooks to the app as Twilio would: form-encoded and signed
    over the public URL."""

    def __init__(self, client: Client):
        self.client = client

    def post(self, path, params, *, signed_url=None, signature=None, **extra):
        url = signed_url or PUBLIC_BASE_URL + path
        if signature is None:
            signature = twilio_signature(url, params)
        return self.client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature, **extra)

    def inbound(self, **overrides):
        return self.post(INBOUND_PATH, inbound_params(**overrides))

    def status(self, **overrides):
        return self.post(STATUS_PATH, status_params(**overrides))


@pytest.fixture
def twilio(db):
    """Send signed Twilio webhooks through a CSRF-enforcing client."""
    return TwilioPoster(Client(enforce_csrf_checks=True))


@pytest.fixture
def agent(db):
    return AgentFactory()


@pytest.fixture
def bay_number(agent):
    return BayNumberFactory(agent=agent, phone_number="+12025550100")


@pytest.fixture
def contact(agent):
    return ContactFactory(agent=agent, phone="+12025550142", first_name="Pat")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (the task enqueues) as the block ends, as
    production does when the transaction commits."""

    def runner():
        return django_capture_on_commit_callbacks(execute=True)

    return runner


@pytest.fixture(scope="session")
def prism(tmp_path_factory):
    """Prism servers for Twilio's API descriptions, each started on first use
    and all stopped when the session ends; logs are in the session's tmp dir."""
    fleet = PrismFleet(tmp_path_factory.mktemp("prism"))
    yield fleet
    fleet.stop()


@pytest.fixture
def twilio_http(prism):
    """An HTTP client for `twilio.rest.Client` that reaches Prism, never Twilio."""
    return PrismHttpClient(
        routes={
            "api.twilio.com": lambda: prism.base_url(API_SPEC),
            "messaging.twilio.com": lambda: prism.base_url(MESSAGING_SPEC),
            "trusthub.twilio.com": lambda: prism.base_url(TRUSTHUB_SPEC),
        }
    )
