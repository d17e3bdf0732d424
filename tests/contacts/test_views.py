from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from optin.models import ConsentState
from optin.services import do_not_text_add
from tests.factories import AdminFactory, AgentFactory, BayNumberFactory, ContactFactory
from tests.screens import give_consent, reply

pytestmark = pytest.mark.django_db

MESSY = Path(__file__).parent / "data" / "messy_phones.csv"


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def names(response) -> list[str]:
    return [row[0].full_name for row in response.context["rows"]]


class ContactListViewTests:
    @pytest.fixture
    def people(self, agent, bay_number):
        people = {
            "Ava": ContactFactory(
                agent=agent, first_name="Ava", last_name="Parker", phone="+12025550121"
            ),
            "Ben": ContactFactory(
                agent=agent, first_name="Ben", last_name="Ortiz", phone="+12025550122"
            ),
            "Cara": ContactFactory(
                agent=agent, first_name="Cara", last_name="Park", phone="+12025550123"
            ),
            "Dan": ContactFactory(
                agent=agent, first_name="Dan", last_name="Kim", phone="+12025550124"
            ),
        }
        give_consent(bay_number=bay_number, contact=people["Ben"], state=ConsentState.OPTED_IN)
        give_consent(bay_number=bay_number, contact=people["Cara"], state=ConsentState.PENDING)
        give_consent(bay_number=bay_number, contact=people["Dan"], state=ConsentState.OPTED_OUT)
        return people

    def test_lists_the_agents_contacts_by_name_with_badges(self, agent_client, people):
        ContactFactory(first_name="Aaron")

        response = agent_client.get(reverse("contacts:list"))

        assert names(response) == ["Ava Parker", "Ben Ortiz", "Cara Park", "Dan Kim"]
        assert [row[1].key for row in response.context["rows"]] == [
            "never_asked",
            "opted_in",
            "pending",
            "opted_out",
        ]

    def test_search_by_name_and_by_phone_digits(self, agent_client, people):
        def search(query):
            return names(agent_client.get(reverse("contacts:list"), {"q": query}))

        assert search("park") == ["Ava Parker", "Cara Park"]
        assert search("cara park") == ["Cara Park"]
        assert search("(202) 555-0124") == ["Dan Kim"]
        assert search("+1 202.555.0124") == ["Dan Kim"]
        assert search("0122") == ["Ben Ortiz"]
        assert search("202") == ["Ava Parker", "Ben Ortiz", "Cara Park", "Dan Kim"]

    @pytest.mark.parametrize(
        ("consent", "expected"),
        [
            ("never_asked", ["Ava Parker"]),
            ("pending", ["Cara Park"]),
            ("opted_in", ["Ben Ortiz"]),
            ("opted_out", ["Dan Kim"]),
            ("flagged", ["Ben Ortiz"]),
            ("do_not_text", ["Ava Parker"]),
        ],
    )
    def test_consent_filter(self, agent_client, people, bay_number, consent, expected):
        reply(bay_number=bay_number, phone=people["Ben"].phone, body="No problem, see you at 3")
        admin = AdminFactory(brokerage=bay_number.brokerage)
        do_not_text_add(brokerage=bay_number.brokerage, phone=people["Ava"].phone, actor=admin)

        response = agent_client.get(reverse("contacts:list"), {"consent": consent})

        assert names(response) == expected

    def test_consent_is_per_bay_number(self, agent_client, agent, people):
        second = BayNumberFactory(agent=agent, phone_number="+13305550100")

        response = agent_client.get(
            reverse("contacts:list"), {"consent": "never_asked", "bay_number": second.pk}
        )

        assert len(names(response)) == 4

    def test_pages_of_fifty_keep_the_filters(self, agent_client, agent, bay_number):
        for n in range(60):
            ContactFactory(agent=agent, first_name=f"Lead{n:02d}", phone=f"+1{300 + n}5550101")

        first = agent_client.get(reverse("contacts:list"), {"q": "lead"})
        second = agent_client.get(reverse("contacts:list"), {"q": "lead", "page": 2})

        assert len(names(first)) == 50
        assert len(names(second)) == 10
        assert 'href="?q=lead&amp;page=2"' in first.content.decode()

    def test_another_agents_bay_number_is_ignored(self, agent_client, people):
        response = agent_client.get(reverse("contacts:list"), {"bay_number": BayNumberFactory().pk})

        assert response.status_code == 200
        assert names(response) == ["Ava Parker", "Ben Ortiz", "Cara Park", "Dan Kim"]


class ContactDetailViewTests:
    def test_shows_consent_per_number_and_the_history(self, agent_client, contact, bay_number):
        give_consent(bay_number=bay_number, contact=contact, state=ConsentState.OPTED_IN)

        html = agent_client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

        assert 'data-state="opted_in"' in html
        assert "Opt-in requested" in html
        assert "Keyword texted by the contact" in html
        assert '<blockquote class="consent-quote">YES</blockquote>' in html
        assert "Proof of consent" in html

    def test_history_of_another_agents_number_stays_out(self, agent_client, contact, bay_number):
        other = BayNumberFactory(phone_number="+13305550100")
        give_consent(bay_number=other, contact=contact, state=ConsentState.PENDING)

        html = agent_client.get(reverse("contacts:detail", args=[contact.pk])).content.decode()

        assert "No consent history yet." in html
        assert "Proof of consent" not in html

    def test_another_agents_contact_is_404(self, agent_client):
        for name in ("contacts:detail", "contacts:edit"):
            response = agent_client.get(reverse(name, args=[ContactFactory().pk]))
            assert response.status_code == 404


class ContactCreateViewTests:
    def test_adds_and_warns_about_a_dropped_extension(self, agent_client, agent):
        response = agent_client.post(
            reverse("contacts:create"),
            {"first_name": "Ava", "phone": "202.555.0143 ext. 12", "kind": "lead"},
            follow=True,
        )

        html = response.content.decode()
        assert agent.contacts.get().phone == "+12025550143"
        assert "Extension 12 was left out" in html

    def test_a_duplicate_phone_is_shown_on_the_form(self, agent_client, agent):
        ContactFactory(agent=agent, first_name="Ben", last_name="Ortiz", phone="+12025550143")

        response = agent_client.post(
            reverse("contacts:create"), {"first_name": "Ava", "phone": "2025550143", "kind": "lead"}
        )

        assert response.status_code == 400
        assert "You already have this number, as Ben Ortiz." in response.content.decode()
        assert agent.contacts.count() == 1

    def test_an_invalid_phone_is_shown_on_the_form(self, agent_client, agent):
        response = agent_client.post(
            reverse("contacts:create"), {"first_name": "Ava", "phone": "555-0101", "kind": "lead"}
        )

        assert response.status_code == 400
        assert "is not a valid phone number" in response.content.decode()


class ContactUpdateViewTests:
    def test_edits_the_contact(self, agent_client, contact):
        response = agent_client.post(
            reverse("contacts:edit", args=[contact.pk]),
            {
                "first_name": "Patricia",
                "last_name": "Lane",
                "phone": "202-555-0142",
                "kind": "lead",
            },
        )

        contact.refresh_from_db()
        assert response.status_code == 302
        assert (contact.first_name, contact.last_name, contact.kind) == ("Patricia", "Lane", "lead")

    def test_another_agents_contact_cannot_be_edited(self, agent_client):
        contact = ContactFactory(first_name="Kept")

        response = agent_client.post(
            reverse("contacts:edit", args=[contact.pk]),
            {"first_name": "Changed", "phone": "202-555-0142", "kind": "lead"},
        )

        contact.refresh_from_db()
        assert response.status_code == 404
        assert contact.first_name == "Kept"


class ContactImportViewTests:
    def test_upload_reports_every_row(self, agent_client, agent):
        upload = SimpleUploadedFile("contacts.csv", MESSY.read_bytes(), content_type="text/csv")

        response = agent_client.post(reverse("contacts:import"), {"file": upload})

        html = response.content.decode()
        assert response.status_code == 200
        assert '<span class="stat-value">19</span><span class="stat-note">added' in html
        assert "55501 is a short code, not a phone number." in html
        assert "Same number as row 23." in html
        assert "Extension 12 dropped" in html
        assert "+44 20 7946 0958 is a landline, which cannot receive texts." in html
        assert agent.contacts.count() == 19

    def test_a_file_without_a_phone_column_is_explained(self, agent_client, agent):
        upload = SimpleUploadedFile("contacts.csv", b"Name,Email\r\nAva,a@example.com\r\n")

        response = agent_client.post(reverse("contacts:import"), {"file": upload})

        assert response.status_code == 400
        assert "The file has no phone column." in response.content.decode()
        assert agent.contacts.count() == 0

    def test_imports_go_to_the_uploading_agent_only(self, agent_client, agent):
        other = AgentFactory()
        upload = SimpleUploadedFile("contacts.csv", b"Name,Phone\r\nAva,2025550161\r\n")

        agent_client.post(reverse("contacts:import"), {"file": upload})

        assert agent.contacts.count() == 1
        assert other.contacts.count() == 0
