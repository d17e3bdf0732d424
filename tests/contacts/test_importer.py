import codecs
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from contacts.importer import MAX_ROWS, parse_contacts_csv
from contacts.models import Contact
from contacts.services import contacts_import
from tests.factories import AgentFactory, BayNumberFactory, ContactFactory

MESSY = (Path(__file__).parent / "data" / "messy_phones.csv").read_bytes()

# Spreadsheet row -> the E.164 phone stored, for every row that is taken.
TAKEN = {
    2: "+13305550107",
    3: "+17035550118",
    4: "+16505550109",
    5: "+12025550143",
    6: "+12025550144",
    7: "+12025550145",
    8: "+12025550146",
    9: "+12025550147",
    10: "+12025550148",
    11: "+12025550154",
    12: "+12025550152",
    13: "+12025550153",
    14: "+12025550150",
    15: "+12025550151",
    16: "+12025550158",
    23: "+12025550149",
    27: "+12025550157",
    29: "+12025550159",
}
# Spreadsheet row -> the start of the reason it was not taken.
SKIPPED = {
    17: "+44 20 7946 0958 is a landline, which cannot receive texts.",
    18: "'555-0101' is not a valid phone number.",
    19: "55501 is a short code, not a phone number.",
    20: "No phone number.",
    21: "'n/a' is not a phone number.",
    22: "2.02555E+09 lost its digits in a spreadsheet.",
    24: "Same number as row 23.",
    25: "Already in your contacts, as Pat Owner.",
    26: "No name.",
}
WARNED = {
    9: "Extension 12 dropped: texts cannot reach an extension.",
    10: "Extension 3 dropped: texts cannot reach an extension.",
    27: "E-mail 'not-an-email' is not valid; left out.",
}


@pytest.fixture
def agent(db):
    agent = AgentFactory()
    ContactFactory(agent=agent, first_name="Pat", last_name="Owner", phone="+12025550142")
    return agent


class ContactsImportTests:
    def test_messy_phones_are_normalised_and_each_refusal_says_why(self, agent):
        report = contacts_import(agent=agent, data=MESSY)

        stored = dict(agent.contacts.exclude(first_name="Pat").values_list("phone", "first_name"))
        assert sorted(stored) == sorted(TAKEN.values())
        assert report.created == len(TAKEN)
        assert report.rows == 27
        assert {p.row: p.reason[: len(SKIPPED[p.row])] for p in report.skipped} == SKIPPED
        assert {p.row: p.reason for p in report.warnings} == WARNED

    def test_fc13_ten_digit_numbers_keep_every_digit(self, agent):
        contacts_import(agent=agent, data=MESSY)

        for name, phone in [
            ("Ava", "+13305550107"),
            ("Ben", "+17035550118"),
            ("Cara", "+16505550109"),
        ]:
            contact = agent.contacts.get(first_name=name)
            assert contact.phone == phone
            assert len(contact.phone) == 12

    def test_reports_the_phone_as_written(self, agent):
        report = contacts_import(agent=agent, data=MESSY)

        shortcode = next(p for p in report.skipped if p.row == 19)
        assert (shortcode.name, shortcode.phone) == ("Rae Vance", "55501")

    def test_reads_names_kind_and_email(self, agent):
        contacts_import(agent=agent, data=MESSY)

        zed = agent.contacts.get(phone="+12025550159")
        assert (zed.first_name, zed.last_name, zed.email) == ("Zed", "Quill", "zed@example.com")
        assert zed.kind == Contact.Kind.LEAD
        assert agent.contacts.get(first_name="Ben").kind == Contact.Kind.CONTACT

    def test_a_bay_numbers_row_is_skipped_saying_why(self, agent):
        BayNumberFactory(phone_number="+12025550159")

        report = contacts_import(agent=agent, data=MESSY)

        assert not agent.contacts.filter(phone="+12025550159").exists()
        assert report.created == len(TAKEN) - 1
        skipped = {p.phone: p.reason for p in report.skipped}
        assert "This is a BAY Number, which texts your contacts" in " ".join(skipped.values())

    def test_importing_the_same_file_again_adds_nothing(self, agent):
        contacts_import(agent=agent, data=MESSY)

        again = contacts_import(agent=agent, data=MESSY)

        assert again.created == 0
        assert again.warnings == []
        assert agent.contacts.count() == len(TAKEN) + 1
        assert (
            sum(p.reason.startswith("Already in your contacts") for p in again.skipped)
            == len(TAKEN) + 1
        )

    def test_another_agents_phones_do_not_count_as_duplicates(self, agent):
        other = AgentFactory()

        contacts_import(agent=other, data=MESSY)

        assert other.contacts.filter(phone="+12025550142").exists()

    def test_semicolons_windows_1252_and_a_single_name_column(self, agent):
        data = "Name;Cell\r\nJosé Álvarez;(202) 555-0171\r\nMadonna;202-555-0172\r\n".encode(
            "cp1252"
        )

        report = contacts_import(agent=agent, data=data)

        assert report.created == 2
        jose = agent.contacts.get(phone="+12025550171")
        assert (jose.first_name, jose.last_name) == ("José", "Álvarez")
        assert agent.contacts.get(phone="+12025550172").first_name == "Madonna"

    @pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
    def test_utf16_unicode_text_with_tabs(self, agent, encoding):
        text = "First Name\tLast Name\tMobile\r\nZoë\tNguyễn\t(202) 555-0173\r\n"
        data = text.encode(encoding)
        if encoding == "utf-16-be":
            data = codecs.BOM_UTF16_BE + data

        report = contacts_import(agent=agent, data=data)

        assert (report.created, report.skipped) == (1, [])
        zoe = agent.contacts.get(phone="+12025550173")
        assert (zoe.first_name, zoe.last_name) == ("Zoë", "Nguyễn")

    def test_a_type_neither_contact_nor_lead_is_taken_as_a_contact_with_a_warning(self, agent):
        data = b"Name,Phone,Type\r\nVic Vendor,2025550174,Vendor\r\nLee Lead,2025550175, LEAD\r\n"

        report = contacts_import(agent=agent, data=data)

        assert report.created == 2
        assert [(w.row, w.reason) for w in report.warnings] == [
            (2, "Type 'Vendor' is neither Contact nor Lead; added as a contact.")
        ]
        assert agent.contacts.get(phone="+12025550174").kind == Contact.Kind.CONTACT
        assert agent.contacts.get(phone="+12025550175").kind == Contact.Kind.LEAD

    def test_a_single_name_column_may_put_the_family_name_first(self, agent):
        data = (
            'Name,Phone,Type\r\n"Doe, Jane",2025550176,\uff2c\uff25\uff21\uff24\r\n'
            "Ann Lee,2025550177,\r\n"
        ).encode()

        report = contacts_import(agent=agent, data=data)

        assert (report.created, report.warnings) == (2, [])
        jane = agent.contacts.get(phone="+12025550176")
        assert (jane.first_name, jane.last_name, jane.kind) == ("Jane", "Doe", Contact.Kind.LEAD)
        ann = agent.contacts.get(phone="+12025550177")
        assert (ann.first_name, ann.last_name) == ("Ann", "Lee")


class ParseContactsCsvTests:
    def test_a_file_without_a_phone_column_is_refused(self):
        with pytest.raises(ValidationError, match="no phone column"):
            parse_contacts_csv(b"First name,Last name\r\nAva,Parker\r\n")

    def test_a_file_without_a_name_column_is_refused(self):
        with pytest.raises(ValidationError, match="no name column"):
            parse_contacts_csv(b"Phone\r\n2025550101\r\n")

    def test_an_empty_file_is_refused(self):
        with pytest.raises(ValidationError, match="empty"):
            parse_contacts_csv(b"")

    def test_a_spreadsheet_file_is_refused_with_what_to_do(self):
        xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00" + bytes(range(256))

        with pytest.raises(ValidationError, match="not a CSV file. In your spreadsheet"):
            parse_contacts_csv(xlsx)

    def test_a_broken_utf16_file_is_refused_with_what_to_do(self):
        data = codecs.BOM_UTF16_LE + "Name,Phone\r\n".encode("utf-16-le") + b"\x00\xdc"

        with pytest.raises(ValidationError, match="starts as UTF-16 text but is not"):
            parse_contacts_csv(data)

    def test_a_field_too_long_for_csv_is_refused(self):
        data = b'Name,Phone\r\n"' + b"a" * 200_000 + b'",2025550101\r\n'

        with pytest.raises(ValidationError, match="could not be read as CSV"):
            parse_contacts_csv(data)

    def test_too_many_rows_is_refused(self):
        rows = "".join(f"C{n},2025550101\r\n" for n in range(MAX_ROWS + 1))

        with pytest.raises(ValidationError, match="more than 10,000"):
            parse_contacts_csv(("Name,Phone\r\n" + rows).encode())

    @pytest.mark.parametrize(
        ("data", "line"),
        [
            # Never closed: the rest of the file becomes Ben's name.
            (
                b'Name,Phone\r\nAva Parker,2025550101\r\n"Ben Ortiz,2025550102\r\n'
                b"Cy Young,2025550103\r\nDi Lee,2025550104\r\n",
                3,
            ),
            # Closed by a later quote: Ann and Bea would be swallowed.
            (
                b'Name,Phone\n"Ann,+12025550111\nBea,+12025550112\n"Cat,+12025550113\n'
                b"Dot,+12025550114\n",
                2,
            ),
            # An inch mark, then a quote left open in the notes: Cy and Di would
            # become Al's notes.
            (
                b"Name,Phone,Notes\nBob,+12025550196,x\n"
                b'Al 6\'2",+12025550197,"call after 5\nCy,+12025550198,x\nDi,+12025550199,x\n',
                3,
            ),
        ],
    )
    def test_a_quote_left_open_is_refused_with_its_line(self, data, line):
        with pytest.raises(
            ValidationError, match=rf"Line {line}: a quote mark \(\"\) opens a cell"
        ):
            parse_contacts_csv(data)

    @pytest.mark.parametrize(
        "rows",
        [
            [
                b'Ava Parker,2025550101,"Prefers texts\r\nafter 5"',
                b"Ben Ortiz,2025550102,6'2\" tall",
            ],
            [
                b"Ben Ortiz,2025550102,6'2\" tall",
                b'Ava Parker,2025550101,"Prefers texts\r\nafter 5"',
            ],
            [b"Bob,2025550102,x", b'Al 6\'2",2025550101,"1 Main\nSt"'],
            [b"Bob,2025550102,x", b'Al,2025550101,"Call me at\n+1 202 555 0100"'],
        ],
    )
    def test_a_quoted_cell_with_a_line_break_and_a_stray_inch_mark_are_kept(self, rows):
        data = b"Name,Phone,Notes\r\n" + b"\r\n".join(rows) + b"\r\n"

        parsed = parse_contacts_csv(data)

        assert sorted(draft.phone for draft in parsed.drafts) == ["+12025550101", "+12025550102"]
        assert parsed.problems == []
