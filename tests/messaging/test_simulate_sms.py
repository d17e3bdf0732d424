import pytest
from django.core.management import CommandError, call_command

from messaging.models import Message
from optin.models import Consent, ConsentState


@pytest.mark.django_db(transaction=True)
class SimulateSmsTests:
    def test_posts_a_signed_webhook_to_a_running_server(self, live_server, capsys):
        from tests.factories import BayNumberFactory, ContactFactory

        bay_number = BayNumberFactory(phone_number="+12025550100")
        ContactFactory(agent=bay_number.agent, phone="+12025550142")

        call_command(
            "simulate_sms",
            "--from", "(202) 555-0142",
            "--to", "202-555-0100",
            "--body", "STOP",
            "--server", live_server.url,
        )  # fmt: skip

        assert "HTTP 200" in capsys.readouterr().out
        inbound = Message.objects.get(direction="inbound")
        assert set(inbound.raw_payload) >= {
            "MessageSid", "SmsSid", "SmsMessageSid", "AccountSid", "From", "To", "Body",
            "NumMedia", "NumSegments", "FromCountry", "ToCountry", "ApiVersion", "SmsStatus",
        }  # fmt: skip
        assert Consent.objects.get().state == ConsentState.OPTED_OUT

    def test_bad_phone_is_a_clear_error(self):
        with pytest.raises(CommandError, match="not a phone number"):
            call_command("simulate_sms", "--from", "hello", "--to", "+12025550100")

    def test_unreachable_server_is_a_clear_error(self):
        from tests.services import free_port

        with pytest.raises(CommandError, match="Could not reach"):
            call_command(
                "simulate_sms",
                "--from", "+12025550142",
                "--to", "+12025550100",
                "--server", f"http://127.0.0.1:{free_port()}",
            )  # fmt: skip

    def test_a_signature_the_server_refuses_says_which_url_it_was_made_for(
        self, live_server, settings, monkeypatch
    ):
        from messaging import simulator
        from tests.factories import BayNumberFactory

        BayNumberFactory(phone_number="+12025550100")
        # Signed for another address than the one the server checks.
        real_sign = simulator.sign
        monkeypatch.setattr(
            simulator, "sign", lambda url, params: real_sign("http://127.0.0.1:1/", params)
        )

        with pytest.raises(CommandError) as caught:
            call_command(
                "simulate_sms",
                "--from", "+12025550142",
                "--to", "+12025550100",
                "--server", live_server.url,
            )  # fmt: skip

        assert "HTTP 403" in str(caught.value)
        assert f"made for {settings.PUBLIC_BASE_URL}" in str(caught.value)
        assert not Message.objects.exists()
