import pytest

from registration import twilio_api
from tests.fakes.twilio_mock import RecordingHttpClient, TwilioMock
from tests.services import free_port, prism_binary, twilio_spec

PRIMARY_PROFILE_SID = "BU" + "1" * 32


@pytest.fixture(scope="session")
def twilio_mock(tmp_path_factory):
    """Prism serving Twilio's descriptions on loopback for the whole session."""
    prism_binary()
    twilio_spec("twilio_trusthub_v1.json")
    mock = TwilioMock(tmp_path_factory.mktemp("twilio-mock"), free_port()).start()
    yield mock
    mock.stop()


@pytest.fixture
def twilio_http(twilio_mock, monkeypatch, settings):
    """The HTTP client every Twilio call of the product goes through in the
    test: over real HTTP to the mock, recording each request."""
    settings.TWILIO_PRIMARY_CUSTOMER_PROFILE_SID = PRIMARY_PROFILE_SID
    client = RecordingHttpClient(twilio_mock.url)
    monkeypatch.setattr(twilio_api, "http_client", lambda: client)
    yield client
    invalid = [(r.endpoint, r.request_violations) for r in client.requests if r.request_violations]
    assert not invalid, f"requests broke Twilio's description: {invalid}"
