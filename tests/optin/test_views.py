"""The consent screens: scoped to the viewer, CSRF on every form."""

import csv
import datetime
import io
import types

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from optin import services
from optin.models import Consent, ConsentEvent, ConsentState, DoNotTextEntry, OptOutReview
from tests.factories import (
    AdminFactory,
    AgentFactory,
    BayNumberFactory,
    BrokerageFactory,
    ContactFactory,
    InboundMessageFactory,
)
from tests.optin.states import PHONE, opt_in, state_of


def make_world():
    """Two brokerages; in the first, two agents with a BAY Number each and an
    admin; a contact of the first agent with an open possible opt-out."""
    home, away = BrokerageFactory(name="Harbor Realty"), BrokerageFactory(name="Summit Homes")
    agent = AgentFactory(brokerage=home, first_name="Dana", last_name="Reyes")
    colleague = AgentFactory(brokerage=home)
    admin = AdminFactory(brokerage=home)
    bay_number = BayNumberFactory(agent=agent, phone_number="+12025550100")
    BayNumberFactory(agent=colleague, phone_number="+12025550101")
    stranger = AgentFactory(brokerage=away)
    BayNumberFactory(agent=stranger, phone_number="+12025550102")
    contact = ContactFactory(agent=agent, phone=PHONE, first_name="Pat", last_name="Lee")
    opt_in(bay_number)
    message = InboundMessageFactory(
        bay_number=bay_number, contact=contact, body="No problem, see you at 3"
    )
    services.consent_apply_reply(message=message)
    entry = services.do_not_text_add(brokerage=home, phone="+12025550150", actor=admin)
    return types.SimpleNamespace(
        agent=agent,
        colleague=colleague,
        admin=admin,
        stranger=stranger,
        away_admin=AdminFactory(brokerage=away),
        bay_number=bay_number,
        contact=contact,
        consent=Consent.objects.get(bay_number=bay_number, phone=PHONE),
        review=OptOutReview.objects.get(),
        entry=entry,
    )


@pytest.fixture
def world(db):
    return make_world()


def login(client, user):
    client.force_login(user)
    return client


# (name, method, kwargs of the URL, who sees it)
OBJECT_VIEWS = [
    ("optin:review_decide", "post", {"review_id": "review"}),
    ("optin:contact_consent", "get", {"contact_id": "contact"}),
    ("optin:record_optout", "get", {"contact_id": "contact"}),
    ("optin:proof", "get", {"consent_id": "consent"}),
    ("optin:proof_csv", "get", {"consent_id": "consent"}),
]
ADMIN_VIEWS = [
    ("optin:do_not_text", "get", {}),
    ("optin:do_not_text_edit", "get", {"entry_id": "entry"}),
    ("optin:do_not_text_remove", "post", {"entry_id": "entry"}),
    ("optin:export", "get", {}),
    ("optin:export_csv", "get", {}),
]


def url_for(world, name, kwargs):
    return reverse(name, kwargs={key: getattr(world, value).pk for key, value in kwargs.items()})


@pytest.mark.django_db
class ScopeTests:
    @pytest.mark.parametrize(("name", "method", "kwargs"), OBJECT_VIEWS + ADMIN_VIEWS)
    def test_anonymous_visitors_are_sent_to_log_in(self, world, client, name, method, kwargs):
        response = getattr(client, method)(url_for(world, name, kwargs))

        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    @pytest.mark.parametrize(("name", "method", "kwargs"), OBJECT_VIEWS)
    def test_the_owner_and_the_brokerage_admin_see_a_contacts_consent(
        self, world, client, name, method, kwargs
    ):
        for user in (world.agent, world.admin):
            response = getattr(login(client, user), method)(url_for(world, name, kwargs))
            assert response.status_code in (200, 302), user

    @pytest.mark.parametrize(("name", "method", "kwargs"), OBJECT_VIEWS)
    def test_another_agent_or_brokerage_gets_404(self, world, client, name, method, kwargs):
        for user in (world.colleague, world.stranger, world.away_admin):
            response = getattr(login(client, user), method)(url_for(world, name, kwargs))
            assert response.status_code == 404, user

        assert OptOutReview.objects.get().is_open

    @pytest.mark.parametrize(("name", "method", "kwargs"), ADMIN_VIEWS)
    def test_admin_pages_refuse_agents_with_403(self, world, client, name, method, kwargs):
        response = getattr(login(client, world.agent), method)(url_for(world, name, kwargs))

        assert response.status_code == 403
        assert DoNotTextEntry.objects.filter(removed_at__isnull=True).count() == 1

    @pytest.mark.parametrize(("name", "method", "kwargs"), [v for v in ADMIN_VIEWS if v[2]])
    def test_another_brokerages_admin_gets_404(self, world, client, name, method, kwargs):
        response = getattr(login(client, world.away_admin), method)(url_for(world, name, kwargs))

        assert response.status_code == 404

    def test_the_review_list_shows_only_the_viewers_reviews(self, world, client):
        for user, sees in [(world.agent, True), (world.admin, True), (world.colleague, False)]:
            page = login(client, user).get(reverse("optin:reviews"))
            assert page.status_code == 200
            assert (b"No problem, see you at 3" in page.content) is sees, user

    def test_the_do_not_text_list_shows_only_the_admins_brokerage(self, world, client):
        page = login(client, world.away_admin).get(reverse("optin:do_not_text"))

        assert page.status_code == 200
        assert b"555-0150" not in page.content


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def token(client, page_url) -> str:
    page = client.get(page_url)
    assert b"csrfmiddlewaretoken" in page.content
    return client.cookies["csrftoken"].value


@pytest.mark.django_db
class CsrfTests:
    def forms(self, world):
        """(page with the form, where it posts, data, who posts)."""
        contact_page = reverse("optin:record_optout", args=[world.contact.pk])
        dnt_page = reverse("optin:do_not_text")
        edit_page = reverse("optin:do_not_text_edit", args=[world.entry.pk])
        return [
            (
                reverse("optin:reviews"),
                reverse("optin:review_decide", args=[world.review.pk]),
                {"decision": "not_opt_out"},
                world.agent,
            ),
            (
                contact_page,
                contact_page,
                {"bay_number": world.bay_number.pk, "channel": "call", "note": "Asked"},
                world.agent,
            ),
            (dnt_page, dnt_page, {"phone": "+12025550160"}, world.admin),
            (edit_page, edit_page, {"note": "Litigator"}, world.admin),
            (
                dnt_page,
                reverse("optin:do_not_text_remove", args=[world.entry.pk]),
                {},
                world.admin,
            ),
        ]

    def test_every_form_refuses_a_post_without_the_token(self, world):
        for _page, action, data, user in self.forms(world):
            client = csrf_client(user)
            assert client.post(action, data).status_code == 403, action

        assert OptOutReview.objects.get().is_open
        assert state_of(world.bay_number) == ConsentState.OPTED_IN
        assert DoNotTextEntry.objects.count() == 1

    def test_every_form_works_with_the_token_from_its_page(self, world):
        for page, action, data, user in self.forms(world):
            client = csrf_client(user)
            data = {**data, "csrfmiddlewaretoken": token(client, page)}
            assert client.post(action, data).status_code == 302, action

        assert not OptOutReview.objects.get().is_open
        assert state_of(world.bay_number) == ConsentState.OPTED_OUT
        assert DoNotTextEntry.objects.filter(removed_at__isnull=True).count() == 1


@pytest.mark.django_db
class ReviewViewTests:
    def decide(self, client, world, **data):
        return client.post(reverse("optin:review_decide", args=[world.review.pk]), data)

    def test_the_list_shows_the_reply_the_contact_and_the_deadline(self, world, client):
        page = login(client, world.agent).get(reverse("optin:reviews")).content.decode()

        assert "Pat Lee" in page
        assert "No problem, see you at 3" in page
        assert "“no”" in page
        assert world.review.deadline.astimezone(datetime.UTC).strftime("%b %-d, %Y") in page

    def test_marking_it_an_opt_out(self, world, client):
        response = self.decide(login(client, world.agent), world, decision="opt_out", note="Yes")

        assert response.url == reverse("optin:reviews")
        assert state_of(world.bay_number) == ConsentState.OPTED_OUT
        event = ConsentEvent.objects.latest("id")
        assert (event.source, event.acting_user) == ("agent_action", world.agent)

    def test_marking_it_not_an_opt_out_by_an_admin(self, world, client):
        self.decide(login(client, world.admin), world, decision="not_opt_out")

        assert state_of(world.bay_number) == ConsentState.OPTED_IN
        event = ConsentEvent.objects.latest("id")
        assert (event.event_type, event.source) == ("review_dismissed", "admin_action")

    def test_a_second_decision_is_refused_in_words(self, world, client):
        login(client, world.agent)
        self.decide(client, world, decision="not_opt_out")

        self.decide(client, world, decision="opt_out")

        page = client.get(reverse("optin:reviews")).content.decode()
        assert "already decided" in page
        assert state_of(world.bay_number) == ConsentState.OPTED_IN

    def test_a_note_too_long_is_refused_saying_so(self, world, client):
        login(client, world.agent)
        self.decide(client, world, decision="opt_out", note="x" * 1001)

        page = client.get(reverse("optin:reviews")).content.decode()
        assert "The note is too long: at most 1,000 characters, this one has 1,001." in page
        assert "Choose whether the reply is an opt-out." not in page
        assert state_of(world.bay_number) == ConsentState.OPTED_IN

    def test_an_unknown_decision_changes_nothing(self, world, client):
        self.decide(login(client, world.agent), world, decision="maybe")

        assert OptOutReview.objects.get().is_open

    def test_next_goes_back_only_to_this_site(self, world, client):
        login(client, world.agent)
        inside = reverse("optin:contact_consent", args=[world.contact.pk])

        assert self.decide(client, world, decision="x", next=inside).url == inside
        outside = self.decide(client, world, decision="x", next="https://evil.example.net/")
        assert outside.url == reverse("optin:reviews")


@pytest.mark.django_db
class RecordOptoutViewTests:
    def url(self, world):
        return reverse("optin:record_optout", args=[world.contact.pk])

    def test_the_form_offers_the_contacts_bay_numbers(self, world, client):
        page = login(client, world.agent).get(self.url(world)).content.decode()

        assert "(202) 555-0100" in page
        assert "(202) 555-0101" not in page

    def test_recording_an_opt_out_given_by_e_mail(self, world, client, outbox):
        response = login(client, world.agent).post(
            self.url(world),
            {"bay_number": world.bay_number.pk, "channel": "email", "note": "E-mail of Mar 3"},
        )

        assert response.url == reverse("optin:contact_consent", args=[world.contact.pk])
        assert state_of(world.bay_number) == ConsentState.OPTED_OUT
        event = ConsentEvent.objects.latest("id")
        assert event.extra_data == {"channel": "email", "note": "E-mail of Mar 3"}
        assert outbox == []

    @pytest.mark.parametrize("field", ["note", "channel", "bay_number"])
    def test_a_missing_field_is_a_400_and_changes_nothing(self, world, client, field):
        data = {"bay_number": world.bay_number.pk, "channel": "call", "note": "Asked"}
        data.pop(field)

        response = login(client, world.agent).post(self.url(world), data)

        assert response.status_code == 400
        assert state_of(world.bay_number) == ConsentState.OPTED_IN

    def test_another_agents_bay_number_is_not_a_choice(self, world, client):
        other = BayNumberFactory(agent=world.colleague, phone_number="+12025550103")

        response = login(client, world.agent).post(
            self.url(world), {"bay_number": other.pk, "channel": "call", "note": "Asked"}
        )

        assert response.status_code == 400
        assert not Consent.objects.filter(bay_number=other).exists()


@pytest.mark.django_db
class ContactConsentViewTests:
    def test_the_page_shows_state_history_requests_and_proof(self, world, client):
        services.consent_request_optin(
            bay_number=world.bay_number,
            contact=ContactFactory(agent=world.agent, phone="+12025550143"),
            actor=world.agent,
        )

        page = login(client, world.agent).get(
            reverse("optin:contact_consent", args=[world.contact.pk])
        )

        text = page.content.decode()
        assert page.status_code == 200
        assert "Opted in" in text
        assert "Keyword texted by the contact" in text
        assert "No opt-in request sent yet." in text
        assert reverse("optin:proof", args=[world.consent.pk]) in text
        assert reverse("optin:record_optout", args=[world.contact.pk]) in text
        assert "Possible opt-out: “No problem, see you at 3”" in text

    def test_the_page_shows_the_last_request_and_the_reply(self, world, client):
        contact = ContactFactory(agent=world.agent, phone="+12025550143")
        services.consent_request_optin(
            bay_number=world.bay_number, contact=contact, actor=world.agent
        )
        reply = InboundMessageFactory(
            bay_number=world.bay_number, from_phone=contact.phone, body="Yes!"
        )
        services.consent_apply_reply(message=reply)

        text = (
            login(client, world.agent)
            .get(reverse("optin:contact_consent", args=[contact.pk]))
            .content.decode()
        )

        assert "Opt-in request 1 of 2" in text
        assert "Yes!" in text
        assert "Opted in" in text


@pytest.mark.django_db
class ProofViewTests:
    def test_the_page_shows_every_row_and_every_text_exactly(self, world, client):
        page = login(client, world.admin).get(reverse("optin:proof", args=[world.consent.pk]))

        text = page.content.decode()
        assert "Consent: Opted in" in text
        assert "No problem, see you at 3" in text
        assert "Text received" in text
        assert text.count('<tr class="proof-') == 3  # YES, the flagged reply, the row

    def test_the_csv_has_one_line_per_row_and_text(self, world, client):
        InboundMessageFactory(bay_number=world.bay_number, body='=HYPERLINK("x")')

        response = login(client, world.agent).get(
            reverse("optin:proof_csv", args=[world.consent.pk])
        )

        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert rows[0][:3] == ["time_utc", "record", "id"]
        assert [row[1] for row in rows[1:]] == [
            "text received",
            "ledger",
            "text received",
            "text received",
        ]
        assert rows[2][9] == "YES"
        assert rows[4][9] == '\'=HYPERLINK("x")'


@pytest.mark.django_db
class DoNotTextViewTests:
    def test_an_admin_adds_edits_and_removes_a_phone(self, world, client):
        login(client, world.admin)

        added = client.post(reverse("optin:do_not_text"), {"phone": "(202) 555-0161", "note": "x"})
        entry = DoNotTextEntry.objects.get(phone="+12025550161")
        client.post(reverse("optin:do_not_text_edit", args=[entry.pk]), {"note": "Lawyer"})
        page = client.get(reverse("optin:do_not_text")).content.decode()
        client.post(reverse("optin:do_not_text_remove", args=[entry.pk]))

        assert added.url == reverse("optin:do_not_text")
        assert "(202) 555-0161" in page and "Lawyer" in page
        entry.refresh_from_db()
        assert (entry.note, entry.removed_by) == ("Lawyer", world.admin)

    @pytest.mark.parametrize(("phone", "error"), [("+12025550150", "already"), ("abc", "not")])
    def test_a_duplicate_or_bad_phone_is_a_400_with_the_reason(self, world, client, phone, error):
        response = login(client, world.admin).post(reverse("optin:do_not_text"), {"phone": phone})

        assert response.status_code == 400
        assert error in response.content.decode()
        assert DoNotTextEntry.objects.count() == 1

    def test_a_note_too_long_is_a_400(self, world, client):
        url = reverse("optin:do_not_text_edit", args=[world.entry.pk])

        response = login(client, world.admin).post(url, {"note": "x" * 301})

        assert response.status_code == 400
        world.entry.refresh_from_db()
        assert world.entry.note == ""

    def test_a_removed_entry_can_no_longer_be_edited(self, world, client):
        login(client, world.admin)
        client.post(reverse("optin:do_not_text_remove", args=[world.entry.pk]))

        response = client.get(reverse("optin:do_not_text_edit", args=[world.entry.pk]))

        assert response.status_code == 404


def bulk_ledger(consent, count: int, first: datetime.datetime) -> list[int]:
    """Insert `count` ledger rows, one a minute from `first` (tests only)."""
    rows = [
        ConsentEvent(
            consent=consent,
            bay_number_id=consent.bay_number_id,
            phone=consent.phone,
            occurred_at=first + datetime.timedelta(minutes=n),
            event_type=ConsentEvent.EventType.OPTED_IN,
            old_state=ConsentState.PENDING,
            new_state=ConsentState.OPTED_IN,
            source=ConsentEvent.Source.INBOUND_KEYWORD,
            keyword="yes",
            raw_text=f'Yes #{n}, "quoted", with a comma\nand a new line',
        )
        for n in range(count)
    ]
    return [row.pk for row in ConsentEvent.objects.bulk_create(rows, batch_size=2000)]


@pytest.mark.django_db
class LedgerExportTests:
    def export(self, client, start, end):
        return client.get(reverse("optin:export_csv"), {"start": start, "end": end})

    def rows(self, response):
        text = b"".join(response.streaming_content).decode()
        return list(csv.DictReader(io.StringIO(text)))

    def test_ten_thousand_rows_all_arrive(self, world, client, django_assert_max_num_queries):
        first = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
        ids = bulk_ledger(world.consent, 10_000, first)
        login(client, world.admin)

        response = self.export(client, "2026-01-01", "2026-01-07")
        with django_assert_max_num_queries(12):
            rows = self.rows(response)

        assert response.streaming
        assert response["Content-Disposition"] == (
            'attachment; filename="consent-ledger-2026-01-01-to-2026-01-07.csv"'
        )
        assert len(rows) == 10_000
        assert [int(row["event_id"]) for row in rows] == ids
        assert rows[9_999]["raw_text"] == 'Yes #9999, "quoted", with a comma\nand a new line'
        assert rows[0]["occurred_at_utc"] == "2026-01-01T00:00:00+00:00"
        assert rows[0]["phone"] == PHONE and rows[0]["bay_number"] == "+12025550100"

    def test_the_range_is_whole_days_both_included(self, world, client):
        first = datetime.datetime(2026, 2, 1, 23, 0, tzinfo=datetime.UTC)
        ids = bulk_ledger(world.consent, 180, first)  # Feb 1 23:00 to Feb 2 01:59

        rows = self.rows(self.export(login(client, world.admin), "2026-02-02", "2026-02-02"))

        assert [int(row["event_id"]) for row in rows] == ids[60:]

    def test_a_persons_action_names_them_and_keeps_the_note(self, world, client):
        services.consent_record_optout(
            bay_number=world.bay_number,
            phone=PHONE,
            actor=world.agent,
            channel="call",
            note="=Called, asked to stop",
        )
        today = timezone.now().date().isoformat()

        rows = self.rows(self.export(login(client, world.admin), today, today))

        row = rows[-1]
        assert (row["event_type"], row["source"]) == ("opted_out", "agent_action")
        assert (row["acting_user_id"], row["acting_user"]) == (str(world.agent.pk), "Dana Reyes")
        assert row["note"] == "'=Called, asked to stop"
        assert '"channel": "call"' in row["extra_data"]

    def test_another_brokerages_rows_are_not_exported(self, world, client):
        bulk_ledger(world.consent, 5, datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))

        rows = self.rows(self.export(login(client, world.away_admin), "2026-01-01", "2026-12-31"))

        assert rows == []

    @pytest.mark.parametrize(("start", "end"), [("2026-02-02", "2026-02-01"), ("x", "2026-02-01")])
    def test_bad_dates_are_a_400_with_the_form(self, world, client, start, end):
        response = self.export(login(client, world.admin), start, end)

        assert response.status_code == 400
        assert b"Export consent records" in response.content

    def test_an_end_date_at_the_end_of_the_calendar_exports_everything(self, world, client):
        bulk_ledger(world.consent, 3, datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC))

        response = self.export(login(client, world.admin), "2026-01-01", "9999-12-31")

        assert response.status_code == 200
        assert len(self.rows(response)) >= 3

    def test_the_export_page_offers_the_last_30_days(self, world, client):
        page = login(client, world.admin).get(reverse("optin:export")).content.decode()

        assert timezone.localdate().isoformat() in page
