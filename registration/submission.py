"""Submitting a brokerage's registration to Twilio, in the order of Twilio's
ISV onboarding guide for A2P 10DLC Standard brands:

1. Trust Hub secondary customer profile: the business information and the
   authorized representative (end users) and the business address (address
   and supporting document), each attached to the profile; the ISV's primary
   profile attached; the profile evaluated, then submitted for review.
2. A2P trust product: the A2P messaging profile (end user) and the customer
   profile attached; evaluated, then submitted.
3. Brand registration, from the two bundles.
4. The brokerage's Messaging Service, whose inbound and status URLs are this
   product's webhooks, with the brokerage's BAY Numbers added to it.
5. The us_app_to_person campaign on that service, once the brand is APPROVED
   (Twilio refuses a campaign for a brand still in review, error 21717).

Each step stores the SID Twilio returns before the next one starts, so a
retried or corrected submission updates what exists instead of creating (and
paying for) it again. A worker claims the registration first, so two workers
never run the same steps at once.
"""

import contextlib
import datetime
import logging

from django.db.models import Q
from django.utils import timezone

from contacts.phones import InvalidPhoneNumber, normalize_phone
from messaging import holds
from messaging.models import BayNumber
from registration import webhook_urls
from registration.models import (
    Brand,
    Campaign,
    RegistrationStatus,
    RegistrationStep,
    keyword_list,
)
from registration.selectors import overall_status
from registration.twilio_api import (
    RegistrationState,
    TwilioApi,
    TwilioApiError,
    primary_customer_profile_sid,
)

logger = logging.getLogger(__name__)

Step = RegistrationStep.Step
CLAIM_TIMEOUT = datetime.timedelta(minutes=15)
# Bundle statuses from which a bundle must be (re)submitted for review.
_UNSUBMITTED = {"draft", "twilio-rejected"}

BRAND_STATUS = {
    "PENDING": RegistrationStatus.IN_REVIEW,
    "IN_REVIEW": RegistrationStatus.IN_REVIEW,
    "APPROVED": RegistrationStatus.APPROVED,
    "FAILED": RegistrationStatus.FAILED,
    "SUSPENDED": RegistrationStatus.FAILED,
    "DELETION_PENDING": RegistrationStatus.FAILED,
    "DELETION_FAILED": RegistrationStatus.FAILED,
}
CAMPAIGN_STATUS = {
    "PENDING": RegistrationStatus.IN_REVIEW,
    "IN_PROGRESS": RegistrationStatus.IN_REVIEW,
    "VERIFIED": RegistrationStatus.APPROVED,
    "FAILED": RegistrationStatus.FAILED,
    "SUSPENDED": RegistrationStatus.FAILED,
    "EXPIRED": RegistrationStatus.FAILED,
}


@contextlib.contextmanager
def claimed(brokerage_id: int):
    """Yield the brokerage's Brand, claimed for this worker, or None when
    another worker holds it. A claim older than CLAIM_TIMEOUT is taken over."""
    now = timezone.now()
    claimed_rows = (
        Brand.objects.filter(brokerage_id=brokerage_id)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .update(claimed_at=now)
    )
    if not claimed_rows:
        logger.info("Registration of brokerage %s is busy in another worker", brokerage_id)
        yield None
        return
    try:
        yield Brand.objects.select_related("brokerage").get(brokerage_id=brokerage_id)
    finally:
        Brand.objects.filter(brokerage_id=brokerage_id).update(claimed_at=None)


def _log(brand: Brand, step: str, sid: str = "", detail: str = "") -> None:
    RegistrationStep.objects.create(
        brokerage_id=brand.brokerage_id, step=step, sid=sid or "", detail=detail[:300]
    )
    logger.info("Registration of brokerage %s: %s %s", brand.brokerage_id, step, sid or "")


def _save(obj, **fields) -> None:
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.save(update_fields=[*fields, "updated_at"])


# --- 1. Secondary customer profile -------------------------------------------


def _business_info(brand: Brand) -> dict:
    return {
        "business_name": brand.legal_name,
        "business_identity": "direct_customer",
        "business_type": brand.business_type,
        "business_industry": brand.industry,
        "business_registration_identifier": "EIN",
        "business_registration_number": brand.ein,
        "business_regions_of_operation": brand.regions,
        "website_url": brand.website,
        "social_media_profile_urls": "",
    }


def _representative(brand: Brand) -> dict:
    try:
        phone = normalize_phone(brand.rep_phone)
    except InvalidPhoneNumber:
        phone = brand.rep_phone  # the checks refuse it before submission
    return {
        "first_name": brand.rep_first_name,
        "last_name": brand.rep_last_name,
        "email": brand.rep_email,
        "phone_number": phone,
        "business_title": brand.rep_title,
        "job_position": brand.rep_job_position,
    }


def _messaging_profile(brand: Brand) -> dict:
    attributes = {"company_type": brand.company_type}
    if brand.company_type == Brand.CompanyType.PUBLIC:
        attributes.update(
            stock_exchange=brand.stock_exchange,
            stock_ticker=brand.stock_ticker,
            brand_contact_email=brand.rep_email,
        )
    return attributes


def _address(brand: Brand) -> dict:
    return {
        "customer_name": brand.legal_name,
        "street": brand.street,
        "street_secondary": brand.street_secondary,
        "city": brand.city,
        "region": brand.state.upper(),
        "postal_code": brand.postal_code,
        "iso_country": brand.country,
    }


def _assign(api, brand: Brand, role: str, kind: str, bundle_sid: str, object_sid: str) -> None:
    """Attach `object_sid` to the bundle once; `role` names what it is."""
    detail = f"{role}: {object_sid} -> {bundle_sid}"
    done = RegistrationStep.objects.filter(
        brokerage_id=brand.brokerage_id, step=Step.ASSIGNMENT, detail=detail
    ).exists()
    if not done:
        _log(brand, Step.ASSIGNMENT, api.bundle_assign(kind, bundle_sid, object_sid), detail)


def _end_user(api, brand, *, field, type_, attributes, step, kind, bundle_sid) -> None:
    """Create the end user and attach it, or bring an existing one up to date."""
    sid = getattr(brand, field)
    if sid:
        api.end_user_update(sid, attributes=attributes)
        _log(brand, step, sid, "updated")
    else:
        sid = api.end_user_create(
            type_=type_, friendly_name=f"{brand.brokerage.name} {type_}", attributes=attributes
        )
        _save(brand, **{field: sid})
        _log(brand, step, sid, "created")
    _assign(api, brand, field.removesuffix("_sid"), kind, bundle_sid, sid)


def _address_document(api: TwilioApi, brand: Brand, profile_sid: str) -> None:
    if brand.address_sid:
        api.address_update(brand.address_sid, **_address(brand))
        _log(brand, Step.ADDRESS, brand.address_sid, "updated")
    else:
        _save(brand, address_sid=api.address_create(**_address(brand)))
        _log(brand, Step.ADDRESS, brand.address_sid, "created")
    if not brand.address_document_sid:
        sid = api.address_document_create(
            friendly_name=f"{brand.brokerage.name} address", address_sid=brand.address_sid
        )
        _save(brand, address_document_sid=sid)
        _log(brand, Step.ADDRESS_DOCUMENT, sid)
    _assign(api, brand, "address_document", "profile", profile_sid, brand.address_document_sid)


def _evaluate_and_submit(api, brand, kind: str, sid: str, *, created: bool) -> None:
    """Evaluate a bundle against Twilio's policy and submit it for review,
    unless it is already under review or approved. A bundle that fails the
    evaluation is not submitted: Twilio's reasons go back to the admin."""
    if not created and api.bundle_status(kind, sid) not in _UNSUBMITTED:
        return
    evaluation = api.bundle_evaluate(kind, sid)
    _log(brand, Step.EVALUATION, evaluation.sid, "compliant" if evaluation.compliant else "")
    if not evaluation.compliant:
        raise TwilioApiError(
            f"Twilio's check of the {kind.replace('_', ' ')} found problems: "
            + " ".join(evaluation.reasons or ["no reason given"])
        )
    status = api.bundle_submit(kind, sid)
    _log(
        brand,
        Step.PROFILE_SUBMITTED if kind == "profile" else Step.TRUST_PRODUCT_SUBMITTED,
        sid,
        status,
    )


def customer_profile_step(api: TwilioApi, brand: Brand) -> None:
    """Step 1: the secondary customer profile, complete and submitted."""
    created = not brand.customer_profile_sid
    if created:
        sid = api.bundle_create(
            "profile", friendly_name=f"{brand.brokerage.name} profile", email=brand.rep_email
        )
        _save(brand, customer_profile_sid=sid)
        _log(brand, Step.CUSTOMER_PROFILE, sid)
    profile = brand.customer_profile_sid
    common = {"kind": "profile", "bundle_sid": profile}
    _end_user(
        api,
        brand,
        field="business_info_sid",
        type_="customer_profile_business_information",
        attributes=_business_info(brand),
        step=Step.BUSINESS_INFO,
        **common,
    )
    _end_user(
        api,
        brand,
        field="representative_sid",
        type_="authorized_representative_1",
        attributes=_representative(brand),
        step=Step.REPRESENTATIVE,
        **common,
    )
    _address_document(api, brand, profile)
    _assign(api, brand, "primary_profile", "profile", profile, primary_customer_profile_sid())
    _evaluate_and_submit(api, brand, "profile", profile, created=created)


def trust_product_step(api: TwilioApi, brand: Brand) -> None:
    """Step 2: the A2P trust product, complete and submitted."""
    created = not brand.trust_product_sid
    if created:
        sid = api.bundle_create(
            "trust_product", friendly_name=f"{brand.brokerage.name} A2P", email=brand.rep_email
        )
        _save(brand, trust_product_sid=sid)
        _log(brand, Step.TRUST_PRODUCT, sid)
    product = brand.trust_product_sid
    _end_user(
        api,
        brand,
        field="messaging_profile_sid",
        type_="us_a2p_messaging_profile_information",
        attributes=_messaging_profile(brand),
        step=Step.MESSAGING_PROFILE,
        kind="trust_product",
        bundle_sid=product,
    )
    _assign(api, brand, "customer_profile", "trust_product", product, brand.customer_profile_sid)
    _evaluate_and_submit(api, brand, "trust_product", product, created=created)


# --- 3. Brand -----------------------------------------------------------------


def _apply_state(record, state: RegistrationState, *, statuses, sid_field, tcr_field) -> str:
    """Store Twilio's view of a brand or campaign on `record`; return our status."""
    status = statuses.get(state.status.upper(), RegistrationStatus.IN_REVIEW)
    reason = (state.reason or "Twilio gave no reason.") if status == "failed" else ""
    _save(
        record,
        **{sid_field: state.sid, tcr_field: state.tcr_id or getattr(record, tcr_field)},
        twilio_status=state.status.upper(),
        status=status,
        failure_reason=reason,
        status_checked_at=timezone.now(),
    )
    return status


def apply_brand_state(brand: Brand, state: RegistrationState) -> None:
    """Record what Twilio says about the brand."""
    status = _apply_state(
        brand,
        state,
        statuses=BRAND_STATUS,
        sid_field="brand_registration_sid",
        tcr_field="tcr_brand_id",
    )
    if status == RegistrationStatus.FAILED:
        logger.warning("Brand of brokerage %s failed: %s", brand.brokerage_id, state.status)


def brand_step(api: TwilioApi, brand: Brand) -> None:
    """Step 3: register the brand, or resubmit it after a failure."""
    if not brand.brand_registration_sid:
        state = api.brand_create(
            customer_profile_sid=brand.customer_profile_sid,
            trust_product_sid=brand.trust_product_sid,
        )
        _log(brand, Step.BRAND, state.sid, state.status)
    elif brand.twilio_status == "FAILED":
        state = api.brand_resubmit(brand.brand_registration_sid)
        _log(brand, Step.BRAND_RESUBMITTED, state.sid, state.status)
    else:
        return
    apply_brand_state(brand, state)


# --- 4. Messaging Service -----------------------------------------------------


def messaging_service_step(api: TwilioApi, brand: Brand, campaign: Campaign) -> None:
    """Step 4: the brokerage's Messaging Service, holding all its BAY Numbers."""
    if not campaign.messaging_service_sid:
        sid = api.messaging_service_create(
            friendly_name=f"{brand.brokerage.name} BAY Numbers",
            inbound_url=webhook_urls.inbound_sms_url(),
            status_callback=webhook_urls.status_callback_url(),
        )
        _save(campaign, messaging_service_sid=sid)
        _log(brand, Step.MESSAGING_SERVICE, sid)
    service = campaign.messaging_service_sid
    numbers = BayNumber.objects.filter(
        brokerage_id=brand.brokerage_id, released_at__isnull=True
    ).exclude(Q(twilio_sid="") | Q(messaging_service_sid=service))
    for number in numbers:
        api.service_number_add(service, number.twilio_sid)
        BayNumber.objects.filter(pk=number.pk).update(messaging_service_sid=service)
        _log(brand, Step.SERVICE_NUMBER, number.twilio_sid, f"BAY Number {number.pk}")


# --- 5. Campaign --------------------------------------------------------------


def _campaign_fields(brand: Brand, campaign: Campaign) -> dict:
    return {
        "brand_registration_sid": brand.brand_registration_sid,
        "description": campaign.description.strip(),
        "message_flow": campaign.message_flow.strip(),
        "message_samples": [sample.strip() for sample in campaign.samples],
        "us_app_to_person_usecase": campaign.use_case,
        "has_embedded_links": campaign.has_embedded_links,
        "has_embedded_phone": campaign.has_embedded_phone,
        "opt_in_message": campaign.opt_in_message.strip(),
        "opt_out_message": campaign.opt_out_message.strip(),
        "help_message": campaign.help_message.strip(),
        "opt_in_keywords": keyword_list(campaign.opt_in_keywords),
        "opt_out_keywords": keyword_list(campaign.opt_out_keywords),
        "help_keywords": keyword_list(campaign.help_keywords),
        "privacy_policy_url": campaign.privacy_policy_url.strip(),
        "terms_and_conditions_url": campaign.terms_url.strip(),
    }


def apply_campaign_state(campaign: Campaign, state: RegistrationState) -> None:
    """Record what Twilio says about the campaign."""
    status = _apply_state(
        campaign,
        state,
        statuses=CAMPAIGN_STATUS,
        sid_field="campaign_sid",
        tcr_field="tcr_campaign_id",
    )
    logger.info("Campaign of brokerage %s is %s", campaign.brokerage_id, status)
    if status == RegistrationStatus.APPROVED:
        # Numbers held by a carrier's 30034 may send again now.
        holds.brokerage_resume_sending(brokerage_id=campaign.brokerage_id)


def campaign_step(api: TwilioApi, brand: Brand, campaign: Campaign) -> None:
    """Step 5: register the campaign once the brand is approved; a failed
    campaign is removed first and registered again with the corrections."""
    if brand.twilio_status != "APPROVED":
        return
    service = campaign.messaging_service_sid
    if campaign.campaign_sid and campaign.twilio_status == "FAILED":
        api.campaign_delete(service, campaign.campaign_sid)
        _log(brand, Step.CAMPAIGN_DELETED, campaign.campaign_sid)
        _save(campaign, campaign_sid="", twilio_status="")
    if campaign.campaign_sid:
        return
    state = api.campaign_create(service, **_campaign_fields(brand, campaign))
    _log(brand, Step.CAMPAIGN, state.sid, state.status)
    apply_campaign_state(campaign, state)


# --- Running it ---------------------------------------------------------------


def _fail(brand: Brand, campaign: Campaign, error: TwilioApiError, *, stage: str) -> None:
    """Record a refusal that a retry cannot fix: the admin must correct something."""
    _log(brand, Step.FAILED, detail=error.reason)
    if stage == "brand":
        _save(brand, status=RegistrationStatus.FAILED, failure_reason=error.reason)
        if campaign.status == RegistrationStatus.SUBMITTED:
            _save(campaign, status=RegistrationStatus.DRAFT)
    else:
        _save(campaign, status=RegistrationStatus.FAILED, failure_reason=error.reason)
    logger.warning(
        "Registration of brokerage %s failed at the %s stage (error %s)",
        brand.brokerage_id,
        stage,
        error.code or "-",
    )


def _advance(api: TwilioApi, brand: Brand, campaign: Campaign, stage: list[str]) -> None:
    """Take the registration as far as it can go now, wherever it stands:
    submit what the admin submitted, ask Twilio about what is in review, and
    register the campaign once the brand is approved. `stage` records which
    half ("brand" or "campaign") a failure belongs to."""
    if brand.status == RegistrationStatus.SUBMITTED:
        customer_profile_step(api, brand)
        trust_product_step(api, brand)
        brand_step(api, brand)
    elif brand.status == RegistrationStatus.IN_REVIEW and brand.brand_registration_sid:
        apply_brand_state(brand, api.brand_fetch(brand.brand_registration_sid))
    if brand.status == RegistrationStatus.FAILED:
        if campaign.status == RegistrationStatus.SUBMITTED:
            _save(campaign, status=RegistrationStatus.DRAFT)
        return

    stage[0] = "campaign"
    if campaign.status == RegistrationStatus.SUBMITTED:
        messaging_service_step(api, brand, campaign)
        campaign_step(api, brand, campaign)
    elif campaign.status == RegistrationStatus.IN_REVIEW and campaign.campaign_sid:
        apply_campaign_state(
            campaign, api.campaign_fetch(campaign.messaging_service_sid, campaign.campaign_sid)
        )


def submission_run(brokerage_id: int, *, api: TwilioApi | None = None) -> None:
    """Run every submission step not done yet, in Twilio's order.

    Raises TwilioApiError only for transient errors (the task retries);
    every other refusal is recorded for the admin with Twilio's reason.
    """
    with claimed(brokerage_id) as brand:
        if brand is None:
            return
        campaign = Campaign.objects.get(brokerage_id=brokerage_id)
        stage = ["brand"]
        try:
            primary_customer_profile_sid()  # refuse early when the ISV profile is unset
            _advance(api or TwilioApi.from_settings(), brand, campaign, stage)
        except TwilioApiError as error:
            if error.transient:
                raise
            _fail(brand, campaign, error, stage=stage[0])


def submission_give_up(brokerage_id: int, error: TwilioApiError) -> None:
    """Record that Twilio stayed unreachable through every retry."""
    with claimed(brokerage_id) as brand:
        if brand is None:
            return
        campaign = Campaign.objects.get(brokerage_id=brokerage_id)
        stage = "brand" if brand.status == RegistrationStatus.SUBMITTED else "campaign"
        retry_error = TwilioApiError(
            f"{error} It failed after several tries; submit again to retry.", code=error.code
        )
        _fail(brand, campaign, retry_error, stage=stage)


def registration_poll(brokerage_id: int, *, api: TwilioApi) -> str:
    """Advance one registration as far as Twilio allows now; return its
    overall status afterwards, or "" when it was busy or Twilio unreachable."""
    with claimed(brokerage_id) as brand:
        if brand is None:
            return ""
        campaign = Campaign.objects.get(brokerage_id=brokerage_id)
        stage = ["brand"]
        try:
            _advance(api, brand, campaign, stage)
        except TwilioApiError as error:
            if error.transient:
                logger.warning("Polling brokerage %s: %s; next time", brokerage_id, error)
                return ""
            _fail(brand, campaign, error, stage=stage[0])
        return overall_status(brand, campaign)
