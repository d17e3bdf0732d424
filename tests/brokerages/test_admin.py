"""Making accounts as the README says: a superuser, in Django's admin site,
adds a brokerage and then a person in it, who can then log in."""

import pytest
from django.urls import reverse

from brokerages.models import Agent, Brokerage

pytestmark = pytest.mark.django_db


def test_a_superuser_adds_a_brokerage_and_an_admin_who_logs_in(client):
    Agent.objects.create_superuser("root", password="root-pass-2026")
    client.login(username="root", password="root-pass-2026")

    response = client.post(
        reverse("admin:brokerages_brokerage_add"),
        {"name": "Harbor Homes", "phone": "+12025550188", "website": "harbor.example.com"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    brokerage = Brokerage.objects.get(name="Harbor Homes")
    assert brokerage.website == "https://harbor.example.com"

    response = client.post(
        reverse("admin:brokerages_agent_add"),
        {
            "username": "hana",
            "usable_password": "true",
            "password1": "hana-pass-2026!",
            "password2": "hana-pass-2026!",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    hana = Agent.objects.get(username="hana")
    change = client.get(reverse("admin:brokerages_agent_change", args=[hana.pk])).content.decode()
    assert 'name="brokerage"' in change and 'name="role"' in change

    hana.first_name, hana.brokerage, hana.role = "Hana", brokerage, Agent.Role.ADMIN
    hana.save()
    client.logout()

    assert client.login(username="hana", password="hana-pass-2026!")
    assert Agent.objects.get(username="hana").is_brokerage_admin
    assert client.get(reverse("messaging:inbox")).status_code == 200


def test_an_account_without_a_brokerage_sees_only_that_it_has_none(client):
    from contacts.models import Contact

    Agent.objects.create_user("new", password="new-pass-2026!")
    client.login(username="new", password="new-pass-2026!")

    pages = [reverse("messaging:inbox"), reverse("contacts:list"), reverse("messaging:templates")]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Your account is not in a brokerage yet" in response.content.decode()
    created = client.post(
        reverse("contacts:create"),
        {"first_name": "Ava", "phone": "(202) 555-0199", "kind": "contact"},
    )

    assert created.status_code == 403
    assert not Contact.objects.exists()
    assert 'aria-label="Main"' not in response.content.decode()
    assert client.post(reverse("logout")).status_code == 302


def test_a_superuser_without_a_brokerage_is_pointed_to_the_admin_site(client):
    Agent.objects.create_superuser("root", password="root-pass-2026")
    client.login(username="root", password="root-pass-2026")

    response = client.get(reverse("messaging:inbox"))

    assert response.status_code == 403
    assert f'href="{reverse("admin:index")}">admin site</a>' in response.content.decode()


def test_an_agent_with_contacts_or_numbers_cannot_be_moved_to_another_brokerage(client):
    from tests.factories import BayNumberFactory, ContactFactory

    Agent.objects.create_superuser("root", password="root-pass-2026")
    client.login(username="root", password="root-pass-2026")
    bay_number = BayNumberFactory()
    agent = bay_number.agent
    ContactFactory(agent=agent)
    other = Brokerage.objects.create(name="Other Realty")
    url = reverse("admin:brokerages_agent_change", args=[agent.pk])
    form = {
        "username": agent.username,
        "first_name": agent.first_name,
        "last_name": agent.last_name,
        "email": "",
        "is_active": "on",
        "brokerage": other.pk,
        "role": agent.role,
        "phone": "",
        "date_joined_0": "2026-12-01",
        "date_joined_1": "09:00:00",
    }

    response = client.post(url, form)

    assert response.status_code == 200
    assert "has 1 contacts and 1 BAY Numbers in" in response.content.decode()
    agent.refresh_from_db()
    assert agent.brokerage == bay_number.brokerage


def test_a_bay_number_of_another_brokerage_is_not_the_agents_to_text_from():
    from messaging.selectors import agent_bay_numbers
    from tests.factories import BayNumberFactory

    bay_number = BayNumberFactory()
    agent = bay_number.agent
    assert list(agent_bay_numbers(agent)) == [bay_number]

    Agent.objects.filter(pk=agent.pk).update(brokerage=Brokerage.objects.create(name="Other"))
    agent.refresh_from_db()

    assert list(agent_bay_numbers(agent)) == []
