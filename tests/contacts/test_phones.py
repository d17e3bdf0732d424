"""Phone numbers: FC-13 (no digit dropped), FC-15 (extensions, matching)."""

import logging

import pytest

from contacts.models import Contact
from contacts.phones import (
    InvalidPhoneNumber,
    area_code,
    display_phone,
    e164_or_none,
    mask_phone,
    normalize_phone,
    parse_contact_phone,
    parse_phone,
)
from optin.models import Consent, ConsentState


class NormalizePhoneTests:
    @pytest.mark.parametrize(
        ("typed", "e164"),
        [
            ("(330) 555-0107", "+13305550107"),
            ("(703) 555-0118", "+17035550118"),
            ("650-555-0109", "+16505550109"),
            ("202.555.0143", "+12025550143"),
            ("1 202 555 0143", "+12025550143"),
            ("+1 (202) 555-0143", "+12025550143"),
            ("2025550143", "+12025550143"),
            ("  +12025550143  ", "+12025550143"),
            ("+44 20 7946 0958", "+442079460958"),
        ],
    )
    def test_typed_numbers_become_e164_with_every_digit(self, typed, e164):
        assert normalize_phone(typed) == e164

    @pytest.mark.parametrize("typed", ["(330) 555-0107", "(703) 555-0118", "650-555-0109"])
    def test_us_numbers_are_always_twelve_characters(self, typed):
        assert len(normalize_phone(typed)) == 12

    @pytest.mark.parametrize("typed", ["", None, "   ", "hello", "555", "55501", "123456"])
    def test_what_is_not_a_phone_is_refused_with_a_reason(self, typed):
        with pytest.raises(InvalidPhoneNumber) as raised:
            normalize_phone(typed)
        assert str(raised.value)

    def test_extension_is_dropped_with_a_warning_not_appended(self, caplog):
        with caplog.at_level(logging.WARNING, logger="contacts.phones"):
            parsed = parse_phone("202.555.0143 ext. 12")

        assert parsed.e164 == "+12025550143"
        assert parsed.extension == "12"
        assert parsed.had_extension
        assert "extension" in caplog.text
        assert "0143" not in caplog.text

    def test_sender_ids_that_are_not_phones_give_none(self):
        assert e164_or_none("55501") is None
        assert e164_or_none("+12025550143") == "+12025550143"

    def test_helpers_for_display_and_logs(self):
        assert mask_phone("+12025550143") == "••••••••••43"
        assert mask_phone("") == "-"
        assert area_code("+12025550143") == "202"
        assert area_code("+442079460958") is None
        assert display_phone("+12025550143") == "(202) 555-0143"
        assert display_phone("+442079460958") == "+44 20 7946 0958"


@pytest.mark.django_db
class ContactPhoneTests:
    @pytest.mark.parametrize(
        ("typed", "kind"),
        [
            ("+1 (900) 555-0176", "a premium-rate number"),
            ("1-800-555-0199", "a toll-free number"),
            ("(888) 555-0100", "a toll-free number"),
            ("+44 20 7946 0958", "a landline"),
        ],
    )
    def test_a_number_no_text_reaches_is_refused_saying_what_it_is(self, typed, kind):
        with pytest.raises(InvalidPhoneNumber) as caught:
            parse_contact_phone(typed)

        assert f"is {kind}, which cannot receive texts" in str(caught.value)

    @pytest.mark.parametrize(
        ("typed", "e164"),
        [
            ("(202) 555-0142", "+12025550142"),
            ("+44 7911 123456", "+447911123456"),
            ("+33 6 12 34 56 78", "+33612345678"),
        ],
    )
    def test_us_numbers_and_mobiles_abroad_are_taken(self, typed, e164):
        assert parse_contact_phone(typed).e164 == e164

    def test_a_business_phone_elsewhere_may_still_be_toll_free(self):
        assert normalize_phone("1-800-555-0199") == "+18005550199"


class InboundMatchingTests:
    """FC-15: a contact saved with an extension still matches the inbound STOP."""

    def test_stop_matches_the_existing_contact_without_creating_another(
        self, twilio, agent, bay_number
    ):
        contact = Contact.objects.create(
            agent=agent, first_name="Sam", phone=normalize_phone("202.555.0143 ext. 12")
        )

        twilio.inbound(From="+12025550143", Body="STOP")

        assert list(agent.contacts.all()) == [contact]
        consent = Consent.objects.get(bay_number=bay_number, phone="+12025550143")
        assert consent.state == ConsentState.OPTED_OUT

    def test_an_unknown_sender_becomes_one_lead(self, twilio, agent, bay_number):
        twilio.inbound(From="+12025550150", Body="Is the house on Elm still for sale?")
        twilio.inbound(MessageSid="SM_IN_02", From="+12025550150", Body="Thanks")

        leads = agent.contacts.filter(phone="+12025550150")
        assert leads.count() == 1
        assert leads.get().kind == Contact.Kind.LEAD
