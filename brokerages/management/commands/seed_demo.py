"""Create a demo brokerage to try the product with, and print its logins."""

from urllib.parse import urlencode

from django.core.management.base import BaseCommand
from django.http import QueryDict

from brokerages.models import Agent, Brokerage
from contacts.models import Contact
from messaging import services, simulator
from messaging.models import BayNumber
from optin.models import Consent, ConsentState
from optin.services import consent_request_optin

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
        for first, last, phone, kind, state in CONTACTS:
            contact, _ = Contact.objects.get_or_create(
                agent=agent,
                phone=phone,
                defaults={"first_name": first, "last_name": last, "kind": kind},
            )
            self._consent(bay_number, contact, state, agent)

        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        self.stdout.write(f"  Agent login:  agent / {DEMO_PASSWORD}")
        self.stdout.write(f"  Admin login:  admin / {DEMO_PASSWORD}")
        self.stdout.write(f"  BAY Number:   {BAY_NUMBER}")

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
