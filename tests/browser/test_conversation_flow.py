"""The agent's main job in a real browser: Debian's Chromium driven by
Playwright against the live server, with Twilio's webhooks signed as Twilio
signs them. Screenshots of the main screens land in test-artifacts/."""

import datetime
import urllib.parse
import urllib.request

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from messaging.models import Message
from messaging.signatures import sign
from messaging.simulator import inbound_params
from optin.models import ConsentState
from tests.factories import AgentFactory, BayNumberFactory, ContactFactory
from tests.screens import give_consent, reply
from tests.services import ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = ROOT / "test-artifacts"
MESSY_CSV = ROOT / "tests" / "contacts" / "data" / "messy_phones.csv"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "agent-pass-123"
# Long enough for a few of the page's 4-second polls.
WAIT_MS = 20_000


def post_signed(live_server, path: str, params: dict[str, str]) -> int:
    """POST a webhook to the live server, signed over the public URL Twilio
    would have called (PUBLIC_BASE_URL + path), as the server checks it."""
    signature = sign(settings.PUBLIC_BASE_URL.rstrip("/") + path, params)
    request = urllib.request.Request(
        live_server.url + path,
        data=urllib.parse.urlencode(params).encode(),
        headers={"X-Twilio-Signature": signature},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def status_params(message: Message, status: str) -> dict[str, str]:
    return {
        "MessageSid": message.twilio_sid,
        "SmsSid": message.twilio_sid,
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
        "MessagingServiceSid": "",
        "From": message.from_phone,
        "To": message.to_phone,
        "MessageStatus": status,
        "SmsStatus": status,
        "ApiVersion": "2010-04-01",
        "RawDlrDoneDate": timezone.now().strftime("%y%m%d%H%M"),
    }


def backdate(messages, minutes: int) -> None:
    when = timezone.now() - datetime.timedelta(minutes=minutes)
    Message.objects.filter(pk__in=[m.pk for m in messages]).update(created_at=when, updated_at=when)


def build_office():
    """An agent with two BAY Numbers and contacts in every consent state."""
    agent = AgentFactory(first_name="Alex", last_name="Rivera", username="alex")
    agent.brokerage.name = "Bayview Realty"
    agent.brokerage.save()
    bay_number = BayNumberFactory(
        agent=agent, phone_number="+12025550100", friendly_name="Main line"
    )
    BayNumberFactory(agent=agent, phone_number="+13305550100", friendly_name="Open houses")
    people = [
        ("Olivia", "Chen", "+12025550131", ConsentState.OPTED_IN, "Saturday at 2 works for us!"),
        ("Marcus", "Bell", "+12025550132", ConsentState.PENDING, None),
        ("Priya", "Natarajan", "+12025550133", ConsentState.OPTED_OUT, None),
        ("Diego", "Santos", "+12025550134", ConsentState.OPTED_IN, "Can we see the condo too?"),
    ]
    for minutes, (first, last, phone, state, text) in enumerate(people, start=1):
        contact = ContactFactory(agent=agent, first_name=first, last_name=last, phone=phone)
        give_consent(bay_number=bay_number, contact=contact, state=state)
        if text:
            reply(bay_number=bay_number, phone=phone, body=text)
        backdate(Message.objects.filter(contact=contact), minutes * 47)
    nora = ContactFactory(agent=agent, first_name="Nora", last_name="Quinn", phone="+12025550141")
    return agent, bay_number, nora


def log_in(page, live_server, agent):
    page.goto(live_server.url + reverse("login"))
    page.get_by_label("Username").fill(agent.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/messages/")


def shoot(page, name: str) -> None:
    """Save a screenshot of the page as it is, once it has loaded.

    On a busy machine Chromium sometimes cannot capture a frame on the first
    try; one more try after the page settles is enough.
    """
    from playwright.sync_api import Error

    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_load_state("load")
    path = str(ARTIFACTS / f"{name}.png")
    try:
        page.screenshot(path=path)
    except Error:
        page.wait_for_timeout(500)
        page.screenshot(path=path)


@pytest.mark.django_db(transaction=True)
class ConversationFlowTests:
    def test_optin_reply_and_delivery_without_a_reload(self, live_server, browser):
        """Refusal, opt-in request, YES by signed webhook, send, delivered by
        signed status callback: the page follows each without a reload."""
        from playwright.sync_api import expect

        agent, bay_number, nora = build_office()
        page = browser.new_page(viewport=DESKTOP)
        log_in(page, live_server, agent)
        shoot(page, "inbox-desktop")

        page.get_by_role("link", name="Contacts").click()
        page.get_by_role("searchbox", name="Search").fill("nora")
        page.get_by_role("button", name="Search").click()
        shoot(page, "contacts-desktop")
        page.get_by_role("link", name="Text Nora Quinn").click()

        badge = page.locator("#consent-badge-slot [data-testid=consent-badge]")
        expect(page.get_by_test_id("refusal")).to_contain_text(
            "This contact hasn't agreed to receive texts yet."
        )
        expect(badge).to_contain_text("Never asked")
        expect(page.locator("[data-composer]")).to_have_count(0)
        shoot(page, "conversation-never-asked-desktop")

        page.get_by_role("button", name="Send Opt In Notification").click()
        expect(badge).to_contain_text("Pending")
        expect(page.locator(".msg-outbound")).to_contain_text("Reply YES to opt in")
        page.evaluate("window.__sameDocument = true")

        params = inbound_params(from_phone=nora.phone, to_phone=bay_number.phone_number, body="YES")
        assert post_signed(live_server, reverse("messaging:twilio_inbound"), params) == 200

        expect(badge).to_contain_text("Opted in", timeout=WAIT_MS)
        expect(page.locator(".msg-inbound .msg-text")).to_have_text("YES", timeout=WAIT_MS)
        expect(page.locator("[data-composer] textarea")).to_be_visible(timeout=WAIT_MS)
        assert page.evaluate("window.__sameDocument") is True

        box = page.get_by_label("Text to Nora Quinn")
        box.fill("Open house \u201cSat\u201d 2-4pm at 12 Harbor Lane. See you there?")
        expect(page.locator("[data-encoding]")).to_have_text("UCS-2")
        shoot(page, "conversation-composer-ucs2-desktop")
        page.get_by_role("button", name="Replace smart quotes").click()
        expect(page.locator("[data-encoding]")).to_have_text("GSM-7")
        expect(page.locator("[data-segments]")).to_have_text("1 segment")
        page.get_by_role("button", name="Send").click()

        sent = page.locator(".msg-outbound", has_text='Open house "Sat"')
        expect(sent).to_be_visible()
        text = Message.objects.get(
            contact=nora, kind=Message.Kind.REGULAR, direction=Message.Direction.OUTBOUND
        )
        assert text.body == 'Open house "Sat" 2-4pm at 12 Harbor Lane. See you there?'
        assert text.twilio_sid
        page.evaluate("window.__sameDocument = true")

        path = reverse("messaging:twilio_status")
        assert post_signed(live_server, path, status_params(text, "delivered")) == 204

        expect(sent.get_by_test_id("message-status")).to_have_text("Delivered", timeout=WAIT_MS)
        assert page.evaluate("window.__sameDocument") is True
        shoot(page, "conversation-desktop")

    def test_the_inbox_follows_new_texts_without_a_reload(self, live_server, browser):
        """A reply from a contact and a first text from a stranger both come
        into the open inbox, newest first and unread, in the same document."""
        from playwright.sync_api import expect

        agent, bay_number, _nora = build_office()
        page = browser.new_page(viewport=DESKTOP)
        log_in(page, live_server, agent)
        rows = page.locator(".convo-list .convo")
        expect(rows.first).to_contain_text("Olivia Chen")
        page.evaluate("window.__sameDocument = true")

        path = reverse("messaging:twilio_inbound")
        diego = inbound_params(
            from_phone="+12025550134", to_phone=bay_number.phone_number, body="Is 3pm ok?"
        )
        assert post_signed(live_server, path, diego) == 200
        expect(rows.first).to_contain_text("Diego Santos", timeout=WAIT_MS)
        expect(rows.first.locator(".convo-preview")).to_have_text("Is 3pm ok?")
        unread = Message.objects.filter(
            from_phone="+12025550134", direction=Message.Direction.INBOUND, read_at=None
        ).count()
        assert unread >= 2
        expect(rows.first.locator(".count-pill")).to_have_text(f"{unread} unread")

        stranger = inbound_params(
            from_phone="+12025550177", to_phone=bay_number.phone_number, body="Saw your sign"
        )
        assert post_signed(live_server, path, stranger) == 200
        expect(rows.first.locator(".convo-preview")).to_have_text("Saw your sign", timeout=WAIT_MS)
        expect(rows.first).to_contain_text("Unknown")
        expect(rows.nth(1)).to_contain_text("Diego Santos")
        assert page.evaluate("window.__sameDocument") is True

    def test_screens_on_a_phone_sized_screen(self, live_server, browser):
        """The main screens fit a phone: no sideways scrolling, composer in reach."""
        agent, bay_number, _nora = build_office()
        olivia = agent.contacts.get(first_name="Olivia")
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        page = context.new_page()
        log_in(page, live_server, agent)

        screens = {
            "inbox-phone": reverse("messaging:inbox"),
            "conversation-phone": reverse("messaging:conversation", args=[olivia.pk])
            + f"?bay_number={bay_number.pk}",
            "contacts-phone": reverse("contacts:list"),
            "contact-phone": reverse("contacts:detail", args=[olivia.pk]),
            "number-phone": reverse("messaging:number_detail", args=[bay_number.pk]),
        }
        for name, path in screens.items():
            page.goto(live_server.url + path)
            shoot(page, name)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} scrolls sideways ({width}px)"

        page.goto(live_server.url + screens["conversation-phone"])
        composer = page.locator("[data-composer] textarea").bounding_box()
        assert composer["y"] + composer["height"] <= PHONE["height"]
        context.close()

    def test_templates_import_and_forms(self, live_server, browser):
        """Save a template and insert it merged; import the messy CSV; the
        forms and reports of the secondary screens, on both screen sizes."""
        from playwright.sync_api import expect

        agent, bay_number, _nora = build_office()
        olivia = agent.contacts.get(first_name="Olivia")
        page = browser.new_page(viewport=DESKTOP)
        page.goto(live_server.url + reverse("login"))
        shoot(page, "login-desktop")
        log_in(page, live_server, agent)

        page.get_by_role("link", name="Templates").click()
        page.get_by_label("Name").fill("Open house")
        page.get_by_label("Text").fill("Hi {first_name}, open house Sat 2-4pm. {agent_name}")
        page.get_by_role("button", name="Save template").click()
        expect(page.locator(".template-item h3")).to_have_text("Open house")
        shoot(page, "templates-desktop")

        page.goto(
            live_server.url
            + reverse("messaging:conversation", args=[olivia.pk])
            + f"?bay_number={bay_number.pk}"
        )
        page.get_by_label("Template").select_option(label="Open house")
        page.get_by_role("button", name="Insert").click()
        expect(page.get_by_label("Text to Olivia Chen")).to_have_value(
            "Hi Olivia, open house Sat 2-4pm. Alex Rivera"
        )
        expect(page.locator("[data-characters]")).to_have_text("44")

        page.goto(live_server.url + reverse("contacts:import"))
        page.locator("#id_file").set_input_files(MESSY_CSV)
        page.get_by_role("button", name="Import").click()
        expect(page.get_by_role("heading", name="Import finished")).to_be_visible()
        expect(page.locator("body")).to_contain_text("55501 is a short code, not a phone number.")
        shoot(page, "import-report-desktop")

        page.goto(live_server.url + reverse("contacts:create"))
        page.get_by_label("First name").fill("Hal")
        page.get_by_label("Mobile phone").fill("555-0101")
        page.get_by_role("button", name="Add contact").click()
        expect(page.locator(".field-error")).to_contain_text("is not a valid phone number")
        shoot(page, "contact-form-error-desktop")

        page.goto(live_server.url + reverse("contacts:detail", args=[olivia.pk]))
        shoot(page, "contact-desktop")
        page.goto(live_server.url + reverse("messaging:number_detail", args=[bay_number.pk]))
        shoot(page, "number-desktop")

        page.set_viewport_size(PHONE)
        for name, path in {
            "import-report-phone": None,
            "templates-phone": reverse("messaging:templates"),
            "contact-form-phone": reverse("contacts:create"),
        }.items():
            if path:
                page.goto(live_server.url + path)
            else:
                page.goto(live_server.url + reverse("contacts:import"))
                page.locator("#id_file").set_input_files(MESSY_CSV)
                page.get_by_role("button", name="Import").click()
            shoot(page, name)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{name} scrolls sideways ({width}px)"
