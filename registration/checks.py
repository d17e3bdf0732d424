"""The checks a registration must pass before it goes to Twilio.

Most rejections by carriers come from avoidable mistakes: a legal name or EIN
that differs from the IRS letter, samples that do not name the business, a
message flow that does not say how people opt in, confirmations without
"Msg & data rates may apply". Each rule here catches one such mistake and
says, in plain words, what to change and why. Drafts are saved without these
checks; submission requires all of them to pass.
"""

import dataclasses
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from contacts.phones import InvalidPhoneNumber, normalize_phone
from optin import texts
from registration.models import Brand, Campaign, keyword_list

DESCRIPTION_LENGTH = (40, 4096)
MESSAGE_FLOW_LENGTH = (40, 2048)
SAMPLE_LENGTH = (20, 1024)
SAMPLE_COUNT = (2, 5)

_EIN = re.compile(r"^\d{2}-\d{7}$")
_ZIP = re.compile(r"^\d{5}(-\d{4})?$")
_RATES = re.compile(r"\b(msg|message)\s*(&|and)\s*data\s+rates\s+may\s+apply\b", re.I)
_FREQUENCY = re.compile(
    r"\bfrequency\b|\bfreq\b|\brecurring\b"
    r"|\b\d+\s*(msgs?|messages?|texts?)\s*(/|per|a|each)\s*(day|week|month)\b",
    re.I,
)
_OPT_IN_METHOD = re.compile(
    r"\bopt(s|ed|ing)?[\s-]?in\b|\bconsent|\bagree|\bsign(s|ed|ing)?[\s-]?up\b"
    r"|\bsubscrib|\brepl(y|ies|ying)\s+[\"']?yes\b|\btext(s|ing)?\s+[\"']?(start|yes)\b"
    r"|\bcheck(s|ing)?\s+(a|the)\s+box\b",
    re.I,
)
# Corporate suffixes people leave out when they name the business in a text.
_SUFFIX = re.compile(r"[\s,]+(llc|l\.l\.c\.|inc\.?|corp\.?|corporation|co\.|ltd\.?)$", re.I)


@dataclasses.dataclass(frozen=True)
class Problem:
    """One reason the registration cannot be submitted yet."""

    field: str
    message: str


# The two-digit prefixes the IRS assigns EINs from; no EIN starts otherwise.
_EIN_PREFIXES = {
    f"{n:02d}"
    for first, last in ((1, 6), (10, 16), (20, 27), (30, 48), (50, 68), (71, 77), (80, 88))
    + ((90, 95), (98, 99))
    for n in range(first, last + 1)
}
# The states, DC and the territories carriers accept as a US address.
_STATE_CODES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC PR GU VI AS MP"
)
US_STATES = frozenset(_STATE_CODES.split())


def ein_problem(ein: str) -> str | None:
    """The EIN must be written as on the IRS letter, NN-NNNNNNN, and start
    with a prefix the IRS uses."""
    ein = (ein or "").strip()
    if not _EIN.match(ein):
        return (
            "Write the EIN as on the IRS letter: two digits, a dash, seven digits "
            "(12-3456789). Carriers match it against the IRS record."
        )
    if ein[:2] not in _EIN_PREFIXES:
        return f"No EIN starts with {ein[:2]}. Copy it again from the IRS letter."
    return None


def https_url_problem(value: str, what: str) -> str | None:
    """The value must be a complete https:// address of a web page."""
    text = (value or "").strip()
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme == "https" and "." in host and " " not in text:
        return None
    return (
        f"The {what} must be a full web address starting with https:// "
        "(for example https://www.bayviewrealty.com). Reviewers open it, and they "
        "reject addresses that are not secure or do not load."
    )


def length_problem(text: str, bounds: tuple[int, int], what: str) -> str | None:
    """The text must be within Twilio's length limits for the field."""
    low, high = bounds
    length = len((text or "").strip())
    if low <= length <= high:
        return None
    return f"The {what} must be {low:,} to {high:,} characters long; it has {length:,}."


def brand_name_variants(names: list[str]) -> list[str]:
    """Every name the brand may go by, with and without "LLC", "Inc." and the like."""
    variants = []
    for name in names:
        name = name.strip()
        variants += [name, _SUFFIX.sub("", name).strip()]
    return [variant.lower() for variant in dict.fromkeys(variants) if variant]


def names_brand(text: str, names: list[str]) -> bool:
    """Whether the text names the business, so recipients know who is texting."""
    lowered = (text or "").lower()
    return any(variant in lowered for variant in brand_name_variants(names))


def disclosure_problems(text: str, names: list[str], *, needs_stop: bool = True) -> list[str]:
    """What an opt-in text lacks of the disclosures carriers require: the
    brand, the message frequency, "Msg & data rates may apply", HELP and STOP."""
    missing = []
    if not names_brand(text, names):
        missing.append("the business name")
    if not _FREQUENCY.search(text or ""):
        missing.append('the message frequency (e.g. "Msg frequency varies")')
    if not _RATES.search(text or ""):
        missing.append('"Msg & data rates may apply"')
    if not re.search(r"\bhelp\b", text or "", re.I):
        missing.append("how to get help (HELP)")
    if needs_stop and not re.search(r"\bstop\b", text or "", re.I):
        missing.append("how to opt out (STOP)")
    return missing


def message_flow_problem(flow: str) -> str | None:
    """The message flow must say how contacts opt in."""
    if _OPT_IN_METHOD.search(flow or ""):
        return None
    return (
        'Say how contacts opt in and where: for example, "Contacts opt in by replying '
        'YES to an opt-in request the agent sends after meeting them" or "by checking '
        'a box on the contact form at https://...". Campaigns without it are rejected.'
    )


def sample_problems(samples: list[str], names: list[str]) -> list[str]:
    """Two to five samples, each 20-1,024 characters and naming the brand."""
    low, high = SAMPLE_COUNT
    if not low <= len(samples) <= high:
        return [f"Give {low} to {high} sample messages; there are {len(samples)}."]
    problems = []
    for number, sample in enumerate(samples, start=1):
        problem = length_problem(sample, SAMPLE_LENGTH, f"sample message {number}")
        if problem:
            problems.append(problem)
        if not names_brand(sample, names):
            problems.append(
                f"Sample message {number} must name the business (e.g. "
                f'"{names[0] if names else "Bayview Realty"}"): carriers reject '
                "samples that do not say who is texting."
            )
    return problems


def keyword_problem(text: str, required: str, why: str) -> str | None:
    """The comma-separated keywords must include `required`."""
    if required in keyword_list(text):
        return None
    return f"The keywords must include {required}: {why}"


def _required(obj, fields: dict[str, str]) -> list[Problem]:
    return [
        Problem(field, f"Fill in {what}.")
        for field, what in fields.items()
        if not str(getattr(obj, field) or "").strip()
    ]


def _problem(field: str, message: str | None) -> list[Problem]:
    return [Problem(field, message)] if message else []


_BRAND_REQUIRED = {
    "legal_name": "the legal name, exactly as on the IRS EIN letter",
    "business_type": "the business type",
    "company_type": "the company type",
    "industry": "the industry",
    "street": "the street address",
    "city": "the city",
    "state": "the state",
    "postal_code": "the ZIP code",
    "rep_first_name": "the representative's first name",
    "rep_last_name": "the representative's last name",
    "rep_title": "the representative's business title",
    "rep_job_position": "the representative's job position",
}


def check_brand(brand: Brand) -> list[Problem]:
    """Every reason the brand cannot be submitted yet; empty when it can."""
    problems = _required(brand, _BRAND_REQUIRED)
    problems += _problem("ein", ein_problem(brand.ein))
    problems += _problem("website", https_url_problem(brand.website, "website"))
    if brand.state and brand.state.strip().upper() not in US_STATES:
        problems.append(Problem("state", "Use the two-letter state code, such as CA or NY."))
    if brand.postal_code and not _ZIP.match(brand.postal_code.strip()):
        problems.append(Problem("postal_code", "Use a five-digit ZIP code (or ZIP+4)."))
    problems += _representative_contact_problems(brand)
    if brand.company_type == Brand.CompanyType.PUBLIC and (
        brand.stock_exchange in ("", Brand.StockExchange.NONE) or not brand.stock_ticker.strip()
    ):
        problems.append(
            Problem(
                "stock_ticker",
                "A publicly traded company must give its stock exchange and ticker symbol.",
            )
        )
    return problems


def _representative_contact_problems(brand: Brand) -> list[Problem]:
    problems = []
    try:
        validate_email(brand.rep_email.strip())
    except ValidationError:
        problems.append(
            Problem("rep_email", "Enter the representative's e-mail address (name@company.com).")
        )
    try:
        normalize_phone(brand.rep_phone)
    except InvalidPhoneNumber:
        problems.append(
            Problem("rep_phone", "Enter the representative's phone number, e.g. (415) 555-0100.")
        )
    return problems


def check_campaign(campaign: Campaign, names: list[str]) -> list[Problem]:
    """Every reason the campaign cannot be submitted yet; empty when it can.

    `names` are the brand's names, which samples and messages must carry.
    """
    problems = _required(campaign, {"use_case": "the use case"})
    problems += _problem(
        "description", length_problem(campaign.description, DESCRIPTION_LENGTH, "description")
    )
    problems += _problem(
        "message_flow",
        length_problem(campaign.message_flow, MESSAGE_FLOW_LENGTH, "message flow")
        or message_flow_problem(campaign.message_flow),
    )
    problems += [Problem("message_samples", p) for p in sample_problems(campaign.samples, names)]
    problems += _keyword_and_message_problems(campaign, names)
    problems += _problem(
        "privacy_policy_url", https_url_problem(campaign.privacy_policy_url, "privacy policy URL")
    )
    problems += _problem("terms_url", https_url_problem(campaign.terms_url, "terms URL"))
    return problems


def _keyword_and_message_problems(campaign: Campaign, names: list[str]) -> list[Problem]:
    problems = _problem(
        "opt_in_keywords",
        keyword_problem(
            campaign.opt_in_keywords, "YES", "the opt-in request asks contacts to reply YES."
        ),
    )
    missing = disclosure_problems(campaign.opt_in_message, names)
    if missing:
        problems.append(
            Problem("opt_in_message", "The opt-in confirmation must include " + _join(missing))
        )
    problems += _problem(
        "opt_out_keywords",
        keyword_problem(
            campaign.opt_out_keywords, "STOP", "carriers require STOP to work on every number."
        ),
    )
    if not names_brand(campaign.opt_out_message, names):
        problems.append(Problem("opt_out_message", "The opt-out message must name the business."))
    problems += _problem(
        "help_keywords",
        keyword_problem(campaign.help_keywords, "HELP", "carriers require HELP to answer."),
    )
    if not names_brand(campaign.help_message, names):
        problems.append(Problem("help_message", "The help message must name the business."))
    return problems


def optin_request_problems(brokerage, names: list[str]) -> list[Problem]:
    """The opt-in request this product sends for the brokerage must carry the
    same disclosures (it offers NO as the way to decline, so STOP is not required)."""
    text = texts.optin_request(agent=None, brokerage=brokerage)
    missing = disclosure_problems(text, names, needs_stop=False)
    if not missing:
        return []
    return [Problem("", "The opt-in request texts lack " + _join(missing))]


def check_registration(brand: Brand, campaign: Campaign) -> list[Problem]:
    """Every reason the registration cannot be submitted; empty when it can."""
    names = brand.names
    return (
        check_brand(brand)
        + check_campaign(campaign, names)
        + optin_request_problems(brand.brokerage, names)
    )


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0] + "."
    return ", ".join(items[:-1]) + " and " + items[-1] + "."
