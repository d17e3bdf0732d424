import pytest

from contacts.admin import ContactAdminForm
from tests.factories import AgentFactory


@pytest.mark.django_db
class ContactAdminFormTests:
    def _form(self, phone):
        agent = AgentFactory()
        return ContactAdminForm(
            data={"agent": agent.pk, "first_name": "Sam", "phone": phone, "kind": "contact"}
        )

    @pytest.mark.parametrize(
        ("typed", "stored"),
        [("(202) 555-0147", "+12025550147"), ("202.555.0148 x12", "+12025550148")],
    )
    def test_typed_number_is_stored_in_e164(self, typed, stored):
        form = self._form(typed)

        assert form.is_valid(), form.errors
        assert form.save().phone == stored

    def test_text_that_is_not_a_number_is_refused(self):
        form = self._form("not a phone")

        assert not form.is_valid()
        assert "not a phone number" in form.errors["phone"][0]
