"""Phone numbers: parse what people type into E.164, the one form stored.

Parsing goes through `phonenumbers` with the US as the default region, so a
10-digit number keeps every digit (FC-13), an extension is dropped with a
warning rather than glued onto the number (FC-15), and anything that is not a
valid number is refused with a reason.
"""

import dataclasses
import functools
import logging
import re

import phonenumbers

logger = logging.getLogger(__name__)

DEFAULT_REGION = "US"
# Twilio short codes are 5 or 6 digits; they are sender IDs, not phones.
_SHORT_CODE = re.compile(r"^\d{5,6}$")


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number that can be texted."""


# Kinds of number no text reaches, and how to name each to the person who
# typed it. (US numbers are "fixed line or mobile"; a known landline is
# another country's.)
_NOT_TEXTABLE = {
    phonenumbers.PhoneNumberType.PREMIUM_RATE: "a premium-rate number",
    phonenumbers.PhoneNumberType.SHARED_COST: "a shared-cost number",
    phonenumbers.PhoneNumberType.TOLL_FREE: "a toll-free number",
    phonenumbers.PhoneNumberType.UAN: "a company's main number",
    phonenumbers.PhoneNumberType.VOICEMAIL: "a voicemail number",
    phonenumbers.PhoneNumberType.PAGER: "a pager",
    phonenumbers.PhoneNumberType.FIXED_LINE: "a landline",
}


@dataclasses.dataclass(frozen=True)
class ParsedPhone:
    e164: str
    extension: str = ""
    number_type: int = phonenumbers.PhoneNumberType.UNKNOWN
    # The country the number belongs to ("US"), or "" when none says.
    region: str = ""

    @property
    def had_extension(self) -> bool:
        return bool(self.extension)


def parse_phone(raw: str | None, region: str = DEFAULT_REGION) -> ParsedPhone:
    """Parse a typed number into E.164, or raise InvalidPhoneNumber saying why."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("The phone number is empty.")
    if _SHORT_CODE.match(text):
        raise InvalidPhoneNumber(f"{text} is a short code, not a phone number.")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number.") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber(f"{text!r} is not a valid phone number.")

    extension = number.extension or ""
    number.extension = None
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if extension:
        logger.warning("Dropped an extension from a phone number; texts cannot reach one")
    return ParsedPhone(
        e164=e164,
        extension=extension,
        number_type=phonenumbers.number_type(number),
        region=phonenumbers.region_code_for_number(number) or "",
    )


def parse_contact_phone(raw: str | None) -> ParsedPhone:
    """Parse a contact's phone: as `parse_phone`, and refuse a number no text
    reaches (premium-rate, toll-free, a landline abroad...), saying which."""
    parsed = parse_phone(raw)
    kind = _NOT_TEXTABLE.get(parsed.number_type)
    if kind:
        raise InvalidPhoneNumber(
            f"{display_phone(parsed.e164)} is {kind}, which cannot receive texts. "
            "Use the contact's mobile number."
        )
    return parsed


def normalize_phone(raw: str | None, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of a typed number, or raise InvalidPhoneNumber."""
    return parse_phone(raw, region).e164


def e164_or_none(raw: str | None) -> str | None:
    """Return the E.164 form of a sender or recipient, or None for a short code
    or any other sender ID that is not a phone number."""
    if raw is not None and len(raw) <= _CACHED_LENGTH:
        return _e164_or_none_cached(raw)
    return _e164_or_none(raw)


# Every webhook parses its To and From, and the same few numbers come back
# again and again; parsing is a pure function of the text, so short texts
# keep their answer.
_CACHED_LENGTH = 40


def _e164_or_none(raw: str | None) -> str | None:
    try:
        return normalize_phone(raw)
    except InvalidPhoneNumber:
        return None


_e164_or_none_cached = functools.lru_cache(maxsize=4096)(_e164_or_none)


def mask_phone(e164: str | None) -> str:
    """Return a number with all but its last two digits hidden, for logs and
    screens that must not show whole numbers."""
    if not e164:
        return "-"
    return "•" * max(len(e164) - 2, 0) + e164[-2:]


def area_code(e164: str) -> str | None:
    """Return the 3-digit area code of a North American number, else None."""
    if e164.startswith("+1") and len(e164) == 12:
        return e164[2:5]
    return None


def display_phone(e164: str) -> str:
    """Return a number formatted the way people read it, e.g. (202) 555-0142."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if number.country_code == 1:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
