"""The admin screens: who reaches them, drafts, checks, submitting."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from registration.forms import BRAND_HELP, CAMPAIGN_HELP, SAMPLE_HELP
from registration.models import Brand, Campaign
from tests.factories import (
    AdminFactory,
    AgentFactory,
    BayNumberFactory,
    BrandFactory,
    CampaignFactory,
)

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    ("get", "registration:status", []),
    ("get", "registration:brand", []),
    ("post", "registration:brand", []),
    ("get", "registration:campaign", []),
    ("post", "registration:campaign", []),
    ("post", "registration:submit", []),
    ("post", "registration:alert_dismiss", [1]),
    ("get", "registration:numbers", []),
    ("get", "registration:number_search", []),
    ("post", "registration:number_buy", []),
    ("post", "registration:number_assign", [1]),
    ("get", "registration:number_release", [1]),
    ("post", "registration:number_release", [1]),
]


class PermissionTests:
    @pytest.mark.parametrize(("method", "name", "args"), ADMIN_PAGES)
    def test_agents_get_403(self, client, method, name, args):
        client.force_login(AgentFactory())
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 403

    @pytest.mark.parametrize(("method", "name", "args"), ADMIN_PAGES)
    def test_visitors_are_sent_to_log_in(self, client, method, name, args):
        response = getattr(client, method)(reverse(name, args=args))
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_an_admin_without_a_brokerage_gets_403(self, client):
        client.force_login(AdminFactory(brokerage=None))
        assert client.get(reverse("registration:status")).status_code == 403

    def test_admins_see_the_nav_links_and_agents_do_not(self, client):
        client.force_login(AgentFactory())
        page = client.get(reverse("messaging:inbox")).content.decode()
        assert reverse("registration:status") not in page
        client.force_login(AdminFactory())
        page = client.get(reverse("messaging:inbox")).content.decode()
        assert reverse("registration:status") in page
        assert reverse("registration:numbers") in page

    def test_nobody_sees_another_brokerages_registration(self, client):
        """The pages show the admin's own brokerage only; there is no way to
        name another one."""
        theirs = BrandFactory(legal_name="Harbor Homes Inc.")
        CampaignFactory(brokerage=theirs.brokerage, description="Harbor Homes texts " * 4)
        client.force_login(AdminFactory())
        assert "Harbor Homes" not in client.get(reverse("registration:status")).content.decode()
        assert "Harbor Homes" not in client.get(reverse("registration:brand")).content.decode()
        assert "Harbor Homes" not in client.get(reverse("registration:campaign")).content.decode()

    @pytest.mark.parametrize(
        ("method", "name"),
        [
            ("post", "registration:number_assign"),
            ("get", "registration:number_release"),
            ("post", "registration:number_release"),
        ],
    )
    def test_another_brokerages_number_does_not_exist(self, client, method, name):
        theirs = BayNumberFactory()
        client.force_login(AdminFactory())
        response = getattr(client, method)(reverse(name, args=[theirs.pk]))
        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.released_at is None

    def test_another_brokerages_alert_cannot_be_dismissed(self, client):
        from registration.services import alert_campaign_problem

        alert = alert_campaign_problem(bay_number_id=BayNumberFactory().pk, code=30034, reason="x")
        client.force_login(AdminFactory())
        client.post(reverse("registration:alert_dismiss", args=[alert.pk]))
        alert.refresh_from_db()
        assert alert.dismissed_at is None


class DraftTests:
    def test_a_partial_brand_is_saved_as_typed(self, client):
        admin = AdminFactory()
        client.force_login(admin)
        response = client.post(
            reverse("registration:brand"),
            {"legal_name": "Bayview Realty LLC", "ein": "12345", "website": "bayview", "save": "1"},
        )
        assert response.status_code == 302
        brand = Brand.objects.get(brokerage=admin.brokerage)
        assert (brand.legal_name, brand.ein, brand.website) == (
            "Bayview Realty LLC",
            "12345",
            "bayview",
        )
        assert brand.status == "draft"

    def test_save_and_check_shows_each_problem_next_to_its_field(self, client):
        admin = AdminFactory()
        client.force_login(admin)
        response = client.post(
            reverse("registration:brand"),
            {"legal_name": "Bayview Realty LLC", "ein": "12345", "check": "1"},
            follow=True,
        )
        page = response.content.decode()
        assert response.redirect_chain[-1][0] == reverse("registration:brand") + "?check=1"
        assert "Write the EIN as on the IRS letter" in page
        assert 'id="field-ein"' in page
        assert "to fix before submitting" in page

    @pytest.mark.parametrize(
        ("name", "explanations"),
        [("registration:brand", BRAND_HELP), ("registration:campaign", CAMPAIGN_HELP)],
    )
    def test_every_field_is_explained_next_to_it(self, client, name, explanations):
        client.force_login(AdminFactory())
        page = client.get(reverse(name)).content.decode()
        for field, text in explanations.items():
            assert text, f"{field} has no explanation"
            assert escape(text) in page, field
        if name == "registration:campaign":
            assert escape(SAMPLE_HELP) in page

    def test_a_new_campaign_suggests_the_products_own_texts(self, client):
        admin = AdminFactory()
        client.force_login(admin)
        page = client.get(reverse("registration:campaign")).content.decode()
        assert f"You&#x27;re subscribed to texts from {admin.brokerage.name}" in page
        assert "STOP, STOPALL, UNSUBSCRIBE" in page

    def test_campaign_samples_are_saved_as_a_list(self, client):
        admin = AdminFactory()
        client.force_login(admin)
        client.post(
            reverse("registration:campaign"),
            {
                "sample_1": "First sample text here",
                "sample_3": " Third one, 20 chars+ ",
                "save": "1",
            },
        )
        campaign = Campaign.objects.get(brokerage=admin.brokerage)
        assert campaign.message_samples == ["First sample text here", "Third one, 20 chars+"]
        page = client.get(reverse("registration:campaign")).content.decode()
        assert "Third one, 20 chars+" in page

    def test_a_registration_under_review_cannot_be_edited(self, client):
        brand = BrandFactory(status="in_review")
        admin = AdminFactory(brokerage=brand.brokerage)
        client.force_login(admin)
        client.post(reverse("registration:brand"), {"legal_name": "Other LLC", "save": "1"})
        brand.refresh_from_db()
        assert brand.legal_name == "Bayview Realty LLC"
        page = client.get(reverse("registration:brand")).content.decode()
        assert "Save draft" not in page


class SubmitTests:
    def test_a_registration_with_problems_is_not_submitted(self, client):
        brand = BrandFactory(ein="123")
        CampaignFactory(brokerage=brand.brokerage)
        client.force_login(AdminFactory(brokerage=brand.brokerage))
        response = client.post(reverse("registration:submit"), follow=True)
        page = response.content.decode()
        assert "Fix these before submitting." in page
        assert "Write the EIN as on the IRS letter" in page
        brand.refresh_from_db()
        assert brand.status == "draft"

    def test_the_status_page_offers_submit_only_when_every_check_passes(self, client):
        brand = BrandFactory()
        campaign = CampaignFactory(brokerage=brand.brokerage)
        client.force_login(AdminFactory(brokerage=brand.brokerage))
        assert 'data-testid="submit"' in client.get(reverse("registration:status")).content.decode()
        campaign.terms_url = ""
        campaign.save()
        page = client.get(reverse("registration:status")).content.decode()
        assert 'data-testid="submit"' not in page
        assert "The terms URL must be a full web address" in page

    def test_a_registration_with_twilio_cannot_be_submitted_twice(
        self, client, django_capture_on_commit_callbacks
    ):
        brand = BrandFactory(status="in_review")
        CampaignFactory(brokerage=brand.brokerage, status="submitted")
        client.force_login(AdminFactory(brokerage=brand.brokerage))
        with django_capture_on_commit_callbacks() as callbacks:
            response = client.post(reverse("registration:submit"), follow=True)
        assert "already with Twilio" in response.content.decode()
        assert callbacks == []

    def test_submitting_queues_the_task_after_commit(
        self, client, django_capture_on_commit_callbacks
    ):
        brand = BrandFactory()
        CampaignFactory(brokerage=brand.brokerage)
        client.force_login(AdminFactory(brokerage=brand.brokerage))
        with django_capture_on_commit_callbacks() as callbacks:
            client.post(reverse("registration:submit"))
        brand.refresh_from_db()
        assert brand.status == "submitted"
        assert brand.brokerage.campaign.status == "submitted"
        assert len(callbacks) == 1
