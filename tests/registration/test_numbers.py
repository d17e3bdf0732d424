"""BAY Numbers: search, buy, assign, release, through the real `twilio`
client against Prism; consent stays with a number that changes hands."""

import pytest
from django.urls import reverse

from messaging.models import BayNumber
from optin.gate import check_send
from optin.models import ConsentEvent, ConsentState
from optin.services import consent_request_optin
from registration import numbers
from tests.factories import (
    AdminFactory,
    AgentFactory,
    BayNumberFactory,
    CampaignFactory,
    ContactFactory,
)
from tests.fakes.twilio_mock import NUMBERS, prefer_error

pytestmark = pytest.mark.django_db

PUBLIC = "https://app.example.com"
NEW_NUMBER = "+12025550160"


@pytest.fixture
def admin():
    return AdminFactory()


@pytest.mark.prism
class SearchTests:
    def test_searches_local_numbers_that_can_text(self, twilio_rest, admin, client):
        client.force_login(admin)

        page = client.get(reverse("registration:number_search"), {"area_code": "808"})

        sent = twilio_rest.requests[-1]
        assert (
            sent.endpoint
            == "GET api.twilio.com/2010-04-01/Accounts/AC…/AvailablePhoneNumbers/US/Local.json"
        )
        assert sent.query == {"AreaCode": ["808"], "SmsEnabled": ["true"], "PageSize": ["20"]}
        assert "+18089251571" in page.content.decode()
        assert "Hilo, HI" in page.content.decode()

    def test_an_invalid_area_code_is_not_searched(self, twilio_rest, admin, client):
        client.force_login(admin)
        page = client.get(reverse("registration:number_search"), {"area_code": "12"})
        assert twilio_rest.requests == []
        assert "Ensure this value is greater than or equal to 200." in page.content.decode()


@pytest.mark.prism
class BuyTests:
    def test_buying_sets_the_webhooks_and_joins_the_messaging_service(
        self, twilio_rest, admin, client
    ):
        campaign = CampaignFactory(brokerage=admin.brokerage, messaging_service_sid="MG" + "b" * 32)
        agent = AgentFactory(brokerage=admin.brokerage)
        client.force_login(admin)

        response = client.post(
            reverse("registration:number_buy"), {"phone_number": NEW_NUMBER, "agent": agent.pk}
        )

        assert response.status_code == 302
        buy, join = twilio_rest.requests
        assert (
            buy.endpoint == "POST api.twilio.com/2010-04-01/Accounts/AC…/IncomingPhoneNumbers.json"
        )
        assert buy.value("PhoneNumber") == NEW_NUMBER
        assert buy.value("SmsUrl") == f"{PUBLIC}/webhooks/twilio/sms/"
        assert buy.value("SmsMethod") == "POST"
        assert buy.value("StatusCallback") == f"{PUBLIC}/webhooks/twilio/status/"
        assert buy.value("StatusCallbackMethod") == "POST"
        assert join.path == f"/v1/Services/{campaign.messaging_service_sid}/PhoneNumbers"
        assert join.value("PhoneNumberSid") == "PN" + "a" * 32
        number = BayNumber.objects.get(phone_number=NEW_NUMBER)
        assert (number.brokerage, number.agent) == (admin.brokerage, agent)
        assert number.twilio_sid == "PN" + "a" * 32
        assert number.messaging_service_sid == campaign.messaging_service_sid

    def test_before_registration_there_is_no_service_to_join(self, twilio_rest, admin):
        purchase = numbers.bay_number_buy(admin=admin, phone_number="(202) 555-0160")

        assert [r.endpoint for r in twilio_rest.requests] == [
            "POST api.twilio.com/2010-04-01/Accounts/AC…/IncomingPhoneNumbers.json"
        ]
        assert purchase.bay_number.phone_number == NEW_NUMBER
        assert purchase.bay_number.agent is None
        assert purchase.bay_number.messaging_service_sid == ""

    def test_a_refused_purchase_records_nothing(self, twilio_rest, admin, client):
        twilio_rest.prefer = [
            ("POST", r"IncomingPhoneNumbers", prefer_error(NUMBERS, "post", "number_taken"))
        ]
        client.force_login(admin)

        response = client.post(
            reverse("registration:number_buy"), {"phone_number": NEW_NUMBER}, follow=True
        )

        assert "Not bought. Twilio refused to buy the number: PhoneNumber is not available" in (
            response.content.decode()
        )
        assert not BayNumber.objects.exists()

    def test_another_brokerages_agent_cannot_be_given_the_number(self, twilio_rest, admin):
        with pytest.raises(numbers.NumberRefused, match="not in your brokerage"):
            numbers.bay_number_buy(admin=admin, phone_number=NEW_NUMBER, agent=AgentFactory())
        assert twilio_rest.requests == []

    @pytest.mark.parametrize(
        "number", ["+18005550100", "+19005550100", "+447911123456", "+16135550100"]
    )
    def test_only_a_us_local_number_can_be_bought(self, twilio_rest, admin, number):
        with pytest.raises(numbers.NumberRefused, match="is not a US local number"):
            numbers.bay_number_buy(admin=admin, phone_number=number)

        assert twilio_rest.requests == []
        assert not BayNumber.objects.filter(phone_number=number).exists()

    def test_a_contacts_phone_cannot_be_bought(self, twilio_rest, admin):
        ContactFactory(agent=AgentFactory(brokerage=admin.brokerage), phone=NEW_NUMBER)

        with pytest.raises(numbers.NumberRefused, match="one of your brokerage's contacts"):
            numbers.bay_number_buy(admin=admin, phone_number=NEW_NUMBER)

        assert twilio_rest.requests == []

    def test_a_number_in_use_cannot_be_bought_again(self, twilio_rest, admin):
        BayNumberFactory(phone_number=NEW_NUMBER)
        with pytest.raises(numbers.NumberRefused, match="already a BAY Number"):
            numbers.bay_number_buy(admin=admin, phone_number=NEW_NUMBER)
        assert twilio_rest.requests == []


class AssignTests:
    def test_reassigning_keeps_the_numbers_consent(
        self, twilio, bay_number, contact, run_on_commit, client
    ):
        """The number changes hands; its contacts' consent and ledger stay
        with it, so the next agent may text whom it may text."""
        with run_on_commit():
            consent_request_optin(bay_number=bay_number, contact=contact, actor=bay_number.agent)
        with run_on_commit():
            twilio.inbound(MessageSid="SM_IN_YES", Body="YES")
        ledger = list(ConsentEvent.objects.values_list("pk", "new_state"))
        admin = AdminFactory(brokerage=bay_number.brokerage)
        successor = AgentFactory(brokerage=bay_number.brokerage)
        client.force_login(admin)

        client.post(
            reverse("registration:number_assign", args=[bay_number.pk]), {"agent": successor.pk}
        )

        bay_number.refresh_from_db()
        assert bay_number.agent == successor
        assert check_send(bay_number=bay_number, phone=contact.phone).state == ConsentState.OPTED_IN
        assert list(ConsentEvent.objects.values_list("pk", "new_state")) == ledger
        assert list(successor.bay_numbers.all()) == [bay_number]
        assert not contact.agent.bay_numbers.exists()

    def test_a_number_can_be_left_unassigned(self, bay_number, client):
        client.force_login(AdminFactory(brokerage=bay_number.brokerage))
        client.post(reverse("registration:number_assign", args=[bay_number.pk]), {"agent": ""})
        bay_number.refresh_from_db()
        assert bay_number.agent is None

    def test_only_people_of_the_brokerage(self, bay_number, client):
        previous = bay_number.agent
        client.force_login(AdminFactory(brokerage=bay_number.brokerage))
        response = client.post(
            reverse("registration:number_assign", args=[bay_number.pk]),
            {"agent": AgentFactory().pk},
            follow=True,
        )
        assert "Choose someone from your brokerage." in response.content.decode()
        bay_number.refresh_from_db()
        assert bay_number.agent == previous

    def test_the_list_shows_each_number_and_its_agent(self, bay_number, client):
        client.force_login(AdminFactory(brokerage=bay_number.brokerage))
        page = client.get(reverse("registration:numbers")).content.decode()
        assert bay_number.display in page
        assert f'<option value="{bay_number.agent.pk}" selected>' in page


@pytest.mark.prism
class ReleaseTests:
    def test_release_deletes_at_twilio_and_keeps_the_records(self, twilio_rest, bay_number, client):
        client.force_login(AdminFactory(brokerage=bay_number.brokerage))
        assert (
            "Release the number"
            in client.get(
                reverse("registration:number_release", args=[bay_number.pk])
            ).content.decode()
        )

        client.post(reverse("registration:number_release", args=[bay_number.pk]))

        assert [r.endpoint for r in twilio_rest.requests] == [
            "DELETE api.twilio.com/2010-04-01/Accounts/AC…/IncomingPhoneNumbers/PN….json"
        ]
        assert twilio_rest.requests[0].path.endswith(f"/{bay_number.twilio_sid}.json")
        bay_number.refresh_from_db()
        assert bay_number.released_at is not None
        assert not bay_number.agent.bay_numbers.filter(released_at__isnull=True).exists()

    def test_a_released_number_cannot_be_released_or_assigned(self, twilio_rest, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)
        numbers.bay_number_release(admin=admin, bay_number=bay_number)
        with pytest.raises(numbers.NumberRefused, match="already released"):
            numbers.bay_number_release(admin=admin, bay_number=bay_number)
        with pytest.raises(numbers.NumberRefused, match="was released"):
            numbers.bay_number_assign(admin=admin, bay_number=bay_number, agent=None)
        assert len(twilio_rest.requests) == 1

    def test_a_released_number_bought_again_keeps_its_consent(self, twilio_rest, bay_number):
        admin = AdminFactory(brokerage=bay_number.brokerage)
        numbers.bay_number_release(admin=admin, bay_number=bay_number)

        purchase = numbers.bay_number_buy(admin=admin, phone_number=bay_number.phone_number)

        assert purchase.bay_number.pk == bay_number.pk
        assert purchase.bay_number.released_at is None
