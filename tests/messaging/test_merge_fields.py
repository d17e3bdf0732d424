from messaging.merge_fields import merge, merge_values, unknown_fields
from tests.factories import AgentFactory, ContactFactory

VALUES = {
    "first_name": "Ava",
    "last_name": "Parker",
    "agent_name": "Alex Rivera",
    "brokerage": "Bayview",
}


class MergeTests:
    def test_fills_every_merge_field(self):
        body = "Hi {first_name} {last_name}, it's {agent_name} of {brokerage}."

        assert merge(body, VALUES) == "Hi Ava Parker, it's Alex Rivera of Bayview."

    def test_leaves_other_braces_alone(self):
        body = "Save {10%} on {first_name}'s { } {unknown}"

        assert merge(body, VALUES) == "Save {10%} on Ava's { } {unknown}"


class UnknownFieldsTests:
    def test_names_each_unknown_placeholder_once(self):
        assert unknown_fields("{frist_name} {first_name} {frist_name} {Brokerage}") == [
            "frist_name",
            "Brokerage",
        ]

    def test_text_without_placeholders_has_none(self):
        assert unknown_fields("Open house {10%} off") == []


class MergeValuesTests:
    def test_values_come_from_the_contact_and_the_agent(self, db):
        agent = AgentFactory(first_name="Alex", last_name="Rivera")
        contact = ContactFactory(agent=agent, first_name="Ava", last_name="Parker")

        values = merge_values(contact=contact, agent=agent)

        assert values == {
            "first_name": "Ava",
            "last_name": "Parker",
            "agent_name": "Alex Rivera",
            "brokerage": agent.brokerage.name,
        }
