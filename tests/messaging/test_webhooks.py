"""The Twilio webhooks: signatures, CSRF, TwiML answers, storage, replays.

Field cases FC-01 to FC-06, FC-10, FC-11 and FC-14."""

import pytest
from django.test import Client, override_settings
from twilio.request_validator import RequestValidator

from messaging.models import Message
from optin.models import Consent, ConsentEvent, ConsentState
from tests.concurrency import at_the_same_moment
from tests.conftest import (
    INBOUND_PATH,
    STATUS_PATH,
    inbound_params,
    status_params,
    twilio_signature,
)
from tests.factories import BayNumberFactory, ContactFactory, OutboundMessageFactory
from tests.services import require_postgres

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def assert_empty_twiml(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.decode() == EMPTY_TWIML


@pytest.mark.django_db
class SignatureTests:
    def test_valid_signature_is_accepted_and_the_text_stored(self, twilio, bay_number, contact):
        response = twilio.inbound(Body="Hi")

        assert_empty_twiml(response)
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.body == "Hi"
        assert message.direction == Message.Direction.INBOUND
        assert message.contact == contact

    def test_missing_signature_is_refused_and_nothing_changes(self, bay_number):
        response = Client().post(INBOUND_PATH, inbound_params(Body="STOP"))

        assert response.status_code == 403
        assert Message.objects.count() == 0
        assert Consent.objects.count() == 0

    def test_forged_signature_is_refused(self, twilio, bay_number):
        params = inbound_params(Body="YES")
        forged = twilio_signature("https://app.example.com" + INBOUND_PATH, {"Body": "YES"})

        response = twilio.post(INBOUND_PATH, params, signature=forged)

        assert response.status_code == 403
        assert Message.objects.count() == 0

    def test_signature_by_another_token_is_refused(self, twilio, bay_number):
        params = inbound_params(Body="YES")
        with override_settings(TWILIO_AUTH_TOKEN="someone-elses-token"):
            other = twilio_signature("https://app.example.com" + INBOUND_PATH, params)

        assert twilio.post(INBOUND_PATH, params, signature=other).status_code == 403

    def test_tampered_body_is_refused(self, twilio, bay_number):
        signed = inbound_params(Body="Hi")
        signature = twilio_signature("https://app.example.com" + INBOUND_PATH, signed)

        response = twilio.post(INBOUND_PATH, {**signed, "Body": "STOP"}, signature=signature)

        assert response.status_code == 403

    def test_signature_over_the_url_with_its_default_port_is_accepted(self, twilio, bay_number):
        """FC-02: the URL as rebuilt has no port; Twilio may have signed it
        with :443, which only the validator's second try matches."""
        url = "https://app.example.com:443" + INBOUND_PATH

        assert twilio.post(INBOUND_PATH, inbound_params(), signed_url=url).status_code == 200

    def test_signature_header_with_non_ascii_text_is_refused(self, twilio, bay_number):
        response = twilio.post(INBOUND_PATH, inbound_params(), signature="ünïcode==")

        assert response.status_code == 403
        assert Message.objects.count() == 0

    def test_get_is_not_allowed(self, twilio):
        assert twilio.client.get(INBOUND_PATH).status_code in (403, 405)

    def test_status_callback_without_signature_is_refused(self, bay_number):
        message = OutboundMessageFactory(
            bay_number=bay_number, twilio_sid="SM_OUT_01", status=Message.Status.SENDING
        )

        response = Client().post(STATUS_PATH, status_params(MessageStatus="delivered"))

        assert response.status_code == 403
        message.refresh_from_db()
        assert message.status == Message.Status.SENDING


@pytest.mark.django_db
class SharedKeyTests:
    """A Twilio Webhook Setting may sign with a SharedKey and HMAC-SHA256,
    and then says so in X-Twilio-Webhooks-Signature-Settings."""

    KEY = "webhooks-shared-key-secret"
    SETTINGS_HEADER = "key=webhooks_sharedkey_01,algorithm=HMAC_SHA256"

    def _post(self, twilio, *, secret, algorithm="HMAC_SHA256", header=SETTINGS_HEADER):
        params = inbound_params(Body="Hi")
        url = "https://app.example.com" + INBOUND_PATH
        signature = RequestValidator(secret).compute_signature(url, params, algorithm)
        return twilio.post(
            INBOUND_PATH,
            params,
            signature=signature,
            HTTP_X_TWILIO_WEBHOOKS_SIGNATURE_SETTINGS=header,
        )

    def test_a_shared_key_signature_is_accepted(self, twilio, bay_number, settings):
        settings.TWILIO_WEBHOOK_SHARED_KEY = self.KEY

        assert_empty_twiml(self._post(twilio, secret=self.KEY))
        assert Message.objects.get(twilio_sid="SM_IN_01").body == "Hi"

    @pytest.mark.parametrize(
        ("secret", "algorithm", "header"),
        [
            ("someone-elses-key", "HMAC_SHA256", SETTINGS_HEADER),
            # Signed with the auth token as before, but claiming a shared key.
            ("test-auth-token", "HMAC_SHA1", SETTINGS_HEADER),
            (KEY, "HMAC_SHA1", SETTINGS_HEADER),
            (KEY, "HMAC_SHA256", "key=webhooks_sharedkey_01,algorithm=HMAC_MD5"),
        ],
    )
    def test_anything_else_under_the_header_is_refused(
        self, twilio, bay_number, settings, secret, algorithm, header
    ):
        settings.TWILIO_WEBHOOK_SHARED_KEY = self.KEY

        response = self._post(twilio, secret=secret, algorithm=algorithm, header=header)

        assert response.status_code == 403
        assert Message.objects.count() == 0

    def test_without_a_shared_key_set_such_webhooks_are_refused(self, twilio, bay_number, settings):
        settings.TWILIO_WEBHOOK_SHARED_KEY = None

        assert self._post(twilio, secret=self.KEY).status_code == 403
        assert Message.objects.count() == 0

    def test_without_the_header_the_auth_token_still_signs(self, twilio, bay_number, settings):
        settings.TWILIO_WEBHOOK_SHARED_KEY = self.KEY

        assert self._post(twilio, secret=self.KEY, header="").status_code == 403
        assert_empty_twiml(twilio.inbound(Body="Hi"))


@pytest.mark.django_db
class ReverseProxyTests:
    """FC-01: behind a TLS proxy Django sees http, Twilio signed https."""

    def test_https_signature_is_accepted_when_django_sees_http(self, twilio, bay_number):
        params = inbound_params(Body="Hi")

        response = twilio.post(
            INBOUND_PATH,
            params,
            signed_url="https://app.example.com" + INBOUND_PATH,
            HTTP_HOST="app.example.com",
            HTTP_X_FORWARDED_PROTO="https",
        )

        assert_empty_twiml(response)
        assert Message.objects.filter(twilio_sid="SM_IN_01").exists()

    def test_signature_over_the_internal_http_url_is_refused(self, twilio, bay_number):
        response = twilio.post(
            INBOUND_PATH,
            inbound_params(Body="Hi"),
            signed_url="http://app.example.com" + INBOUND_PATH,
            HTTP_HOST="app.example.com",
            HTTP_X_FORWARDED_PROTO="https",
        )

        assert response.status_code == 403
        assert Message.objects.count() == 0


@pytest.mark.django_db
class PortTests:
    """FC-02: a webhook URL with a non-standard port."""

    @pytest.fixture(autouse=True)
    def _public_url_with_port(self, settings):
        settings.PUBLIC_BASE_URL = "https://app.example.com:8443"

    def test_signature_with_the_port_is_accepted(self, twilio, bay_number):
        url = "https://app.example.com:8443" + INBOUND_PATH
        assert twilio.post(INBOUND_PATH, inbound_params(), signed_url=url).status_code == 200

    def test_signature_without_the_port_is_accepted(self, twilio, bay_number):
        url = "https://app.example.com" + INBOUND_PATH
        params = inbound_params(MessageSid="SM_IN_02")
        assert twilio.post(INBOUND_PATH, params, signed_url=url).status_code == 200

    @pytest.mark.parametrize(
        "url",
        [
            "https://other.example.com:8443/webhooks/twilio/sms/",
            "https://app.example.com:8443/webhooks/twilio/status/",
            "https://app.example.com:9443/webhooks/twilio/sms/",
        ],
    )
    def test_signature_over_another_host_path_or_port_is_refused(self, twilio, bay_number, url):
        assert twilio.post(INBOUND_PATH, inbound_params(), signed_url=url).status_code == 403


@pytest.mark.django_db
class RepeatedParameterTests:
    """FC-03: a key sent more than once is hashed with every value."""

    def _post(self, twilio, signed_tags, sent_tags):
        base = inbound_params(Body="Hi")
        url = "https://app.example.com" + INBOUND_PATH
        signature = twilio_signature(url, _MultiDict(base, Tag=signed_tags))
        body = "&".join(
            [f"{key}={value.replace('+', '%2B')}" for key, value in base.items()]
            + [f"Tag={tag}" for tag in sent_tags]
        )
        return twilio.client.post(
            INBOUND_PATH,
            body,
            content_type="application/x-www-form-urlencoded",
            HTTP_X_TWILIO_SIGNATURE=signature,
        )

    def test_every_value_of_a_repeated_key_is_signed(self, twilio, bay_number):
        response = self._post(twilio, ["a", "b"], ["b", "a"])

        assert_empty_twiml(response)
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert sorted(message.raw_payload["Tag"]) == ["a", "b"]

    def test_changing_one_value_of_a_repeated_key_is_refused(self, twilio, bay_number):
        assert self._post(twilio, ["a", "b"], ["b", "c"]).status_code == 403


class _MultiDict(dict):
    """A dict whose one key holds several values, as Django's QueryDict does."""

    def __init__(self, base, **multi):
        super().__init__(base)
        self.multi = multi
        self.update({key: values[-1] for key, values in multi.items()})

    def getlist(self, key):
        return self.multi.get(key, [self[key]])


@pytest.mark.django_db
class TrailingSlashTests:
    """FC-04: a console URL without the trailing slash must not lose a STOP."""

    def test_stop_to_the_url_without_slash_opts_out(self, twilio, bay_number, contact):
        path = INBOUND_PATH.rstrip("/")
        params = inbound_params(Body="STOP")

        response = twilio.post(path, params, signed_url="https://app.example.com" + path)

        assert_empty_twiml(response)
        consent = Consent.objects.get(bay_number=bay_number, phone="+12025550142")
        assert consent.state == ConsentState.OPTED_OUT

    def test_status_callback_without_slash_is_served(self, twilio, bay_number):
        path = STATUS_PATH.rstrip("/")
        OutboundMessageFactory(bay_number=bay_number, twilio_sid="SM_OUT_01")

        response = twilio.post(path, status_params(), signed_url="https://app.example.com" + path)

        assert response.status_code == 204


@pytest.mark.django_db
class CsrfTests:
    """FC-05: the webhooks are CSRF-exempt but still signed."""

    def test_status_callback_needs_no_csrf_token(self, twilio, bay_number):
        message = OutboundMessageFactory(
            bay_number=bay_number, twilio_sid="SM_OUT_01", status=Message.Status.SENDING
        )

        response = twilio.status(MessageStatus="sent")

        assert response.status_code == 204
        message.refresh_from_db()
        assert message.status == Message.Status.SENT

    def test_inbound_needs_no_csrf_token(self, twilio, bay_number):
        assert_empty_twiml(twilio.inbound())

    def test_no_signature_is_still_refused_with_csrf_enforced(self, twilio, bay_number):
        response = twilio.client.post(STATUS_PATH, status_params())
        assert response.status_code == 403


@pytest.mark.django_db
class TwimlAnswerTests:
    """FC-06: always TwiML, never an empty <Message/>, and the text is kept."""

    def test_plain_reply_gets_empty_twiml(self, twilio, bay_number, contact):
        response = twilio.inbound(Body="Sounds good, thanks")

        assert_empty_twiml(response)
        assert b"<Message" not in response.content

    def test_failing_handler_still_answers_twiml_and_keeps_the_text(
        self, twilio, bay_number, contact, monkeypatch
    ):
        def explode(*, message):
            raise RuntimeError("keyword handler failed")

        monkeypatch.setattr("optin.services.consent_apply_reply", explode)

        response = twilio.inbound(Body="STOP")

        assert_empty_twiml(response)
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.body == "STOP"
        assert message.processed_at is None
        assert message.raw_payload["Body"] == "STOP"

    def test_failed_text_is_handled_when_twilio_redelivers_it(
        self, twilio, bay_number, contact, monkeypatch
    ):
        with monkeypatch.context() as patch:
            patch.setattr(
                "optin.services.consent_apply_reply",
                lambda *, message: (_ for _ in ()).throw(RuntimeError("down")),
            )
            twilio.inbound(Body="STOP")

        assert_empty_twiml(twilio.inbound(Body="STOP"))

        consent = Consent.objects.get(bay_number=bay_number, phone=contact.phone)
        assert consent.state == ConsentState.OPTED_OUT
        assert Message.objects.filter(direction=Message.Direction.INBOUND).count() == 1

    def test_status_callback_answers_empty_2xx(self, twilio, bay_number):
        OutboundMessageFactory(bay_number=bay_number, twilio_sid="SM_OUT_01")

        response = twilio.status(MessageStatus="sent")

        assert response.status_code == 204
        assert response.content == b""


@pytest.mark.django_db
class MediaWithoutBodyTests:
    """FC-10: an MMS with a picture and no text."""

    MEDIA = {
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/media/ME_TEST",
        "MediaContentType0": "image/jpeg",
    }

    @pytest.mark.parametrize("body", ["", None], ids=["empty-body", "no-body-key"])
    def test_media_only_message_is_stored_and_consent_unchanged(
        self, twilio, bay_number, contact, body
    ):
        response = twilio.inbound(Body=body, **self.MEDIA)

        assert_empty_twiml(response)
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.body == ""
        assert message.media == [
            {"url": "https://api.twilio.com/media/ME_TEST", "content_type": "image/jpeg"}
        ]
        assert not Consent.objects.exists()
        assert not ConsentEvent.objects.exists()


@pytest.mark.django_db
class ShortCodeSenderTests:
    """FC-14: a short-code sender is stored but is not a contact."""

    def test_short_code_message_is_stored_without_a_contact_or_consent(
        self, twilio, bay_number, agent, outbox
    ):
        response = twilio.inbound(From="55501", Body="Your code is 1234")

        assert_empty_twiml(response)
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.from_phone == "55501"
        assert message.contact is None
        assert not agent.contacts.exists()
        assert not Consent.objects.exists()
        assert outbox == []

    def test_short_code_stop_changes_no_consent(self, twilio, bay_number, outbox):
        twilio.inbound(From="55501", Body="STOP")

        assert not Consent.objects.exists()
        assert outbox == []


@pytest.mark.django_db
class SenderWeNeverTextTests:
    """A text from a number no text should go to, or from a BAY Number, is
    stored but makes no lead, changes no consent and gets no answer."""

    @pytest.mark.parametrize(
        "sender",
        ["+12025550100", "+13125550177", "+19005550123", "+18005550123", "+442079460958"],
    )
    def test_is_stored_and_nothing_more(self, twilio, bay_number, agent, outbox, sender):
        BayNumberFactory(phone_number="+13125550177")  # another brokerage's

        response = twilio.inbound(From=sender, Body="YES")

        assert_empty_twiml(response)
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert (message.from_phone, message.contact) == (sender, None)
        assert message.processed_at is not None
        assert not agent.contacts.exists()
        assert not Consent.objects.exists()
        assert outbox == []

    def test_a_contact_on_such_a_number_is_still_heard(self, twilio, bay_number, agent, outbox):
        # Made before such numbers were refused: its STOP must still count.
        contact = ContactFactory(agent=agent, phone="+442079460958")

        twilio.inbound(From="+442079460958", Body="STOP")

        assert Consent.objects.get(phone="+442079460958").state == ConsentState.OPTED_OUT
        assert Message.objects.get(twilio_sid="SM_IN_01").contact == contact


@pytest.mark.django_db
class ReplayTests:
    """FC-11: the same MessageSid delivered again changes nothing."""

    def test_repeated_stop_is_handled_once(
        self, twilio, bay_number, contact, outbox, run_on_commit
    ):
        with run_on_commit():
            first = twilio.inbound(MessageSid="SM_IN_07", Body="STOP")
        with run_on_commit():
            second = twilio.inbound(MessageSid="SM_IN_07", Body="STOP")

        assert first.status_code == second.status_code == 200
        assert Message.objects.filter(twilio_sid="SM_IN_07").count() == 1
        assert ConsentEvent.objects.count() == 1
        assert len(outbox) == 1
        assert "unsubscribed" in outbox[0].body


@pytest.mark.django_db(transaction=True)
class ConcurrentReplayTests:
    """FC-11: two copies at the same moment, from two threads."""

    def test_two_simultaneous_deliveries_act_once(self, bay_number, contact, outbox):
        require_postgres()  # SQLite's in-memory test database locks whole tables
        params = inbound_params(MessageSid="SM_IN_07", Body="STOP")
        signature = twilio_signature("https://app.example.com" + INBOUND_PATH, params)

        def deliver():
            response = Client().post(INBOUND_PATH, params, HTTP_X_TWILIO_SIGNATURE=signature)
            return response.status_code

        statuses = at_the_same_moment(deliver)

        assert statuses == [200, 200]
        assert Message.objects.filter(twilio_sid="SM_IN_07").count() == 1
        assert ConsentEvent.objects.count() == 1
        assert len(outbox) <= 1


@pytest.mark.django_db
class OddInputTests:
    """Signed input that is odd but must never lose a text or answer 500."""

    def test_nul_characters_are_removed_and_the_stop_still_counts(
        self, twilio, bay_number, contact
    ):
        response = twilio.inbound(Body="STOP\x00", FromCity="\x00")

        assert_empty_twiml(response)
        assert Message.objects.get(twilio_sid="SM_IN_01").body == "STOP"
        assert Consent.objects.get().state == ConsentState.OPTED_OUT

    @pytest.mark.parametrize("sid", ["", "SM" + "0" * 40, "SM<script>"])
    def test_missing_or_malformed_message_sid_is_a_bad_request(self, twilio, bay_number, sid):
        response = twilio.inbound(MessageSid=sid)

        assert response.status_code == 400
        assert not Message.objects.exists()

    def test_bay_number_written_without_country_code_is_matched(self, twilio, bay_number, contact):
        twilio.inbound(To="2025550100", Body="STOP")

        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.bay_number == bay_number
        assert Consent.objects.get().state == ConsentState.OPTED_OUT

    def test_overlong_sender_id_is_stored_shortened(self, twilio, bay_number):
        response = twilio.inbound(From="x" * 80)

        assert_empty_twiml(response)
        message = Message.objects.get(twilio_sid="SM_IN_01")
        assert message.from_phone == "x" * 32
        assert message.raw_payload["From"] == "x" * 80

    @pytest.mark.parametrize("code", ["3" * 40, "\u00b2", "3\u00b2"])
    def test_malformed_error_code_fails_the_text_without_a_code(self, twilio, bay_number, code):
        message = OutboundMessageFactory(
            bay_number=bay_number, twilio_sid="SM_OUT_01", status=Message.Status.SENDING
        )

        response = twilio.status(MessageStatus="failed", ErrorCode=code)

        assert response.status_code == 204
        message.refresh_from_db()
        assert message.status == Message.Status.FAILED
        assert message.error_code == ""
