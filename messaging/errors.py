"""What each provider error means for a text: retry it, or stop and say why.

One table, used for errors raised when sending and for ErrorCode values in
status callbacks. Codes are Twilio's (https://www.twilio.com/docs/api/errors).
A retry is only ever offered when it cannot send the text twice: Twilio said
no (429, 5xx) or the request never left this machine.
"""

import dataclasses
import enum


class Consequence(enum.StrEnum):
    NONE = "none"
    OPT_OUT = "opt_out"  # the carrier says the phone unsubscribed
    INVALID_PHONE = "invalid_phone"  # flag the contact's number
    CAMPAIGN_PROBLEM = "campaign_problem"  # hold the number's texts, alert admins
    # Twilio refused the request itself: the text keeps its place, held with
    # the rest of its number's texts, and the admins are alerted.
    ACCOUNT_PROBLEM = "account_problem"
    REVIEW = "review"  # the outcome is unknown: a person decides


@dataclasses.dataclass(frozen=True)
class ErrorInfo:
    retryable: bool
    reason: str
    consequence: Consequence = Consequence.NONE
    hint: str = ""

    @property
    def explanation(self) -> str:
        """The reason and, when there is one, what the agent can do."""
        return f"{self.reason} {self.hint}".strip()


CAMPAIGN_NOT_REGISTERED = "A2P 10DLC campaign not registered"

TWILIO_ERRORS: dict[int, ErrorInfo] = {
    20003: ErrorInfo(
        False,
        "Twilio refused the account's credentials: this BAY Number's texts wait until an "
        "operator fixes them, then an admin dismisses this alert.",
        Consequence.ACCOUNT_PROBLEM,
    ),
    20429: ErrorInfo(True, "Twilio was rate limiting."),
    21211: ErrorInfo(False, "Invalid phone number.", Consequence.INVALID_PHONE),
    21408: ErrorInfo(False, "Texting this country is not enabled for the account."),
    21606: ErrorInfo(
        False, "This BAY Number cannot send texts; ask your brokerage admin to check it."
    ),
    21610: ErrorInfo(
        False,
        "The contact has opted out (they replied STOP to this number).",
        Consequence.OPT_OUT,
    ),
    21612: ErrorInfo(False, "This BAY Number cannot text this phone (route not supported)."),
    21614: ErrorInfo(
        False, "Invalid number: not a mobile number (landline?).", Consequence.INVALID_PHONE
    ),
    21617: ErrorInfo(False, "The text is longer than Twilio accepts (1,600 characters)."),
    30003: ErrorInfo(False, "The phone is unreachable (off or out of service)."),
    30004: ErrorInfo(False, "The recipient's phone or carrier blocked the text."),
    30005: ErrorInfo(False, "Unknown or inactive phone number.", Consequence.INVALID_PHONE),
    30006: ErrorInfo(False, "Landline or unreachable carrier.", Consequence.INVALID_PHONE),
    30007: ErrorInfo(
        False,
        "Filtered by the carrier as possible spam.",
        hint=(
            "Avoid link shorteners and all-caps, and make sure the text names you and "
            "your brokerage."
        ),
    ),
    30008: ErrorInfo(False, "The carrier could not deliver the text (unknown error)."),
    30034: ErrorInfo(
        False,
        f"{CAMPAIGN_NOT_REGISTERED}: this BAY Number cannot text until an admin registers "
        "the brokerage's campaign.",
        Consequence.CAMPAIGN_PROBLEM,
        hint="Its other queued texts wait until then.",
    ),
}


def classify_error(*, code: int | None, http_status: int | None, reached: bool) -> ErrorInfo:
    """Return what to do about a failed send or a failed delivery."""
    if code is not None and str(code).isdecimal() and int(code) in TWILIO_ERRORS:
        return TWILIO_ERRORS[int(code)]
    if http_status == 429 or (http_status is not None and http_status >= 500):
        return ErrorInfo(True, f"Twilio answered HTTP {http_status}.")
    if http_status is None and not reached:
        return ErrorInfo(True, "Twilio could not be reached.")
    if http_status is None:
        # The request may have reached Twilio: retrying could send it twice.
        return ErrorInfo(
            False,
            "No answer from Twilio, so it may or may not have gone out; held for review.",
            Consequence.REVIEW,
        )
    suffix = f" (error {code})" if code else ""
    return ErrorInfo(False, f"Twilio refused the text{suffix}.")


def delivery_error(code: str) -> ErrorInfo:
    """Return what a status callback's ErrorCode means for the text."""
    if code.isdecimal() and int(code) in TWILIO_ERRORS:
        return TWILIO_ERRORS[int(code)]
    suffix = f" (error {code})" if code else ""
    return ErrorInfo(False, f"The carrier did not deliver the text{suffix}.")
