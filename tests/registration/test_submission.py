"""The whole submission, through the real `twilio` client over HTTP to Prism
serving Twilio's own API descriptions."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from registration import submission
from registration.models import Brand, Campaign, RegistrationStep
from registration.services import brand_save_draft, campaign_save_draft, registration_submit
from registration.tasks import SUBMIT_MAX_RETRIES, poll_registrations, submit_registration
from registration.twilio_api import A2P_TRUST_PRODUCT_POLICY_SID, CUSTOMER_PROFILE_POLICY_SID
from tests.factories import AdminFactory, BrandFactory, CampaignFactory
from tests.fakes.twilio_mock import BRANDS, SERVICES, prefer_error
from tests.registration.conftest import PRIMARY_PROFILE_SID

pytestmark = [pytest.mark.prism, pytest.mark.django_db]

PUBLIC = "https://app.example.com"
BRAND_PATH = r"^/v1/a2p/BrandRegistrations/BN\w+$"
CAMPAIGN_PATH = r"^/v1/Services/MG\w+/Compliance/Usa2p/QE\w+$"

# Twilio's order for an ISV registering an A2P 10DLC Standard brand.
SUBMISSION = [
    "POST trusthub.twilio.com/v1/CustomerProfiles",
    "POST trusthub.twilio.com/v1/EndUsers",
    "POST trusthub.twilio.com/v1/CustomerProfiles/BU…/EntityAssignments",
    "POST trusthub.twilio.com/v1/EndUsers",
    "POST trusthub.twilio.com/v1/CustomerProfiles/BU…/EntityAssignments",
    "POST api.twilio.com/2010-04-01/Accounts/AC…/Addresses.json",
    "POST trusthub.twilio.com/v1/SupportingDocuments",
    "POST trusthub.twilio.com/v1/CustomerProfiles/BU…/EntityAssignments",
    "POST trusthub.twilio.com/v1/CustomerProfiles/BU…/EntityAssignments",
    "POST trusthub.twilio.com/v1/CustomerProfiles/BU…/Evaluations",
    "POST trusthub.twilio.com/v1/CustomerProfiles/BU…",
    "POST trusthub.twilio.com/v1/TrustProducts",
    "POST trusthub.twilio.com/v1/EndUsers",
    "POST trusthub.twilio.com/v1/TrustProducts/BU…/EntityAssignments",
    "POST trusthub.twilio.com/v1/TrustProducts/BU…/EntityAssignments",
    "POST trusthub.twilio.com/v1/TrustProducts/BU…/Evaluations",
    "POST trusthub.twilio.com/v1/TrustProducts/BU…",
    "POST messaging.twilio.com/v1/a2p/BrandRegistrations",
    "POST messaging.twilio.com/v1/Services",
]


def _registration():
    brand = BrandFactory()
    CampaignFactory(brokerage=brand.brokerage)
    return AdminFactory(brokerage=brand.brokerage), brand


class SubmissionTests:
    def test_submits_in_twilios_order(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        with run_on_commit():
            registration_submit(admin=admin)

        assert twilio_rest.endpoints() == SUBMISSION


def _attributes(request) -> dict:
    return json.loads(request.value("Attributes"))


def _submit(admin, run_on_commit):
    with run_on_commit():
        registration_submit(admin=admin)


class SubmissionContentTests:
    def test_customer_profile_carries_the_brand(self, twilio_rest, run_on_commit):
        """Every Trust Hub request carries what the admin entered, under
        Twilio's policy for secondary customer profiles."""
        admin, brand = _registration()
        _submit(admin, run_on_commit)

        profile = twilio_rest.find("POST", r"^/v1/CustomerProfiles$")[0]
        assert profile.value("PolicySid") == CUSTOMER_PROFILE_POLICY_SID
        assert profile.value("Email") == "ada@bayviewrealty.example.com"
        business, representative, messaging = twilio_rest.find("POST", r"^/v1/EndUsers$")
        assert business.value("Type") == "customer_profile_business_information"
        assert _attributes(business) == {
            "business_name": "Bayview Realty LLC",
            "business_identity": "direct_customer",
            "business_type": "Limited Liability Corporation",
            "business_industry": "REAL_ESTATE",
            "business_registration_identifier": "EIN",
            "business_registration_number": "12-3456789",
            "business_regions_of_operation": "USA_AND_CANADA",
            "website_url": "https://bayviewrealty.example.com",
            "social_media_profile_urls": "",
        }
        assert representative.value("Type") == "authorized_representative_1"
        assert _attributes(representative) == {
            "first_name": "Ada",
            "last_name": "Admin",
            "email": "ada@bayviewrealty.example.com",
            "phone_number": "+12025550199",
            "business_title": "Managing Broker",
            "job_position": "Director",
        }
        assert messaging.value("Type") == "us_a2p_messaging_profile_information"
        assert _attributes(messaging) == {"company_type": "private"}

    def test_address_is_a_supporting_document(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        _submit(admin, run_on_commit)

        address = twilio_rest.find("POST", r"/Addresses\.json$")[0]
        assert {key: address.value(key) for key in address.form} == {
            "CustomerName": "Bayview Realty LLC",
            "Street": "100 Harbor Way",
            "StreetSecondary": "Suite 5",
            "City": "San Francisco",
            "Region": "CA",
            "PostalCode": "94105",
            "IsoCountry": "US",
        }
        document = twilio_rest.find("POST", r"^/v1/SupportingDocuments$")[0]
        assert document.value("Type") == "customer_profile_address"
        brand.refresh_from_db()
        assert _attributes(document) == {"address_sids": brand.address_sid}

    def test_bundles_are_linked_evaluated_and_submitted(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        brand.refresh_from_db()

        attached = [
            r.value("ObjectSid")
            for r in twilio_rest.find("POST", r"^/v1/CustomerProfiles/BU\w+/EntityAssignments$")
        ]
        assert attached == [
            brand.business_info_sid,
            brand.representative_sid,
            brand.address_document_sid,
            PRIMARY_PROFILE_SID,
        ]
        to_product = twilio_rest.find("POST", r"^/v1/TrustProducts/BU\w+/EntityAssignments$")
        assert [r.value("ObjectSid") for r in to_product] == [
            brand.messaging_profile_sid,
            brand.customer_profile_sid,
        ]
        profile_check, product_check = twilio_rest.find("POST", r"/Evaluations$")
        assert profile_check.value("PolicySid") == CUSTOMER_PROFILE_POLICY_SID
        assert product_check.value("PolicySid") == A2P_TRUST_PRODUCT_POLICY_SID
        submitted = twilio_rest.find("POST", r"^/v1/(CustomerProfiles|TrustProducts)/BU\w+$")
        assert [r.value("Status") for r in submitted] == ["pending-review", "pending-review"]

    def test_brand_and_messaging_service(self, twilio_rest, run_on_commit):
        """The brand comes from the two bundles; the service sends inbound texts
        and delivery statuses to this product's webhooks."""
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        brand.refresh_from_db()

        registration = twilio_rest.find("POST", r"^/v1/a2p/BrandRegistrations$")[0]
        assert registration.value("CustomerProfileBundleSid") == brand.customer_profile_sid
        assert registration.value("A2PProfileBundleSid") == brand.trust_product_sid
        service = twilio_rest.find("POST", r"^/v1/Services$")[0]
        assert service.value("InboundRequestUrl") == f"{PUBLIC}/webhooks/twilio/sms/"
        assert service.value("InboundMethod") == "POST"
        assert service.value("StatusCallback") == f"{PUBLIC}/webhooks/twilio/status/"

    def test_stores_every_sid_twilio_returns(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        brand.refresh_from_db()
        campaign = brand.brokerage.campaign

        # The SIDs of Twilio's examples for each resource, as Prism answers.
        assert brand.customer_profile_sid == "BU" + "a" * 32
        assert brand.business_info_sid == "IT" + "a" * 32
        assert brand.address_sid == "AD" + "a" * 32
        assert brand.address_document_sid == "RD" + "a" * 32
        assert brand.trust_product_sid == "BU" + "a" * 32
        assert brand.brand_registration_sid == "BN0044409f7e067e279523808d267e2d85"
        assert campaign.messaging_service_sid == "MG" + "a" * 32
        logged = set(RegistrationStep.objects.values_list("sid", flat=True))
        returned = {"EL" + "a" * 32, "BV" + "a" * 32, "BN0044409f7e067e279523808d267e2d85"}
        assert returned <= logged
        assert RegistrationStep.objects.count() == len(twilio_rest.requests)

    def test_brand_in_review_and_campaign_waits(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        brand.refresh_from_db()

        assert (brand.status, brand.twilio_status) == ("in_review", "PENDING")
        assert brand.brokerage.campaign.status == "submitted"
        assert not twilio_rest.find("POST", r"/Compliance/Usa2p$")


def _poll():
    return poll_registrations()


class ReviewTests:
    def test_approved_brand_gets_its_campaign(self, twilio_rest, run_on_commit):
        """Once the brand is approved, the next poll registers the campaign
        on the brokerage's Messaging Service with every campaign field."""
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        twilio_rest.prefer = [("GET", BRAND_PATH, "example=approved")]

        assert _poll() == {"checked": 1, "in_review": 1}

        brand.refresh_from_db()
        campaign = brand.brokerage.campaign
        assert brand.status == "approved"
        sent = twilio_rest.find("POST", r"^/v1/Services/MG\w+/Compliance/Usa2p$")[0]
        assert sent.path == f"/v1/Services/{campaign.messaging_service_sid}/Compliance/Usa2p"
        assert sent.value("BrandRegistrationSid") == brand.brand_registration_sid
        assert sent.value("UsAppToPersonUsecase") == "MIXED"
        assert sent.form["MessageSamples"] == campaign.message_samples
        assert sent.form["OptInKeywords"] == ["YES", "START", "UNSTOP"]
        assert "STOP" in sent.form["OptOutKeywords"]
        assert sent.form["HelpKeywords"] == ["HELP", "INFO"]
        assert sent.value("OptInMessage") == campaign.opt_in_message
        assert sent.value("HasEmbeddedLinks") == "false"
        assert sent.value("HasEmbeddedPhone") == "false"
        assert sent.value("PrivacyPolicyUrl") == "https://bayviewrealty.example.com/privacy"
        assert sent.value("TermsAndConditionsUrl") == "https://bayviewrealty.example.com/sms-terms"
        assert (campaign.status, campaign.campaign_sid) == (
            "in_review",
            "QE2c6890da8086d771620e9b13fadeba0b",
        )

    def test_verified_campaign_is_approved(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        twilio_rest.prefer = [
            ("GET", BRAND_PATH, "example=approved"),
            ("GET", CAMPAIGN_PATH, "example=verified"),
        ]
        _poll()

        assert _poll() == {"checked": 1, "approved": 1}
        campaign = brand.brokerage.campaign
        campaign.refresh_from_db()
        assert (campaign.status, campaign.twilio_status) == ("approved", "VERIFIED")
        assert campaign.tcr_campaign_id == "CFOOBAR"
        assert _poll() == {"checked": 0}

    def test_failed_brand_shows_twilios_reason(self, twilio_rest, run_on_commit, client):
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        twilio_rest.prefer = [("GET", BRAND_PATH, "example=failed")]

        assert _poll() == {"checked": 1, "failed": 1}

        brand.refresh_from_db()
        assert brand.status == "failed"
        assert brand.failure_reason == (
            "The legal name does not match the EIN in IRS records. (error 30794) "
            "[fields: business_name, business_registration_number]"
        )
        assert brand.brokerage.campaign.status == "draft"
        client.force_login(admin)
        page = client.get(reverse("registration:status")).content.decode()
        assert "Why it failed:" in page
        assert "The legal name does not match the EIN in IRS records." in page
        assert "Resubmit to Twilio" in page

    def test_corrected_brand_is_resubmitted_not_recreated(self, twilio_rest, run_on_commit):
        """A failed brand is corrected in Trust Hub and resubmitted: nothing
        that exists is created (and paid for) again."""
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        twilio_rest.prefer = [("GET", BRAND_PATH, "example=failed")]
        _poll()
        brand_save_draft(admin=admin, fields={"legal_name": "Bayview Realty Group LLC"})
        brand.refresh_from_db()
        twilio_rest.requests.clear()
        twilio_rest.prefer = []

        _submit(admin, run_on_commit)

        endpoints = twilio_rest.endpoints()
        assert not [e for e in endpoints if e.endswith(("/CustomerProfiles", "/TrustProducts"))]
        assert not [e for e in endpoints if e.endswith("/BrandRegistrations")]
        business = twilio_rest.find("POST", rf"^/v1/EndUsers/{brand.business_info_sid}$")[0]
        assert _attributes(business)["business_name"] == "Bayview Realty Group LLC"
        address = twilio_rest.find("POST", rf"/Addresses/{brand.address_sid}\.json$")[0]
        assert address.value("CustomerName") == "Bayview Realty Group LLC"
        resubmit = twilio_rest.find("POST", r"^/v1/a2p/BrandRegistrations/BN\w+$")
        assert len(resubmit) == 1
        brand.refresh_from_db()
        assert (brand.status, brand.failure_reason) == ("in_review", "")

    def test_failed_campaign_is_replaced_with_the_correction(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        twilio_rest.prefer = [
            ("GET", BRAND_PATH, "example=approved"),
            ("GET", CAMPAIGN_PATH, "example=failed"),
        ]
        _poll()
        _poll()
        campaign = brand.brokerage.campaign
        campaign.refresh_from_db()
        assert campaign.status == "failed"
        assert "Sample messages do not identify the brand. (error 30896)" in campaign.failure_reason
        samples = [
            "Bayview Realty: new listing at 5 Elm St, 3 bd 2 ba. Want a tour?",
            *campaign.samples,
        ]
        campaign_save_draft(admin=admin, fields={"message_samples": samples})
        twilio_rest.requests.clear()

        _submit(admin, run_on_commit)

        assert twilio_rest.endpoints() == [
            "DELETE messaging.twilio.com/v1/Services/MG…/Compliance/Usa2p/QE…",
            "POST messaging.twilio.com/v1/Services/MG…/Compliance/Usa2p",
        ]
        assert twilio_rest.requests[1].form["MessageSamples"] == samples


class SubmissionFailureTests:
    def test_noncompliant_profile_is_not_submitted(self, twilio_rest, run_on_commit):
        """Twilio's evaluation finds problems: they go to the admin, and the
        profile is not submitted for review."""
        admin, brand = _registration()
        twilio_rest.prefer = [
            ("POST", r"^/v1/CustomerProfiles/BU\w+/Evaluations$", "example=create")
        ]

        _submit(admin, run_on_commit)

        brand.refresh_from_db()
        assert brand.status == "failed"
        assert brand.failure_reason.startswith("Twilio's check of the profile found problems:")
        assert "The Business Name is missing." in brand.failure_reason
        assert not twilio_rest.find("POST", r"^/v1/CustomerProfiles/BU\w+$")
        assert not twilio_rest.find("POST", r"^/v1/a2p/BrandRegistrations$")
        assert brand.brokerage.campaign.status == "draft"

    def test_refused_brand_keeps_twilios_reason(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        twilio_rest.prefer = [
            ("POST", r"^/v1/a2p/BrandRegistrations$", prefer_error(BRANDS, "post", "brand_refused"))
        ]

        _submit(admin, run_on_commit)

        brand.refresh_from_db()
        assert brand.status == "failed"
        assert brand.failure_reason == (
            "Twilio refused to register the brand: Customer Profile Bundle is not approved "
            "(Twilio error 21715)"
        )
        assert RegistrationStep.objects.filter(step="failed").count() == 1

    def test_unreachable_twilio_is_retried_then_reported(self, twilio_rest, run_on_commit):
        """A 503 is retried with backoff; the steps already done are not
        repeated, and after the last retry the admin is told."""
        admin, brand = _registration()
        twilio_rest.prefer = [
            ("POST", r"^/v1/Services$", prefer_error(SERVICES, "post", "server_error"))
        ]
        _submit(admin, run_on_commit)
        assert Brand.objects.get(pk=brand.pk).status == "in_review"
        campaign = brand.brokerage.campaign
        assert Campaign.objects.get(pk=campaign.pk).status == "submitted"

        submit_registration.apply(args=[brand.brokerage_id], retries=SUBMIT_MAX_RETRIES)

        assert len(twilio_rest.find("POST", r"^/v1/Services$")) == 2
        assert len(twilio_rest.find("POST", r"^/v1/CustomerProfiles$")) == 1
        assert len(twilio_rest.find("POST", r"^/v1/a2p/BrandRegistrations$")) == 1
        campaign.refresh_from_db()
        assert campaign.status == "failed"
        assert campaign.failure_reason.startswith(
            "Twilio refused to create the Messaging Service: Service unavailable"
        )
        assert "submit again to retry" in campaign.failure_reason

    def test_missing_primary_profile_is_reported_before_any_call(
        self, twilio_rest, run_on_commit, settings
    ):
        settings.TWILIO_PRIMARY_CUSTOMER_PROFILE_SID = None
        admin, brand = _registration()

        _submit(admin, run_on_commit)

        brand.refresh_from_db()
        assert twilio_rest.requests == []
        assert brand.status == "failed"
        assert "TWILIO_PRIMARY_CUSTOMER_PROFILE_SID is not set" in brand.failure_reason

    def test_a_claimed_registration_is_left_to_its_worker(self, twilio_rest):
        admin, brand = _registration()
        Brand.objects.filter(pk=brand.pk).update(status="submitted", claimed_at=timezone.now())

        submission.submission_run(brand.brokerage_id)

        assert twilio_rest.requests == []


class PollCommandTests:
    def test_the_command_polls_now_and_prints_the_counts(self, twilio_rest, run_on_commit):
        admin, brand = _registration()
        _submit(admin, run_on_commit)
        twilio_rest.prefer = [("GET", BRAND_PATH, "example=approved")]
        out = io.StringIO()

        call_command("poll_registrations", stdout=out)

        assert out.getvalue().strip() == "checked: 1, in_review: 1"

    def test_beat_runs_the_poll_every_15_minutes(self, settings):
        from clientbay.celery import app

        entry = settings.CELERY_BEAT_SCHEDULE["poll-registrations"]
        assert entry == {
            "task": "registration.tasks.poll_registrations",
            "schedule": 15 * 60,
        }
        assert entry["task"] in app.tasks
