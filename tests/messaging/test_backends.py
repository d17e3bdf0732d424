"""The SMS backends: one contract every backend meets, then the Twilio
backend through the real `twilio` SDK over HTTP against Prism."""

import io
import json
import re
import threading

import pytest
from django.test import override_settings

from messaging import services
from messaging.backends import SmsBackendError, SmsMessage, get_connection, locmem
from messaging.backends.console import ConsoleBackend
from messaging.backends.filebased import FileBackend
from messaging.backends.locmem import LocmemBackend
from messaging.backends.twilio import TwilioBackend
from messaging.errors import Consequence, classify_error
from messaging.models import Message
from messaging.outbox import status_callback_url
from optin.models import Consent, ConsentEvent, ConsentState
from tests.conftest import INBOUND_PATH, PUBLIC_BASE_URL, inbound_params
from tests.factories import OutboundMessageFactory
from tests.fakes.prism import prefer_error
from tests.fakes.twilio import UnroutedHostError
from tests.services import free_port

SID_PATTERN = re.compile(r"^SM[0-9a-fA-F]{32}$")
BAY_NUMBER = "+12025550100"
STATUS_CALLBACK = f"{PUBLIC_BASE_URL}/webhooks/twilio/status/"
# The SID in the example answer of Twilio's API description, which Prism serves.
PRISM_MESSAGE_SID = "SM" + "a" * 32
ACCOUNT_SID = "AC" + "0" * 32
MESSAGING_SERVICE_SID = "MG" + "1" * 32


def sms(number: int, **overrides) -> SmsMessage:
    fields = {
        "to": f"+1202555{100 + number:04d}",
        "from_": BAY_NUMBER,
        "body": f"Open house Saturday 2-4pm, text {number}.",
        "message_id": number,
        "status_callback": STATUS_CALLBACK,
    }
    fields.update(overrides)
    return SmsMessage(**fields)


class BackendContract:
    """What every SMS backend does. A subclass provides `make_backend`,
    `arrange_failure` (make one message's send fail) and `delivered_to` (the
    phones the backend's far side received, in order)."""

    def make_backend(self, **kwargs):
        raise NotImplementedError

    def arrange_failure(self, message: SmsMessage) -> None:
        raise NotImplementedError

    def delivered_to(self) -> list[str]:
        raise NotImplementedError

    def test_returns_the_number_sent(self):
        messages = [sms(41), sms(42)]

        assert self.make_backend().send_messages(messages) == 2
        assert self.delivered_to() == ["+12025550141", "+12025550142"]

    def test_accepts_an_empty_list(self):
        assert self.make_backend().send_messages([]) == 0
        assert self.delivered_to() == []

    def test_fills_in_a_twilio_shaped_sid(self):
        message = sms(43)

        self.make_backend().send_messages([message])

        assert SID_PATTERN.match(message.sid), message.sid

    def test_fail_silently_skips_the_failed_message_and_sends_the_rest(self):
        messages = [sms(44), sms(45), sms(46)]
        self.arrange_failure(messages[1])

        assert self.make_backend(fail_silently=True).send_messages(messages) == 2
        assert self.delivered_to() == ["+12025550144", "+12025550146"]

    def test_failure_raises_sms_backend_error_without_fail_silently(self):
        messages = [sms(47), sms(48)]
        self.arrange_failure(messages[0])

        with pytest.raises(SmsBackendError):
            self.make_backend().send_messages(messages)
        assert self.delivered_to() == []

    def test_sends_as_a_context_manager(self):
        with self.make_backend() as connection:
            assert connection.send_messages([sms(49)]) == 1
        assert self.delivered_to() == ["+12025550149"]


class _FlakyStream(io.StringIO):
    """A terminal whose write fails for one phone number."""

    failing_phone = None

    def write(self, text):
        if self.failing_phone and f"To: {self.failing_phone}\n" in text:
            raise OSError("write failed")
        return super().write(text)


class ConsoleBackendTests(BackendContract):
    @pytest.fixture(autouse=True)
    def _stream(self):
        self.stream = _FlakyStream()

    def make_backend(self, **kwargs):
        return ConsoleBackend(stream=self.stream, **kwargs)

    def arrange_failure(self, message):
        self.stream.failing_phone = message.to

    def delivered_to(self):
        return re.findall(r"^To: (\S+)$", self.stream.getvalue(), flags=re.MULTILINE)

    def test_prints_sender_recipient_and_body(self):
        ConsoleBackend(stream=self.stream).send_messages([sms(50)])

        expected = f"From: {BAY_NUMBER}\nTo: +12025550150\n\nOpen house Saturday 2-4pm, text 50.\n"
        assert expected in self.stream.getvalue()


class FileBackendTests(BackendContract):
    @pytest.fixture(autouse=True)
    def _directory(self, tmp_path):
        self.directory = tmp_path / "sms"

    def make_backend(self, **kwargs):
        return FileBackend(file_path=self.directory, **kwargs)

    def arrange_failure(self, message):
        # A directory where the message's file should go makes the write fail.
        message.sid = "SM" + "f" * 32
        (self.directory / f"{message.message_id}-{message.sid}.json").mkdir(parents=True)

    def _records(self):
        files = sorted(self.directory.glob("*.json")) if self.directory.exists() else []
        return [json.loads(path.read_text()) for path in files if path.is_file()]

    def delivered_to(self):
        return [record["to"] for record in self._records()]

    def test_writes_the_fields_the_issue_lists(self):
        message = sms(51)

        self.make_backend().send_messages([message])

        assert self._records() == [
            {
                "sid": message.sid,
                "message_id": 51,
                "from": BAY_NUMBER,
                "to": "+12025550151",
                "body": "Open house Saturday 2-4pm, text 51.",
                "status_callback": STATUS_CALLBACK,
            }
        ]

    def test_file_path_comes_from_the_backend_options_setting(self, tmp_path):
        with override_settings(
            SMS_BACKEND="filebased", SMS_BACKEND_OPTIONS={"file_path": tmp_path / "opts"}
        ):
            connection = get_connection()

        assert connection.file_path == tmp_path / "opts"


class LocmemBackendTests(BackendContract):
    def make_backend(self, **kwargs):
        return LocmemBackend(**kwargs)

    def arrange_failure(self, message):
        locmem.failures[message.to] = SmsBackendError("Invalid 'To' Phone Number", code=21211)

    def delivered_to(self):
        return [message.to for message in locmem.outbox]


@pytest.mark.prism
class TwilioBackendTests(BackendContract):
    """The real `twilio.rest.Client`, over HTTP, against Prism serving
    Twilio's description of its API."""

    @pytest.fixture(autouse=True)
    def _prism(self, twilio_http):
        self.http = twilio_http

    def make_backend(self, **kwargs):
        return TwilioBackend(account_sid=ACCOUNT_SID, http_client=self.http, **kwargs)

    def arrange_failure(self, message):
        self.http.prefer_by_to[message.to] = prefer_error("invalid_to")

    def delivered_to(self):
        return [sent.value("To") for sent in self.http.requests if sent.status_code == 201]

    def _send_error(self, example: str) -> SmsBackendError:
        self.http.prefer = prefer_error(example)
        with pytest.raises(SmsBackendError) as raised:
            self.make_backend().send_messages([sms(60)])
        return raised.value

    def test_posts_to_from_body_and_status_callback(self):
        self.make_backend().send_messages([sms(52)])

        sent = self.http.last
        assert (sent.method, sent.host) == ("POST", "api.twilio.com")
        assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        assert sent.form == {
            "To": ["+12025550152"],
            "From": [BAY_NUMBER],
            "Body": ["Open house Saturday 2-4pm, text 52."],
            "StatusCallback": [STATUS_CALLBACK],
        }
        assert sent.status_code == 201

    def test_messaging_service_keeps_the_bay_number_as_sender(self):
        self.make_backend().send_messages([sms(53, messaging_service_sid=MESSAGING_SERVICE_SID)])

        sent = self.http.last
        assert sent.value("MessagingServiceSid") == MESSAGING_SERVICE_SID
        assert sent.value("From") == BAY_NUMBER
        assert sent.value("To") == "+12025550153"

    def test_records_the_sid_and_status_twilio_answers(self):
        message = sms(54)

        self.make_backend().send_messages([message])

        assert (message.sid, message.provider_status) == (PRISM_MESSAGE_SID, "queued")

    def test_basic_auth_uses_the_account_sid(self):
        self.make_backend().send_messages([sms(55)])

        assert self.http.last.headers["Authorization"].startswith("Basic ")

    @pytest.mark.parametrize(
        ("example", "code", "consequence"),
        [
            ("opted_out", 21610, Consequence.OPT_OUT),
            ("invalid_to", 21211, Consequence.INVALID_PHONE),
        ],
    )
    def test_permanent_refusal_carries_twilio_code(self, example, code, consequence):
        error = self._send_error(example)

        assert (error.code, error.http_status, error.reached_provider) == (code, 400, True)
        info = classify_error(code=error.code, http_status=error.http_status, reached=True)
        assert (info.retryable, info.consequence) == (False, consequence)

    @pytest.mark.parametrize(
        ("example", "code", "http_status"),
        [("rate_limited", 20429, 429), ("server_error", 20500, 500)],
    )
    def test_rate_limit_and_server_error_are_retryable(self, example, code, http_status):
        error = self._send_error(example)

        assert (error.code, error.http_status) == (code, http_status)
        assert classify_error(
            code=error.code, http_status=error.http_status, reached=True
        ).retryable

    def test_problem_details_error_carries_twilio_code(self):
        """Twilio's RFC 9457 error shape is a refusal like the legacy one."""
        error = self._send_error("problem_details")

        assert (error.code, error.http_status, error.reached_provider) == (21211, 400, True)

    def test_request_the_description_forbids_is_refused(self):
        """Prism refuses (422) what Twilio's description does not allow."""
        with pytest.raises(SmsBackendError) as raised:
            self.make_backend().send_messages([sms(56, from_="", messaging_service_sid="MGbad")])

        assert raised.value.http_status == 422
        assert "MessagingServiceSid must match pattern" in self.http.last.violations

    def test_connection_refused_never_reached_twilio(self):
        closed_port = free_port()
        self.http.routes["api.twilio.com"] = lambda: f"http://127.0.0.1:{closed_port}"

        with pytest.raises(SmsBackendError) as raised:
            self.make_backend().send_messages([sms(57)])

        assert raised.value.reached_provider is False
        assert classify_error(code=None, http_status=None, reached=False).retryable


class TwilioConnectionTests:
    """What a worker keeps between sends; nothing here reaches the network."""

    def test_sends_of_one_worker_share_an_http_client_with_the_timeout(self, settings):
        settings.TWILIO_HTTP_TIMEOUT = 7
        made = []

        def worker():
            # A thread of its own: it starts with no client, as a new worker.
            made.extend(
                TwilioBackend(account_sid=ACCOUNT_SID, auth_token="token").http_client
                for _ in range(2)
            )

        for _ in range(2):
            thread = threading.Thread(target=worker)
            thread.start()
            thread.join()

        first, second, other, _ = made
        assert first is second
        assert first.timeout == 7
        assert other is not first

    def test_with_the_mock_url_set_sends_go_to_it_and_nowhere_else(self, settings):
        from registration.twilio_api import LoopbackHttpClient

        settings.TWILIO_API_MOCK_URL = "http://127.0.0.1:4010"
        made = []
        thread = threading.Thread(
            target=lambda: made.append(
                TwilioBackend(account_sid=ACCOUNT_SID, auth_token="token").http_client
            )
        )
        thread.start()
        thread.join()

        (client,) = made
        assert isinstance(client, LoopbackHttpClient)
        url = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        assert client.local_url(url) == (
            f"http://127.0.0.1:4010/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        )

    def test_open_loads_the_messages_resource_before_the_rate_slot_is_taken(self):
        backend = TwilioBackend(account_sid=ACCOUNT_SID, auth_token="token")

        backend.open()

        assert backend.client._api is not None


class PrismHttpClientTests:
    def test_refuses_a_host_without_a_stand_in(self, twilio_http):
        with pytest.raises(UnroutedHostError):
            twilio_http.request("GET", "https://example.com/2010-04-01/Accounts.json")
        assert twilio_http.requests == []

    def test_refuses_plain_http_to_twilio(self, twilio_http):
        with pytest.raises(UnroutedHostError):
            twilio_http.request("GET", "http://api.twilio.com/2010-04-01/Accounts.json")

    def test_ignores_proxies_from_the_environment(self, twilio_http):
        assert twilio_http.session.trust_env is False


def _opt_in(twilio, *, sid: str) -> None:
    """The contact texts YES to the BAY Number, as a signed Twilio webhook."""
    response = twilio.post(INBOUND_PATH, inbound_params(MessageSid=sid, Body="YES"))
    assert response.status_code == 200


@pytest.mark.prism
@pytest.mark.django_db
class TwilioSendPathTests:
    """A text from `sms_send` to Prism: the gate, the on-commit task,
    `sms_deliver` and the Twilio backend chosen by SMS_BACKEND."""

    @pytest.fixture(autouse=True)
    def _twilio_backend(self, twilio_http, twilio, agent, bay_number, contact):
        _opt_in(twilio, sid="SM_IN_YES_01")
        self.http, self.agent, self.bay_number, self.contact = (
            twilio_http,
            agent,
            bay_number,
            contact,
        )
        with override_settings(
            SMS_BACKEND="twilio",
            SMS_BACKEND_OPTIONS={"http_client": twilio_http, "account_sid": ACCOUNT_SID},
        ):
            yield

    def _send(self, run_on_commit, body="See you at the open house."):
        with run_on_commit():
            message = services.sms_send(
                agent=self.agent, bay_number=self.bay_number, contact=self.contact, body=body
            )
        message.refresh_from_db()
        return message

    def test_text_goes_to_twilio_and_records_its_sid(self, run_on_commit):
        message = self._send(run_on_commit)

        assert self.http.last.form == {
            "To": ["+12025550142"],
            "From": ["+12025550100"],
            "Body": ["See you at the open house."],
            "StatusCallback": [status_callback_url()],
        }
        assert (message.status, message.twilio_sid) == (Message.Status.SENDING, PRISM_MESSAGE_SID)
        assert message.sent_at is not None

    def test_carrier_opt_out_fails_the_text_and_opts_the_phone_out(self, run_on_commit):
        self.http.prefer = prefer_error("opted_out")

        message = self._send(run_on_commit)

        assert (message.status, message.error_code) == (Message.Status.FAILED, "21610")
        consent = Consent.objects.get(bay_number=self.bay_number, phone=self.contact.phone)
        assert consent.state == ConsentState.OPTED_OUT
        assert list(consent.events.values_list("source", "new_state")) == [
            (ConsentEvent.Source.INBOUND_KEYWORD, ConsentState.OPTED_IN),
            (ConsentEvent.Source.TWILIO_21610, ConsentState.OPTED_OUT),
        ]

    def test_server_error_leaves_the_text_queued_for_a_retry(self):
        message = OutboundMessageFactory(bay_number=self.bay_number, contact=self.contact)
        self.http.prefer = prefer_error("server_error")

        with pytest.raises(services.TransientSendError):
            services.sms_deliver(message.pk)

        message.refresh_from_db()
        assert (message.status, message.error_code, message.twilio_sid) == (
            Message.Status.QUEUED,
            "20500",
            None,
        )
