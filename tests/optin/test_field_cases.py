"""Field cases FC-07, FC-08, FC-09 and FC-16 (../shared/cases/field-cases.md),
each held as a kind, through the signed webhooks and the real services."""

import pytest
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from twilio.base.exceptions import TwilioRestException

from messaging import services as messaging_services
from messaging.backends.twilio import TwilioBackend
from messaging.models import Message
from optin import services
from optin.gate import check_send
from optin.keywords import OPT_OUT_KEYWORDS, TWILIO_OPT_OUT_KEYWORDS
from optin.models import ConsentEvent, ConsentState
from tests.factories import AdminFactory, OutboundMessageFactory
from tests.optin.states import PHONE, events_of, state_of


@pytest.fixture
def opted_in(twilio, bay_number, contact, run_on_commit, outbox):
    """The contact said YES through the signed webhook."""
    with run_on_commit():
        twilio.inbound(MessageSid="SM_IN_YES", Body="YES")
    assert state_of(bay_number) == ConsentState.OPTED_IN
    outbox.clear()
    return contact


def confirmations() -> int:
    return Message.objects.filter(kind=Message.Kind.OPTOUT_CONFIRMATION).count()


@pytest.mark.django_db
class Fc07OptOutParsingTests:
    """FC-07: case, whitespace, newlines, punctuation and politeness words
    around STOP are ignored."""

    @pytest.mark.parametrize(
        "body",
        [
            # The field case's inputs.
            "Stop. Thank you",
            "STOP!",
            "Stop please",
            " stop ",
            "Stop\n",
            "\tSTOP",
            # The same kind.
            "stop.\r\n",
            "  Please STOP!!  ",
            "STOP \U0001f6d1",
            "\uff33\uff34\uff2f\uff30",
            "Stop, thanks!",
            "stop it please",
        ],
    )
    def test_every_variant_opts_out_once_with_one_confirmation(
        self, opted_in, bay_number, twilio, run_on_commit, outbox, body
    ):
        with run_on_commit():
            response = twilio.inbound(MessageSid="SM_IN_01", Body=body)

        assert response.status_code == 200
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        new = [e for e in events_of(bay_number) if e.event_type == "opted_out"]
        assert len(new) == 1
        assert (new[0].keyword, new[0].raw_text, new[0].message_sid) == ("stop", body, "SM_IN_01")
        assert len(outbox) == 1 and "START" in outbox[0].body

    def test_a_second_stop_in_another_form_adds_nothing(
        self, opted_in, bay_number, twilio, run_on_commit, outbox
    ):
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_01", Body="Stop. Thank you")
            twilio.inbound(MessageSid="SM_IN_02", Body="\tSTOP")
            twilio.inbound(MessageSid="SM_IN_01", Body="Stop. Thank you")

        assert [e.event_type for e in events_of(bay_number)] == ["opted_in", "opted_out"]
        assert confirmations() == 1
        assert len(outbox) == 1


@pytest.mark.django_db
class Fc08IncompleteListTests:
    """FC-08: the whole opt-out list, REVOKE and OPTOUT included."""

    @pytest.mark.parametrize(
        ("body", "keyword"),
        [
            # The field case's inputs.
            ("REVOKE", "revoke"),
            ("optout", "optout"),
            ("Opt out", "opt out"),
            ("QUIT", "quit"),
            ("end", "end"),
            ("Unsubscribe", "unsubscribe"),
            ("STOPALL", "stopall"),
            ("CANCEL", "cancel"),
            # The same kind.
            ("STOP ALL", "stop all"),
            ("stop", "stop"),
            ("No", "no"),
            ("opt-out", "opt out"),
        ],
    )
    def test_each_keyword_opts_out_and_is_recorded(
        self, opted_in, bay_number, twilio, run_on_commit, body, keyword
    ):
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_01", Body=body)

        event = events_of(bay_number)[-1]
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert (event.event_type, event.source, event.keyword) == (
            "opted_out",
            "inbound_keyword",
            keyword,
        )

    def test_the_list_is_one_constant_and_a_superset_of_twilios(self):
        twilio = {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}

        assert twilio <= TWILIO_OPT_OUT_KEYWORDS <= OPT_OUT_KEYWORDS

    def test_every_keyword_of_the_list_opts_out_through_the_webhook(
        self, opted_in, bay_number, twilio
    ):
        for n, keyword in enumerate(sorted(OPT_OUT_KEYWORDS)):
            if state_of(bay_number) == ConsentState.OPTED_OUT:
                twilio.inbound(MessageSid=f"SM_IN_START_{n}", Body="START")
            twilio.inbound(MessageSid=f"SM_IN_{n}", Body=keyword.upper())
            assert state_of(bay_number) == ConsentState.OPTED_OUT, keyword
            assert events_of(bay_number)[-1].keyword == keyword


def named_urls():
    """(name, parameter names) of every named URL outside the Django admin."""

    def walk(patterns, namespace):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "admin":
                    continue
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                params = getattr(pattern.pattern, "converters", None)
                if params is None:
                    params = pattern.pattern.regex.groupindex
                yield f"{namespace}{pattern.name}", list(params)

    return list(walk(get_resolver().url_patterns, ""))


@pytest.mark.django_db
class Fc09OptInAfterOptOutTests:
    """FC-09: STOPALL with OptOutType, nobody but the contact re-enables
    texting, START with OptOutType brings them back, then a text goes."""

    def test_the_whole_sequence(self, opted_in, bay_number, twilio, client, outbox, run_on_commit):
        agent = bay_number.agent
        # (1) STOPALL with Twilio's OptOutType: opted out, no confirmation of ours.
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_01", Body="stopall", OptOutType="STOP")
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert events_of(bay_number)[-1].source == "twilio_opt_out_type"
        assert events_of(bay_number)[-1].keyword == "stopall"  # the word they sent
        assert outbox == []

        # (2) The agent tries to re-enable texting: refused.
        client.force_login(agent)
        response = client.post(
            reverse("messaging:send_optin_request", args=[opted_in.pk]),
            {"bay_number": bay_number.pk},
        )
        assert response.status_code == 302
        assert state_of(bay_number) == ConsentState.OPTED_OUT

        # (3) START with OptOutType: opted in, with a ledger row.
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_02", Body="Start", OptOutType="START")
        event = events_of(bay_number)[-1]
        assert state_of(bay_number) == ConsentState.OPTED_IN
        assert (event.event_type, event.source, event.keyword, event.message_sid) == (
            "opted_in",
            "twilio_opt_out_type",
            "start",
            "SM_IN_02",
        )
        assert outbox == []

        # (4) The agent's "Hi" goes out.
        with run_on_commit():
            client.post(
                reverse("messaging:send", args=[opted_in.pk]),
                {"bay_number": bay_number.pk, "body": "Hi"},
            )
        assert [(sms.to, sms.body) for sms in outbox] == [(PHONE, "Hi")]

    def test_without_opt_out_type_the_keywords_decide_and_we_confirm(
        self, opted_in, bay_number, twilio, run_on_commit, outbox
    ):
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_01", Body="stopall")
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_02", Body="Start")

        assert [e.event_type for e in events_of(bay_number)] == [
            "opted_in",
            "opted_out",
            "opted_in",
        ]
        assert [e.source for e in events_of(bay_number)[1:]] == ["inbound_keyword"] * 2
        assert [sms.body.split(" ")[1] for sms in outbox] == ["unsubscribed", "subscribed"]

    @override_settings(DEV_PHONE_ENABLED=False)
    def test_no_page_lets_an_agent_or_admin_opt_the_phone_back_in(
        self, opted_in, bay_number, twilio, client
    ):
        """Every named URL, read and posted to with data that would re-enable
        texting if any view took it, by the agent and by the brokerage admin
        (production settings: the development phone, which posts as the
        contact's phone, is off)."""
        twilio.inbound(MessageSid="SM_IN_01", Body="STOP")
        admin = AdminFactory(brokerage=bay_number.brokerage)
        consent = bay_number.consents.get()
        ids = {"contact_id": opted_in.pk, "consent_id": consent.pk}
        data = {
            "bay_number": bay_number.pk,
            "body": "START",
            "state": ConsentState.OPTED_IN,
            "decision": "not_opt_out",
            "channel": "call",
            "note": "They said they want texts again",
            "phone": PHONE,
            "from_phone": PHONE,
            "to_phone": bay_number.phone_number,
        }
        tried = []
        for name, params in named_urls():
            url = reverse(name, kwargs={param: ids.get(param, 1) for param in params})
            for user in (bay_number.agent, admin):
                client.force_login(user)
                client.get(url)
                client.post(url, data)
                tried.append(name)

        assert "messaging:send_optin_request" in tried and "optin:record_optout" in tried
        assert state_of(bay_number) == ConsentState.OPTED_OUT
        assert not ConsentEvent.objects.filter(
            new_state=ConsentState.OPTED_IN, occurred_at__gt=consent.state_changed_at
        ).exists()


class FakeTwilioMessages:
    """Stands in for `client.messages`: records each create and raises."""

    calls: list[dict] = []

    def create(self, **params):
        self.calls.append(params)
        raise TwilioRestException(
            status=400,
            uri="/2010-04-01/Accounts/AC/Messages.json",
            msg="Attempt to send to unsubscribed recipient",
            code=21610,
        )


class UnsubscribedTwilioBackend(TwilioBackend):
    """The real Twilio backend with a client whose send fails with 21610."""

    def open(self):
        self.client = type("FakeClient", (), {"messages": FakeTwilioMessages()})()


def assert_opted_out_at_the_carrier(bay_number, message):
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error_code == "21610"
    assert "opted out" in message.failure_reason
    assert state_of(bay_number) == ConsentState.OPTED_OUT
    [event] = [e for e in events_of(bay_number) if e.source == "twilio_21610"]
    assert (event.event_type, event.old_state) == ("opted_out", "opted_in")
    assert event.extra_data["message_id"] == message.pk
    decision = check_send(bay_number=bay_number, phone=PHONE)
    assert "opted out" in decision.reason and not decision.can_request_optin
    assert confirmations() == 0


@pytest.mark.django_db
class Fc16Error21610Tests:
    """FC-16: 21610 on send and in a status callback records the opt-out."""

    @override_settings(SMS_BACKEND=f"{__name__}.UnsubscribedTwilioBackend")
    def test_21610_raised_by_messages_create(self, opted_in, bay_number, run_on_commit):
        FakeTwilioMessages.calls.clear()

        with run_on_commit():
            message = messaging_services.sms_send(
                agent=bay_number.agent, bay_number=bay_number, contact=opted_in, body="Hi #44"
            )

        assert_opted_out_at_the_carrier(bay_number, message)
        assert len(FakeTwilioMessages.calls) == 1  # not retried
        assert message.attempts == 1

    @pytest.mark.parametrize("status", ["failed", "undelivered"])
    def test_21610_in_a_status_callback(self, opted_in, bay_number, twilio, status):
        message = OutboundMessageFactory(
            bay_number=bay_number,
            contact=opted_in,
            twilio_sid="SM_OUT_02",
            status=Message.Status.SENT,
        )

        response = twilio.status(MessageSid="SM_OUT_02", MessageStatus=status, ErrorCode="21610")
        twilio.status(MessageSid="SM_OUT_02", MessageStatus=status, ErrorCode="21610")

        assert response.status_code == 204
        if status == "undelivered":
            message.refresh_from_db()
            assert message.status == Message.Status.UNDELIVERED
            Message.objects.filter(pk=message.pk).update(status=Message.Status.FAILED)
        assert_opted_out_at_the_carrier(bay_number, message)

    def test_21610_for_a_phone_already_opted_out_adds_no_row(self, bay_number, twilio):
        twilio.inbound(MessageSid="SM_IN_01", Body="STOP")
        message = OutboundMessageFactory(
            bay_number=bay_number, twilio_sid="SM_OUT_02", status=Message.Status.SENT
        )

        twilio.status(MessageSid="SM_OUT_02", MessageStatus="failed", ErrorCode="21610")

        assert services.consent_record_carrier_optout(message=message, error_code=21610) is None
        assert [e.source for e in events_of(bay_number)] == ["inbound_keyword"]
