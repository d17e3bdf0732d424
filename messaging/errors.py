"""What each provider error means for a text: retry it, or fail it and say why.

One table, used for errors raised when sending and for ErrorCode values in
status callbacks. Codes are Twilio's (https://www.twilio.com/docs/api/errors).
"""

import dataclasses
import enum


class Consequence(enum.StrEnum):
    NONE = "none"
    OPT_OUT = "opt_out"  # the carrier says the phone unsubscribed
    INVALID_PHONE = "invalid_phone"  # flag the contact's number
    CAMPAIGN_PROBLEM = "campaign_problem"  # alert the brokerage's admins


@dataclasses.dataclass(frozen=True)
class ErrorInfo:
    retryable: bool
    reason: str
    consequence: Consequence = Consequence.NONE


TWILIO_ERRORS: dict[int, ErrorInfo] = {
    20429: ErrorInfo(True, "Twilio is rate limiting; the text will be retried."),
    21211: ErrorInfo(False, "Invalid phone number.", Consequence.INVALID_PHONE),
    21408: ErrorInfo(False, "Texting this country is not enabled for the account."),
    21610: ErrorInfo(
        False,
        "The contact has opted out (they replied STOP to this number).",
        Consequence.OPT_OUT,
    ),
    21612: ErrorInfo(False, "This BAY Number cannot text this phone (route not supported)."),
    21614: ErrorInfo(
        False, "Invalid number: not a mobile number (landline?).", Consequence.INVALID_PHONE
    ),
    30003: ErrorInfo(False, "The phone is unreachable (off or out of service)."),
    30005: ErrorInfo(False, "Unknown or inactive phone number.", Consequence.INVALID_PHONE),
    30006: ErrorInfo(False, "Landline or unreachable carrier.", Consequence.INVALID_PHONE),
    30007: ErrorInfo(
        False,
        "Filtered by the carrier as possible spam. Avoid link shorteners and all-caps; "
        "make sure the text names you and your brokerage.",
    ),
    30034: ErrorInfo(
        False,
        "A2P 10DLC campaign not registered: the number cannot text until an admin "
        "registers the brokerage's campaign.",
        Consequence.CAMPAIGN_PROBLEM,
    ),
}


def classify_error(*, code: int | None, http_status: int | None, reached: bool) -> ErrorInfo:
    """Return what to do about a failed send or a failed delivery."""
    if code is not None and int(code) in TWILIO_ERRORS:
        return TWILIO_ERRORS[int(code)]
    if http_status == 429 or (http_status is not None and http_status >= 500):
        return ErrorInfo(True, f"Twilio answered HTTP {http_status}; the text will be retried.")
    if http_status is None and not reached:
        return ErrorInfo(True, "Twilio could not be reached; the text will be retried.")
    if http_status is None:
        # The request may have reached Twilio: retrying could send it twice.
        return ErrorInfo(False, "No answer from Twilio; held for review, not resent.")
    suffix = f" (error {code})" if code else ""
    return ErrorInfo(False, f"Twilio refused the text{suffix}.")
