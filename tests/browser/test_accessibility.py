"""The main screens pass axe-core's WCAG 2.1 A and AA rules (contrast,
labels, landmarks, names of controls), at desktop and phone sizes."""

import pytest
from django.urls import reverse

from tests.browser.test_conversation_flow import (
    DESKTOP,
    PHONE,
    build_office,
    log_in,
    shoot,
)
from tests.factories import AdminFactory, MessageTemplateFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG_AA)
    return [
        f"{rule['id']}: {rule['help']} at {[node['target'] for node in rule['nodes']]}"
        for rule in results.response["violations"]
    ]


@pytest.mark.django_db(transaction=True)
class AccessibilityTests:
    @pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
    def test_main_screens_have_no_wcag_aa_violations(self, live_server, browser, viewport):
        agent, bay_number, nora = build_office()
        olivia = agent.contacts.get(first_name="Olivia")
        template = MessageTemplateFactory(agent=agent)
        page = browser.new_page(viewport=viewport)
        page.goto(live_server.url + reverse("login"))
        found = {"login": violations(page)}
        log_in(page, live_server, agent)

        on_number = f"?bay_number={bay_number.pk}"
        screens = {
            "inbox": reverse("messaging:inbox"),
            "conversation": reverse("messaging:conversation", args=[olivia.pk]) + on_number,
            "refusal": reverse("messaging:conversation", args=[nora.pk]) + on_number,
            "number": reverse("messaging:number_detail", args=[bay_number.pk]),
            "contacts": reverse("contacts:list"),
            "contact": reverse("contacts:detail", args=[olivia.pk]),
            "contact form": reverse("contacts:create"),
            "import": reverse("contacts:import"),
            "templates": reverse("messaging:templates"),
            "template form": reverse("messaging:template_edit", args=[template.pk]),
            "possible opt-outs": reverse("optin:reviews"),
            "bulk send": reverse("messaging:bulk_new"),
        }
        for name, path in screens.items():
            page.goto(live_server.url + path)
            found[name] = violations(page)

        assert {name: found for name, found in found.items() if found} == {}

    def test_a_brokerage_admins_menu(self, live_server, browser):
        """An admin's Admin menu opens, reaches its pages, and passes axe."""
        from playwright.sync_api import expect

        admin = AdminFactory(username="ada")
        page = browser.new_page(viewport=DESKTOP)
        log_in(page, live_server, admin)

        page.get_by_text("Admin", exact=True).click()
        menu = page.locator(".nav-menu-items")
        expect(menu.get_by_role("link", name="Do-not-text list")).to_be_visible()
        shoot(page, "brokerage-menu-desktop")
        found = violations(page)
        menu.get_by_role("link", name="Do-not-text list").click()

        expect(page.get_by_role("heading", name="Do-not-text list")).to_be_visible()
        assert found == []
        assert violations(page) == []
