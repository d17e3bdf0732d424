"""factory_boy factories for the product's models, with a seeded faker."""

import factory
from factory.django import DjangoModelFactory

from brokerages.models import Agent, Brokerage
from contacts.models import Contact
from messaging.models import BayNumber, Message

factory.Faker._get_faker().seed_instance(2026)

# The fictional NANP 555-01xx block (see ../shared/cases/field-cases.md).
AGENT_BAY_NUMBER = "+12025550100"


class BrokerageFactory(DjangoModelFactory):
    class Meta:
        model = Brokerage

    name = factory.Sequence(lambda n: f"Harbor Realty {n}")
    phone = "+12025550199"


class AgentFactory(DjangoModelFactory):
    class Meta:
        model = Agent
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agent{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    brokerage = factory.SubFactory(BrokerageFactory)
    role = Agent.Role.AGENT
    phone = "+12025550198"
    password = factory.django.Password("agent-pass-123")


class AdminFactory(AgentFactory):
    role = Agent.Role.ADMIN


class BayNumberFactory(DjangoModelFactory):
    class Meta:
        model = BayNumber

    agent = factory.SubFactory(AgentFactory)
    brokerage = factory.SelfAttribute("agent.brokerage")
    phone_number = factory.Sequence(lambda n: f"+1202555{n % 100:04d}")
    twilio_sid = factory.Sequence(lambda n: f"PN{n:032x}")


class ContactFactory(DjangoModelFactory):
    class Meta:
        model = Contact

    agent = factory.SubFactory(AgentFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    phone = factory.Sequence(lambda n: f"+1202555{(n % 99) + 101:04d}")
    kind = Contact.Kind.CONTACT


class OutboundMessageFactory(DjangoModelFactory):
    class Meta:
        model = Message

    direction = Message.Direction.OUTBOUND
    bay_number = factory.SubFactory(BayNumberFactory)
    from_phone = factory.SelfAttribute("bay_number.phone_number")
    to_phone = "+12025550142"
    body = "Open house Saturday 2-4pm."
    status = Message.Status.QUEUED


class InboundMessageFactory(DjangoModelFactory):
    """A text the contact sent to a BAY Number, stored as the webhook stores it."""

    class Meta:
        model = Message

    direction = Message.Direction.INBOUND
    bay_number = factory.SubFactory(BayNumberFactory)
    from_phone = "+12025550142"
    to_phone = factory.SelfAttribute("bay_number.phone_number")
    body = "Hi"
    status = Message.Status.RECEIVED
    twilio_sid = factory.Sequence(lambda n: f"SM{n:032x}")
    raw_payload = factory.LazyAttribute(lambda message: {"Body": message.body})
