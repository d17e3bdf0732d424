import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from messaging.models import MessageTemplate
from messaging.services import template_create, template_delete, template_update
from tests.concurrency import at_the_same_moment
from tests.factories import AgentFactory, MessageTemplateFactory
from tests.services import require_postgres

pytestmark = pytest.mark.django_db


class TemplateCreateTests:
    def test_saves_the_agents_template(self):
        agent = AgentFactory()

        template = template_create(agent=agent, name=" Open house ", body="Hi {first_name}!")

        assert (template.agent, template.name, template.body) == (
            agent,
            "Open house",
            "Hi {first_name}!",
        )

    def test_an_unknown_merge_field_is_refused_with_the_known_ones(self):
        with pytest.raises(ValidationError) as caught:
            template_create(agent=AgentFactory(), name="Typo", body="Hi {frist_name}")

        assert caught.value.message_dict["body"] == [
            "Unknown merge field {frist_name}. You can use {first_name}, {last_name}, "
            "{agent_name}, {brokerage}."
        ]

    def test_a_name_the_agent_used_is_refused(self):
        agent = AgentFactory()
        MessageTemplateFactory(agent=agent, name="Open house")

        with pytest.raises(ValidationError, match="already have a template called"):
            template_create(agent=agent, name="open HOUSE", body="Hi")

    def test_a_body_over_1600_characters_is_refused(self):
        with pytest.raises(ValidationError, match="at most 1,600 characters"):
            template_create(agent=AgentFactory(), name="Long", body="a" * 1601)


class TemplateUpdateTests:
    def test_changes_the_template(self):
        template = MessageTemplateFactory(name="Old")

        template_update(agent=template.agent, template=template, name="New", body="Hi {last_name}")

        template.refresh_from_db()
        assert (template.name, template.body) == ("New", "Hi {last_name}")

    def test_keeping_its_own_name_is_fine(self):
        template = MessageTemplateFactory(name="Same")

        template_update(agent=template.agent, template=template, name="Same", body="Changed")

        template.refresh_from_db()
        assert template.body == "Changed"

    def test_another_agents_template_is_refused(self):
        template = MessageTemplateFactory(body="Kept")

        with pytest.raises(PermissionDenied):
            template_update(agent=AgentFactory(), template=template, name="X", body="Changed")


class TemplateDeleteTests:
    def test_deletes_the_agents_template(self):
        template = MessageTemplateFactory()

        template_delete(agent=template.agent, template=template)

        assert not MessageTemplate.objects.exists()

    def test_another_agents_template_is_refused(self):
        template = MessageTemplateFactory()

        with pytest.raises(PermissionDenied):
            template_delete(agent=AgentFactory(), template=template)


class TemplateViewsTests:
    @pytest.fixture
    def agent_client(self, client, agent):
        client.force_login(agent)
        return client

    def test_lists_only_the_agents_templates(self, agent_client, agent):
        MessageTemplateFactory(agent=agent, name="Mine")
        MessageTemplateFactory(name="Theirs")

        html = agent_client.get(reverse("messaging:templates")).content.decode()

        assert "Mine" in html
        assert "Theirs" not in html

    def test_creates_from_the_form(self, agent_client, agent):
        response = agent_client.post(
            reverse("messaging:templates"), {"name": "Follow-up", "body": "Hi {first_name}\r\nBye"}
        )

        assert response.status_code == 302
        assert agent.message_templates.get().body == "Hi {first_name}\nBye"

    def test_shows_an_unknown_merge_field_on_the_form(self, agent_client, agent):
        response = agent_client.post(
            reverse("messaging:templates"), {"name": "Typo", "body": "Hi {frist_name}"}
        )

        assert response.status_code == 400
        assert "Unknown merge field {frist_name}." in response.content.decode()
        assert not agent.message_templates.exists()

    def test_edits_and_deletes(self, agent_client, agent):
        template = MessageTemplateFactory(agent=agent, name="Before")

        agent_client.post(
            reverse("messaging:template_edit", args=[template.pk]), {"name": "After", "body": "Hi"}
        )
        template.refresh_from_db()
        assert template.name == "After"

        agent_client.post(reverse("messaging:template_delete", args=[template.pk]))
        assert not agent.message_templates.exists()

    def test_an_edit_to_a_used_name_is_shown_on_the_form(self, agent_client, agent):
        MessageTemplateFactory(agent=agent, name="Taken")
        template = MessageTemplateFactory(agent=agent, name="Mine")

        response = agent_client.post(
            reverse("messaging:template_edit", args=[template.pk]), {"name": "taken", "body": "Hi"}
        )

        assert response.status_code == 400
        assert "You already have a template called" in response.content.decode()
        template.refresh_from_db()
        assert template.name == "Mine"

    def test_another_agents_template_is_404(self, agent_client):
        template = MessageTemplateFactory(name="Theirs")

        for name in ("messaging:template_edit", "messaging:template_delete"):
            url = reverse(name, args=[template.pk])
            assert agent_client.get(url).status_code == 404
            assert agent_client.post(url, {"name": "Mine", "body": "Hi"}).status_code == 404
        template.refresh_from_db()
        assert template.name == "Theirs"


@pytest.mark.django_db(transaction=True)
class TemplateRaceTests:
    def test_one_name_saved_twice_at_once_is_refused_once_not_a_server_error(self):
        require_postgres()  # SQLite's in-memory test database locks whole tables
        agent = AgentFactory()

        def save():
            try:
                template_create(agent=agent, name="Open house", body="Hi {first_name}")
            except ValidationError as error:
                return error.message_dict["name"][0]
            return "saved"

        results = at_the_same_moment(save)

        assert sorted(results) == ["You already have a template called 'Open house'.", "saved"]
        assert MessageTemplate.objects.count() == 1
