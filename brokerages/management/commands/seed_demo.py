"""Create a demo brokerage to try the product with, and print its logins."""

from urllib.parse import urlencode

from django.core.management.base import BaseCommand
from django.http import QueryDict
from django.test.utils import override_settings

from brokerages.models import Agent, Brokerage
from contacts.models import Contact
from messaging import services, simulator
from messaging.models import BayNumber
from optin.models import Consent, ConsentState
from optin.services import consent_request_optin
from registration.models import Brand, Campaign, RegistrationStatus
from registration.selectors import suggested_campaign

DEMO_PASSWORD = "demo-pass-2026"
BAY_NUMBER = "+12025550100"
# (first, last, phone, kind, consent state) in the fictional 555-01xx block.
CONTACTS = [
    ("Nora", "Never", "+12025550141", Contact.Kind.LEAD, ConsentState.NEVER_ASKED),
    ("Paula", "Pending", "+12025550142", Contact.Kind.LEAD, ConsentState.PENDING),
    ("Oscar", "Optin", "+12025550143", Contact.Kind.CONTACT, ConsentState.OPTED_IN),
    ("Olive", "Optout", "+12025550144", Contact.Kind.CONTACT, ConsentState.OPTED_OUT),
    ("Ned", "Newlead", "+13305550107", Contact.Kind.LEAD, ConsentState.NEVER_ASKED),
]
# A complete registration draft that passes every check, for the admin to
# check and submit in the browser. The EIN and addresses are fictional.
DEMO_BRAND = {
    "legal_name": "Bayview Realty LLC",
    "ein": "12-3456789",
    "business_type": Brand.BusinessType.LLC,
    "company_type": Brand.CompanyType.PRIVATE,
    "street": "100 Harbor Way",
    "street_secondary": "Suite 5",
    "city": "Washington",
    "state": "DC",
    "postal_code": "20001",
    "website": "https://bayviewrealty.example.com",
    "rep_first_name": "Ada",
    "rep_last_name": "Admin",
    "rep_title": "Managing Broker",
    "rep_job_position": Brand.JobPosition.DIRECTOR,
    "rep_email": "ada@bayviewrealty.example.com",
    "rep_phone": "+12025550199",
}
DEMO_CAMPAIGN = {
    "use_case": Campaign.UseCase.MIXED,
    "description": (
        "Agents of Bayview Realty text clients and leads who opted in about listings, "
        "showings, offers and the steps of their home purchase or sale."
    ),
    "message_flow": (
        "After meeting a contact at an open house, by phone or on our website, an agent "
        "sends an opt-in request from their BAY Number. It names the agent and Bayview "
        "Realty, gives the message frequency, says Msg & data rates may apply and offers "
        "HELP. Contacts opt in by replying YES; NO or STOP opts them out."
    ),
    "message_samples": [
        "Hi Sam, it's Alex from Bayview Realty. The house on Oak St has an open house "
        "Saturday 2-4pm. Want me to save you a spot?",
        "Bayview Realty: your offer on 12 Pine Ave was accepted! Call me when you can.",
    ],
    "has_embedded_links": True,
    "privacy_policy_url": "https://bayviewrealty.example.com/privacy",
    "terms_url": "https://bayviewrealty.example.com/sms-terms",
}


class Command(BaseCommand):
    help = "Create the demo brokerage, an admin and an agent, a BAY Number and contacts."

    def handle(self, *args, **options):
        brokerage, _ = Brokerage.objects.get_or_create(
            name="Bayview Realty", defaults={"phone": "+12025550199"}
        )
        self._user("admin", "Ada", "Admin", brokerage, Agent.Role.ADMIN)
        agent = self._user("agent", "Alex", "Agent", brokerage, Agent.Role.AGENT)
        agent.phone = "+12025550198"
        agent.save(update_fields=["phone"])
        bay_number, _ = BayNumber.objects.get_or_create(
            phone_number=BAY_NUMBER,
            defaults={"brokerage": brokerage, "agent": agent, "friendly_name": "Alex's BAY"},
        )
        # The contacts' history is made as in the sandbox: before registration
        # the brokerage's number would otherwise send nothing.
        with override_settings(REGISTRATION_REQUIRED_TO_SEND=False):
            for first, last, phone, kind, state in CONTACTS:
                contact, _ = Contact.objects.get_or_create(
                    agent=agent,
                    phone=phone,
                    defaults={"first_name": first, "last_name": last, "kind": kind},
                )
                self._consent(bay_number, contact, state, agent)
        campaign = self._registration(brokerage)

        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Agent login:  agent / {DEMO_PASSWORD}")
        self.stdout.write(f"  Admin login:  admin / {DEMO_PASSWORD}")
        self.stdout.write(f"  BAY Number:   {BAY_NUMBER}")
        if campaign.status == RegistrationStatus.DRAFT:
            self.stdout.write(
                "  Registration: a complete draft; as admin, open Registration to submit"
            )
        else:
            # A second run keeps what the admin did with the draft.
            self.stdout.write(f"  Registration: {campaign.get_status_display().lower()}")

    def _registration(self, brokerage):
        """A brand and campaign draft, ready to check and submit; returns the
        campaign, which a second run leaves as the admin left it."""
        Brand.objects.get_or_create(brokerage=brokerage, defaults=DEMO_BRAND)
        campaign = Campaign.objects.filter(brokerage=brokerage).first()
        if campaign is None:
            campaign = suggested_campaign(brokerage)
            for name, value in DEMO_CAMPAIGN.items():
                setattr(campaign, name, value)
            campaign.save()
        return campaign

    def _user(self, username, first, last, brokerage, role):
        user, created = Agent.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "brokerage": brokerage, "role": role},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role == Agent.Role.ADMIN
            user.save()
        return user

    def _consent(self, bay_number, contact, state, agent):
        """Bring a demo phone to its state the way a real one gets there: an
        opt-in request, then the contact's reply through inbound handling."""
        if state == ConsentState.NEVER_ASKED:
            return
        if Consent.objects.filter(bay_number=bay_number, phone=contact.phone).exists():
            return
        consent_request_optin(bay_number=bay_number, contact=contact, actor=agent)
        reply = {ConsentState.OPTED_IN: "YES", ConsentState.OPTED_OUT: "STOP"}.get(state)
        if reply is None:
            return
        params = simulator.inbound_params(
            from_phone=contact.phone, to_phone=bay_number.phone_number, body=reply
        )
        message, _ = services.inbound_receive(params=QueryDict(urlencode(params)))
        services.inbound_process(message.pk)
