import pytest

from registration import twilio_api
from tests.fakes.twilio_mock import RecordingHttpClient, start_mock
from tests.services import twilio_spec

PRIMARY_PROFILE_SID = "BU" + "1" * 32


@pytest.fixture(scope="session")
def twilio_mock(tmp_path_factory):
    """Prism serving Twilio's descriptions on loopback for the whole session."""
    twilio_spec("twilio_trusthub_v1.json")
    server = start_mock(tmp_path_factory.mktemp("twilio-mock"))
    yield server
    server.stop()


@pytest.fixture
def twilio_rest(twilio_mock, monkeypatch, settings):
    """The HTTP client every Twilio call of the product goes through in the
    test: over real HTTP to the mock, recording each request."""
    settings.TWILIO_PRIMARY_CUSTOMER_PROFILE_SID = PRIMARY_PROFILE_SID
    client = RecordingHttpClient(twilio_mock.base_url)
    monkeypatch.setattr(twilio_api, "http_client", lambda: client)
    yield client
    invalid = [(r.endpoint, r.request_violations) for r in client.requests if r.request_violations]
    assert not invalid, f"requests broke Twilio's description: {invalid}"
