"""Every call the product makes to Twilio's REST API besides sending texts:
Trust Hub, brand and campaign registration, Messaging Services and numbers.

With the SMS backend (`messaging/backends/twilio.py`), this is the only module
that imports the `twilio` SDK. Callers get plain values back, and every
failure as a TwilioApiError that says whether a retry can help.
"""

import contextlib
import dataclasses
import logging
import re
from urllib.parse import urlsplit, urlunsplit

import requests
from django.conf import settings
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

logger = logging.getLogger(__name__)

# Twilio's published Trust Hub policies for A2P 10DLC Standard brands (ISV
# onboarding guide): one for the secondary customer profile, one for the A2P
# messaging profile (trust product). They are the same for every account.
CUSTOMER_PROFILE_POLICY_SID = "RNdfbf3fae0e1107f8aded0e7cead80bf5"
A2P_TRUST_PRODUCT_POLICY_SID = "RNb0d4771c2c98518d916a3d4cd70a8f8b"
# Stand-ins used only against a local mock, where no real account exists.
MOCK_ACCOUNT_SID = "AC" + "0" * 32
MOCK_PRIMARY_PROFILE_SID = "BU" + "0" * 32

# The SDK starts its error messages with "Unable to create record: ".
_SDK_PREFIX = re.compile(r"^Unable to \w+ record:\s*")

TWILIO_HOSTS = frozenset({"api.twilio.com", "trusthub.twilio.com", "messaging.twilio.com"})


class TwilioApiError(Exception):
    """Twilio refused a call or could not be reached.

    `transient` is True when the same call may succeed later (HTTP 429, 5xx,
    network errors); otherwise the request itself must change first.
    """

    def __init__(self, message: str, *, code=None, http_status=None, transient=False):
        super().__init__(message)
        self.code = code
        self.http_status = http_status
        self.transient = transient

    @property
    def reason(self) -> str:
        suffix = f" (Twilio error {self.code})" if self.code else ""
        return f"{self}{suffix}"


class LoopbackHttpClient(TwilioHttpClient):
    """The SDK's HTTP client, sending Twilio's hosts to a local mock instead.

    Refuses any host that is not Twilio's, and ignores proxy variables, so
    nothing leaves the machine.
    """

    def __init__(self, base_url: str, **kwargs):
        super().__init__(timeout=kwargs.pop("timeout", 10), **kwargs)
        parts = urlsplit(base_url)
        if parts.hostname not in settings.LOOPBACK_HOSTS:
            raise ValueError("The Twilio mock must listen on a loopback address")
        self.netloc = parts.netloc
        self.scheme = parts.scheme or "http"
        self.session.trust_env = False

    def local_url(self, url: str) -> str:
        parts = urlsplit(url)
        if parts.hostname not in TWILIO_HOSTS:
            raise ValueError(f"Refusing a request to {parts.hostname}: not a Twilio API host")
        return urlunsplit((self.scheme, self.netloc, parts.path, parts.query, ""))

    def request(self, method, url, *args, **kwargs):
        return super().request(method, self.local_url(url), *args, **kwargs)


def http_client():
    """The HTTP client the SDK uses: its own, or one that talks to the local
    mock named by TWILIO_API_MOCK_URL. Tests replace this function."""
    if settings.TWILIO_API_MOCK_URL:
        return LoopbackHttpClient(settings.TWILIO_API_MOCK_URL)
    return None


def primary_customer_profile_sid() -> str:
    """The ISV's approved primary customer profile, which vouches for each
    brokerage's secondary profile; raises TwilioApiError when it is not set."""
    if settings.TWILIO_PRIMARY_CUSTOMER_PROFILE_SID:
        return settings.TWILIO_PRIMARY_CUSTOMER_PROFILE_SID
    if settings.TWILIO_API_MOCK_URL:
        return MOCK_PRIMARY_PROFILE_SID
    raise TwilioApiError(
        "TWILIO_PRIMARY_CUSTOMER_PROFILE_SID is not set: the operator must give the "
        "ISV's approved primary customer profile before brands can be registered."
    )


@contextlib.contextmanager
def _errors(action: str):
    """Turn the SDK's and the network's exceptions into TwilioApiError."""
    try:
        yield
    except TwilioRestException as error:
        transient = error.status == 429 or error.status >= 500
        logger.warning("Twilio refused to %s: HTTP %s, error %s", action, error.status, error.code)
        raise TwilioApiError(
            f"Twilio refused to {action}: {_SDK_PREFIX.sub('', error.msg)}",
            code=error.code,
            http_status=error.status,
            transient=transient,
        ) from error
    except requests.RequestException as error:
        logger.warning("Twilio could not be reached to %s: %s", action, type(error).__name__)
        raise TwilioApiError(f"Twilio could not be reached to {action}.", transient=True) from error


@dataclasses.dataclass(frozen=True)
class Evaluation:
    sid: str
    compliant: bool
    reasons: list[str]


@dataclasses.dataclass(frozen=True)
class RegistrationState:
    """A brand's or campaign's state at Twilio."""

    sid: str
    status: str
    tcr_id: str = ""
    reason: str = ""


@dataclasses.dataclass(frozen=True)
class AvailableNumber:
    phone_number: str
    locality: str
    region: str


@dataclasses.dataclass(frozen=True)
class BoughtNumber:
    sid: str
    phone_number: str


def _evaluation_reasons(results) -> list[str]:
    reasons = []
    for result in results or []:
        if result.get("passed"):
            continue
        reasons.append(result.get("failure_reason") or "A requirement is not met.")
        reasons += [item.get("failure_reason", "") for item in result.get("invalid") or []]
    return [reason for reason in dict.fromkeys(reasons) if reason]


def error_text(errors, fallback: str = "") -> str:
    """Twilio's reasons for a failed brand or campaign, as one readable text."""
    parts = []
    for error in errors or []:
        if not isinstance(error, dict):
            parts.append(str(error))
            continue
        text = error.get("description") or error.get("message") or "Rejected"
        code = error.get("error_code") or error.get("code")
        fields = ", ".join(error.get("fields") or [])
        parts.append(
            text + (f" (error {code})" if code else "") + (f" [fields: {fields}]" if fields else "")
        )
    return " ".join(parts) or (fallback or "")


class TwilioApi:
    """Twilio's REST API as this product uses it, one method per call."""

    def __init__(self, *, http_client=None):
        account_sid = settings.TWILIO_ACCOUNT_SID or (
            MOCK_ACCOUNT_SID if settings.TWILIO_API_MOCK_URL else None
        )
        if not account_sid:
            raise TwilioApiError(
                "Twilio is not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN."
            )
        self.client = Client(account_sid, settings.TWILIO_AUTH_TOKEN, http_client=http_client)

    @classmethod
    def from_settings(cls) -> "TwilioApi":
        return cls(http_client=http_client())

    # --- Trust Hub: bundles (customer profiles and trust products) ----------

    def _bundles(self, kind: str):
        trusthub = self.client.trusthub.v1
        return trusthub.customer_profiles if kind == "profile" else trusthub.trust_products

    def bundle_create(self, kind: str, *, friendly_name: str, email: str) -> str:
        """Create a secondary customer profile (`profile`) or an A2P trust
        product (`trust_product`) under Twilio's policy for it; return its SID."""
        policy = CUSTOMER_PROFILE_POLICY_SID if kind == "profile" else A2P_TRUST_PRODUCT_POLICY_SID
        with _errors(f"create the {kind}"):
            bundle = self._bundles(kind).create(
                friendly_name=friendly_name[:64], email=email, policy_sid=policy
            )
        return bundle.sid

    def bundle_assign(self, kind: str, bundle_sid: str, object_sid: str) -> str:
        """Attach an end user, document or profile to a bundle; return the assignment SID."""
        with _errors(f"attach {object_sid} to the {kind}"):
            if kind == "profile":
                assignments = self.client.trusthub.v1.customer_profiles(
                    bundle_sid
                ).customer_profiles_entity_assignments
            else:
                assignments = self.client.trusthub.v1.trust_products(
                    bundle_sid
                ).trust_products_entity_assignments
            return assignments.create(object_sid=object_sid).sid

    def bundle_evaluate(self, kind: str, bundle_sid: str) -> Evaluation:
        """Ask Twilio whether the bundle meets its policy, and why not."""
        policy = CUSTOMER_PROFILE_POLICY_SID if kind == "profile" else A2P_TRUST_PRODUCT_POLICY_SID
        with _errors(f"evaluate the {kind}"):
            if kind == "profile":
                evaluations = self.client.trusthub.v1.customer_profiles(
                    bundle_sid
                ).customer_profiles_evaluations
            else:
                evaluations = self.client.trusthub.v1.trust_products(
                    bundle_sid
                ).trust_products_evaluations
            evaluation = evaluations.create(policy_sid=policy)
        return Evaluation(
            sid=evaluation.sid,
            compliant=evaluation.status == "compliant",
            reasons=_evaluation_reasons(evaluation.results),
        )

    def bundle_status(self, kind: str, bundle_sid: str) -> str:
        with _errors(f"fetch the {kind}"):
            return self._bundles(kind)(bundle_sid).fetch().status

    def bundle_submit(self, kind: str, bundle_sid: str) -> str:
        """Submit the bundle for Twilio's review; return its new status."""
        with _errors(f"submit the {kind}"):
            return self._bundles(kind)(bundle_sid).update(status="pending-review").status

    # --- Trust Hub: end users, addresses, documents --------------------------

    def end_user_create(self, *, type_: str, friendly_name: str, attributes: dict) -> str:
        with _errors(f"create the {type_} end user"):
            end_user = self.client.trusthub.v1.end_users.create(
                type=type_, friendly_name=friendly_name[:64], attributes=attributes
            )
        return end_user.sid

    def end_user_update(self, sid: str, *, attributes: dict) -> None:
        with _errors("update an end user"):
            self.client.trusthub.v1.end_users(sid).update(attributes=attributes)

    def address_create(self, **fields) -> str:
        """Create the business address (street, city, region, postal_code,
        iso_country, customer_name, street_secondary); return its SID."""
        with _errors("create the business address"):
            return self.client.addresses.create(**fields).sid

    def address_update(self, sid: str, **fields) -> None:
        fields.pop("iso_country", None)  # an address cannot move country
        with _errors("update the business address"):
            self.client.addresses(sid).update(**fields)

    def address_document_create(self, *, friendly_name: str, address_sid: str) -> str:
        with _errors("create the address document"):
            document = self.client.trusthub.v1.supporting_documents.create(
                friendly_name=friendly_name[:64],
                type="customer_profile_address",
                attributes={"address_sids": address_sid},
            )
        return document.sid

    # --- Brand, Messaging Service, campaign ----------------------------------

    @staticmethod
    def _brand_state(brand) -> RegistrationState:
        return RegistrationState(
            sid=brand.sid,
            status=str(brand.status or ""),
            tcr_id=brand.tcr_id or "",
            reason=error_text(brand.errors, brand.failure_reason or ""),
        )

    def brand_create(self, *, customer_profile_sid: str, trust_product_sid: str):
        with _errors("register the brand"):
            brand = self.client.messaging.v1.brand_registrations.create(
                customer_profile_bundle_sid=customer_profile_sid,
                a2p_profile_bundle_sid=trust_product_sid,
            )
        return self._brand_state(brand)

    def brand_fetch(self, sid: str) -> RegistrationState:
        with _errors("fetch the brand"):
            return self._brand_state(self.client.messaging.v1.brand_registrations(sid).fetch())

    def brand_resubmit(self, sid: str) -> RegistrationState:
        """Ask Twilio to review a FAILED brand again, once its profile is corrected."""
        with _errors("resubmit the brand"):
            return self._brand_state(self.client.messaging.v1.brand_registrations(sid).update())

    def messaging_service_create(
        self, *, friendly_name: str, inbound_url: str, status_callback: str
    ) -> str:
        """Create the brokerage's Messaging Service; its numbers' inbound texts
        and delivery statuses come to this product's webhooks."""
        with _errors("create the Messaging Service"):
            service = self.client.messaging.v1.services.create(
                friendly_name=friendly_name[:64],
                inbound_request_url=inbound_url,
                inbound_method="POST",
                status_callback=status_callback,
            )
        return service.sid

    def service_number_add(self, service_sid: str, number_sid: str) -> str:
        with _errors("add the number to the Messaging Service"):
            return (
                self.client.messaging.v1.services(service_sid)
                .phone_numbers.create(phone_number_sid=number_sid)
                .sid
            )

    @staticmethod
    def _campaign_state(campaign) -> RegistrationState:
        return RegistrationState(
            sid=campaign.sid,
            status=str(campaign.campaign_status or ""),
            tcr_id=campaign.campaign_id or "",
            reason=error_text(campaign.errors),
        )

    def campaign_create(self, service_sid: str, **fields) -> RegistrationState:
        """Register the us_app_to_person campaign on the Messaging Service."""
        with _errors("register the campaign"):
            campaign = self.client.messaging.v1.services(service_sid).us_app_to_person.create(
                **fields
            )
        return self._campaign_state(campaign)

    def campaign_fetch(self, service_sid: str, sid: str) -> RegistrationState:
        with _errors("fetch the campaign"):
            return self._campaign_state(
                self.client.messaging.v1.services(service_sid).us_app_to_person(sid).fetch()
            )

    def campaign_delete(self, service_sid: str, sid: str) -> None:
        with _errors("remove the failed campaign"):
            self.client.messaging.v1.services(service_sid).us_app_to_person(sid).delete()

    # --- Phone numbers -------------------------------------------------------

    def available_numbers(self, *, area_code: int, limit: int) -> list[AvailableNumber]:
        """US local numbers that can text, in the area code, at most `limit`."""
        with _errors("search for numbers"):
            found = self.client.available_phone_numbers("US").local.list(
                area_code=area_code, sms_enabled=True, limit=limit
            )
        return [AvailableNumber(n.phone_number, n.locality or "", n.region or "") for n in found]

    def number_buy(
        self, *, phone_number: str, friendly_name: str, sms_url: str, status_callback: str
    ) -> BoughtNumber:
        """Buy the number, with its inbound-SMS webhook and status callback set
        to this product's URLs."""
        with _errors("buy the number"):
            number = self.client.incoming_phone_numbers.create(
                phone_number=phone_number,
                friendly_name=friendly_name[:64],
                sms_url=sms_url,
                sms_method="POST",
                status_callback=status_callback,
                status_callback_method="POST",
            )
        return BoughtNumber(sid=number.sid, phone_number=number.phone_number or phone_number)

    def number_release(self, sid: str) -> None:
        """Release the number back to Twilio; one already gone counts as released."""
        try:
            with _errors("release the number"):
                self.client.incoming_phone_numbers(sid).delete()
        except TwilioApiError as error:
            if error.http_status != 404:
                raise
            logger.info("Number %s was already released at Twilio", sid)
