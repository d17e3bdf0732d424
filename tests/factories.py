"""factory_boy factories for the product's models, with a seeded faker."""

import factory
from factory.django import DjangoModelFactory

from brokerages.models import Agent, Brokerage
from contacts.models import Contact
from messaging.models import BayNumber, Message, MessageTemplate
from registration.models import Brand, Campaign

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


class BrandFactory(DjangoModelFactory):
    """A brand that passes every check, as a brokerage admin would fill it in."""

    class Meta:
        model = Brand

    brokerage = factory.SubFactory(BrokerageFactory, name="Bayview Realty")
    legal_name = "Bayview Realty LLC"
    ein = "12-3456789"
    business_type = Brand.BusinessType.LLC
    company_type = Brand.CompanyType.PRIVATE
    industry = Brand.Industry.REAL_ESTATE
    regions = Brand.Region.USA_AND_CANADA
    street = "100 Harbor Way"
    street_secondary = "Suite 5"
    city = "San Francisco"
    state = "CA"
    postal_code = "94105"
    website = "https://bayviewrealty.example.com"
    rep_first_name = "Ada"
    rep_last_name = "Admin"
    rep_title = "Managing Broker"
    rep_job_position = Brand.JobPosition.DIRECTOR
    rep_email = "ada@bayviewrealty.example.com"
    rep_phone = "+12025550199"


class CampaignFactory(DjangoModelFactory):
    """A campaign that passes every check, for the brand's brokerage."""

    class Meta:
        model = Campaign

    brokerage = factory.SubFactory(BrokerageFactory, name="Bayview Realty")
    use_case = Campaign.UseCase.MIXED
    description = (
        "Agents of Bayview Realty text clients and leads who opted in about listings, "
        "showings, offers and their home purchase or sale."
    )
    message_flow = (
        "Contacts opt in by replying YES to an opt-in request an agent sends after meeting "
        "them at an open house or by phone. The request names the agent and Bayview Realty, "
        "gives the message frequency, says Msg & data rates may apply, and offers HELP and NO."
    )
    message_samples = factory.LazyFunction(
        lambda: [
            "Hi Sam, it's Alex from Bayview Realty. The house on Oak St has an open house "
            "Saturday 2-4pm. Want me to save you a spot?",
            "Bayview Realty: your offer on 12 Pine Ave was accepted! Call me when you can.",
        ]
    )
    opt_in_keywords = "YES, START, UNSTOP"
    opt_in_message = (
        "You're subscribed to texts from Bayview Realty. Msg frequency varies. "
        "Msg & data rates may apply. Reply HELP for help, STOP to opt out."
    )
    opt_out_keywords = "STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT"
    opt_out_message = "You're unsubscribed from Bayview Realty and will get no more texts."
    help_keywords = "HELP, INFO"
    help_message = "Bayview Realty: for help call (202) 555-0199. Reply STOP to opt out."
    privacy_policy_url = "https://bayviewrealty.example.com/privacy"
    terms_url = "https://bayviewrealty.example.com/sms-terms"


class MessageTemplateFactory(DjangoModelFactory):
    class Meta:
        model = MessageTemplate

    agent = factory.SubFactory(AgentFactory)
    name = factory.Sequence(lambda n: f"Open house {n}")
    body = "Hi {first_name}, open house Saturday 2-4pm. {agent_name}, {brokerage}"
