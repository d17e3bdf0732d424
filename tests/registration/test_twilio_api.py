"""The one module through which the product calls Twilio's REST API (besides
sending texts): its HTTP client, its configuration, its errors."""

import pytest

from registration import numbers, twilio_api
from registration.twilio_api import LoopbackHttpClient, TwilioApi, TwilioApiError
from tests.clientbay.test_deploy import PRODUCTION_ENV, manage
from tests.factories import AdminFactory, BayNumberFactory
from tests.fakes.twilio_mock import NUMBER, prefer_error
from tests.services import free_port

pytestmark = pytest.mark.django_db


class LoopbackHttpClientTests:
    def test_sends_twilios_hosts_to_the_mock(self):
        client = LoopbackHttpClient("http://127.0.0.1:4010")
        assert client.local_url("https://trusthub.twilio.com/v1/EndUsers?x=1") == (
            "http://127.0.0.1:4010/v1/EndUsers?x=1"
        )
        assert client.session.trust_env is False

    def test_refuses_any_other_host(self):
        client = LoopbackHttpClient("http://127.0.0.1:4010")
        with pytest.raises(ValueError, match="not a Twilio API host"):
            client.request("GET", "https://example.com/v1/Services")

    def test_the_mock_must_be_on_loopback(self):
        with pytest.raises(ValueError, match="loopback"):
            LoopbackHttpClient("http://10.0.0.5:4010")


class ConfigurationTests:
    def test_without_an_account_twilio_is_not_configured(self, settings):
        settings.TWILIO_ACCOUNT_SID = None
        with pytest.raises(TwilioApiError, match="Twilio is not configured"):
            TwilioApi()

    def test_a_local_mock_needs_no_account(self, settings):
        settings.TWILIO_ACCOUNT_SID = None
        settings.TWILIO_PRIMARY_CUSTOMER_PROFILE_SID = None
        settings.TWILIO_API_MOCK_URL = "http://127.0.0.1:4010"

        assert TwilioApi.from_settings().client.account_sid == twilio_api.MOCK_ACCOUNT_SID
        assert isinstance(twilio_api.http_client(), LoopbackHttpClient)
        assert twilio_api.primary_customer_profile_sid() == twilio_api.MOCK_PRIMARY_PROFILE_SID

    def test_production_refuses_a_mock_that_is_not_local(self):
        result = manage(
            "check",
            DJANGO_SECRET_KEY="x" * 50,
            TWILIO_API_MOCK_URL="https://mock.example.com",
            **PRODUCTION_ENV,
        )
        assert result.returncode != 0
        assert "TWILIO_API_MOCK_URL must point at 127.0.0.1" in result.stderr

    @pytest.mark.parametrize(("debug", "required"), [("0", "True"), ("1", "False")])
    def test_registration_is_required_to_send_except_in_development(self, debug, required):
        result = manage(
            "shell",
            "-c",
            "from django.conf import settings; print(settings.REGISTRATION_REQUIRED_TO_SEND)",
            **{**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "x" * 50, "DJANGO_DEBUG": debug},
        )
        assert result.stdout.strip().splitlines()[-1] == required, result.stderr


class ErrorTests:
    def test_an_unreachable_twilio_is_a_transient_error(self):
        api = TwilioApi(http_client=LoopbackHttpClient(f"http://127.0.0.1:{free_port()}"))
        with pytest.raises(TwilioApiError) as raised:
            api.brand_fetch("BN" + "a" * 32)
        assert raised.value.transient
        assert str(raised.value) == "Twilio could not be reached to fetch the brand."

    @pytest.mark.prism
    def test_a_number_already_gone_at_twilio_counts_as_released(self, twilio_rest):
        bay_number = BayNumberFactory()
        twilio_rest.prefer = [
            ("DELETE", "IncomingPhoneNumbers", prefer_error(NUMBER, "delete", "number_gone"))
        ]

        numbers.bay_number_release(
            admin=AdminFactory(brokerage=bay_number.brokerage), bay_number=bay_number
        )

        assert twilio_rest.requests[0].status_code == 404
        bay_number.refresh_from_db()
        assert bay_number.released_at is not None
