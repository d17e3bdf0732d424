import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from contacts.models import Contact
from contacts.services import contact_create, contact_update
from tests.factories import AgentFactory, BayNumberFactory, ContactFactory

pytestmark = pytest.mark.django_db


def create(agent, **overrides):
    fields = {"first_name": "Ava", "last_name": "Parker", "phone": "(202) 555-0161", "kind": "lead"}
    fields.update(overrides)
    return contact_create(agent=agent, **fields)


class ContactCreateTests:
    def test_stores_the_phone_in_e164(self):
        contact = create(AgentFactory())

        assert contact.phone == "+12025550161"

    def test_fc15_extension_is_stripped_not_appended(self):
        contact = create(AgentFactory(), phone="202.555.0143 ext. 12")

        assert contact.phone == "+12025550143"

    def test_a_phone_the_agent_has_is_refused_naming_the_contact(self):
        agent = AgentFactory()
        ContactFactory(agent=agent, first_name="Ben", last_name="Ortiz", phone="+12025550161")

        with pytest.raises(ValidationError) as caught:
            create(agent, phone="202-555-0161")

        assert caught.value.message_dict == {
            "phone": ["You already have this number, as Ben Ortiz."]
        }
        assert agent.contacts.count() == 1

    def test_another_agents_phone_is_no_duplicate(self):
        ContactFactory(phone="+12025550161")

        assert create(AgentFactory()).phone == "+12025550161"

    def test_an_invalid_phone_is_refused(self):
        with pytest.raises(ValidationError, match="not a valid phone number"):
            create(AgentFactory(), phone="555-0101")

    def test_a_bay_number_is_refused_as_a_contact(self):
        bay_number = BayNumberFactory(phone_number="+12025550161")

        with pytest.raises(ValidationError) as caught:
            create(bay_number.agent, phone="(202) 555-0161")

        assert caught.value.message_dict == {
            "phone": ["This is a BAY Number, which texts your contacts; it cannot be one of them."]
        }
        assert Contact.objects.count() == 0

    def test_a_released_bay_numbers_phone_may_be_a_contact(self):
        from django.utils import timezone

        BayNumberFactory(phone_number="+12025550161", released_at=timezone.now())

        assert create(AgentFactory()).phone == "+12025550161"


class ContactUpdateTests:
    def test_changes_fields_and_normalises_the_phone(self):
        contact = ContactFactory(phone="+12025550161", invalid_phone_reason="Landline")

        contact_update(
            agent=contact.agent,
            contact=contact,
            first_name="Ava ",
            last_name="Parker",
            phone="(202) 555-0162",
            email="ava@example.com",
            kind="lead",
        )

        contact.refresh_from_db()
        assert (contact.first_name, contact.phone, contact.kind) == ("Ava", "+12025550162", "lead")
        assert contact.invalid_phone_reason == ""

    def test_keeping_the_same_phone_is_no_duplicate(self):
        contact = ContactFactory(phone="+12025550161")

        contact_update(
            agent=contact.agent,
            contact=contact,
            first_name="New",
            phone="202.555.0161",
            kind="contact",
        )

        contact.refresh_from_db()
        assert contact.first_name == "New"

    def test_another_contacts_phone_is_refused(self):
        contact = ContactFactory(phone="+12025550161")
        ContactFactory(agent=contact.agent, phone="+12025550162")

        with pytest.raises(ValidationError, match="already have this number"):
            contact_update(
                agent=contact.agent,
                contact=contact,
                first_name="X",
                phone="2025550162",
                kind="contact",
            )

    def test_another_agents_contact_is_refused(self):
        contact = ContactFactory()

        with pytest.raises(PermissionDenied):
            contact_update(
                agent=AgentFactory(),
                contact=contact,
                first_name="X",
                phone="2025550163",
                kind="contact",
            )
