"""A brokerage's A2P 10DLC registration (its brand and its campaign), the
Twilio calls that submitted it, and the alerts its admins must see.

US carriers carry texts from a 10-digit business number only when the
business (the brand) and what it texts about (the campaign) are registered
with The Campaign Registry, through Twilio. Every content field may be blank
while the registration is a draft; `registration.checks` says what is missing
or wrong before anything is submitted.
"""

from django.conf import settings
from django.db import models

from clientbay.models import TimeStampedModel


class RegistrationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    FAILED = "failed", "Failed"


class Brand(TimeStampedModel):
    """The business behind a brokerage's texts, as carriers will know it."""

    class BusinessType(models.TextChoices):
        # Twilio's values for the Trust Hub business information.
        SOLE_PROPRIETORSHIP = "Sole Proprietorship", "Sole proprietorship"
        PARTNERSHIP = "Partnership", "Partnership"
        LLC = "Limited Liability Corporation", "Limited liability company (LLC)"
        CO_OPERATIVE = "Co-operative", "Co-operative"
        NON_PROFIT = "Non-profit Corporation", "Non-profit corporation"
        CORPORATION = "Corporation", "Corporation"

    class CompanyType(models.TextChoices):
        PRIVATE = "private", "Private company"
        PUBLIC = "public", "Publicly traded company"
        NON_PROFIT = "non-profit", "Non-profit"
        GOVERNMENT = "government", "Government"

    class Industry(models.TextChoices):
        REAL_ESTATE = "REAL_ESTATE", "Real estate"
        FINANCIAL = "FINANCIAL", "Financial services"
        INSURANCE = "INSURANCE", "Insurance"
        CONSTRUCTION = "CONSTRUCTION", "Construction"
        LEGAL = "LEGAL", "Legal"
        PROFESSIONAL_SERVICES = "PROFESSIONAL_SERVICES", "Professional services"

    class Region(models.TextChoices):
        USA_AND_CANADA = "USA_AND_CANADA", "USA and Canada"
        LATIN_AMERICA = "LATIN_AMERICA", "Latin America"
        EUROPE = "EUROPE", "Europe"
        ASIA = "ASIA", "Asia"
        AFRICA = "AFRICA", "Africa"

    class JobPosition(models.TextChoices):
        DIRECTOR = "Director", "Director"
        GM = "GM", "General manager"
        VP = "VP", "Vice president"
        CEO = "CEO", "Chief executive officer"
        CFO = "CFO", "Chief financial officer"
        GENERAL_COUNSEL = "General Counsel", "General counsel"
        OTHER = "Other", "Other"

    class StockExchange(models.TextChoices):
        NONE = "NONE", "None"
        NASDAQ = "NASDAQ", "NASDAQ"
        NYSE = "NYSE", "NYSE"
        AMEX = "AMEX", "NYSE American (AMEX)"
        TSX = "TSX", "Toronto (TSX)"
        LON = "LON", "London (LSE)"
        OTHER = "OTHER", "Other"

    brokerage = models.OneToOneField(
        "brokerages.Brokerage", on_delete=models.PROTECT, related_name="brand"
    )
    legal_name = models.CharField(max_length=255, blank=True)
    ein = models.CharField("EIN", max_length=20, blank=True)
    business_type = models.CharField(max_length=40, choices=BusinessType.choices, blank=True)
    company_type = models.CharField(max_length=20, choices=CompanyType.choices, blank=True)
    industry = models.CharField(
        max_length=40, choices=Industry.choices, default=Industry.REAL_ESTATE, blank=True
    )
    regions = models.CharField(
        "regions of operation",
        max_length=40,
        choices=Region.choices,
        default=Region.USA_AND_CANADA,
        blank=True,
    )
    street = models.CharField(max_length=200, blank=True)
    street_secondary = models.CharField("suite or unit", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField("ZIP code", max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US")
    # Text, not URLField: a draft may hold a half-typed address; the checks
    # insist on an https URL before submission.
    website = models.CharField(max_length=300, blank=True)
    rep_first_name = models.CharField("first name", max_length=100, blank=True)
    rep_last_name = models.CharField("last name", max_length=100, blank=True)
    rep_title = models.CharField("business title", max_length=100, blank=True)
    rep_job_position = models.CharField(
        "job position", max_length=30, choices=JobPosition.choices, blank=True
    )
    rep_email = models.CharField("e-mail", max_length=254, blank=True)
    rep_phone = models.CharField("phone", max_length=32, blank=True)
    stock_exchange = models.CharField(
        max_length=20, choices=StockExchange.choices, default=StockExchange.NONE, blank=True
    )
    stock_ticker = models.CharField(max_length=10, blank=True)

    # What Twilio returned, kept so that a retried or corrected submission
    # updates these resources instead of creating (and paying for) new ones.
    customer_profile_sid = models.CharField(max_length=34, blank=True)
    business_info_sid = models.CharField(max_length=34, blank=True)
    representative_sid = models.CharField(max_length=34, blank=True)
    address_sid = models.CharField(max_length=34, blank=True)
    address_document_sid = models.CharField(max_length=34, blank=True)
    trust_product_sid = models.CharField(max_length=34, blank=True)
    messaging_profile_sid = models.CharField(max_length=34, blank=True)
    brand_registration_sid = models.CharField(max_length=34, blank=True)
    tcr_brand_id = models.CharField("TCR brand ID", max_length=20, blank=True)

    status = models.CharField(
        max_length=12, choices=RegistrationStatus.choices, default=RegistrationStatus.DRAFT
    )
    twilio_status = models.CharField(max_length=30, blank=True)
    failure_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)
    # Set while a worker submits or polls this registration, so that two
    # workers never create the same Twilio resources twice.
    claimed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return self.legal_name or f"Brand of brokerage #{self.brokerage_id}"

    @property
    def is_editable(self) -> bool:
        return self.status in (RegistrationStatus.DRAFT, RegistrationStatus.FAILED)

    @property
    def names(self) -> list[str]:
        """The names contacts may know the brand by: legal and brokerage name."""
        return [name for name in (self.legal_name, self.brokerage.name) if name.strip()]


class Campaign(TimeStampedModel):
    """What the brokerage's agents text about, and how contacts opt in."""

    class UseCase(models.TextChoices):
        MIXED = "MIXED", "Mixed: conversations, updates and listings"
        MARKETING = "MARKETING", "Marketing: listings and promotions"
        CUSTOMER_CARE = "CUSTOMER_CARE", "Customer care: answering clients"
        ACCOUNT_NOTIFICATION = "ACCOUNT_NOTIFICATION", "Account notifications"
        LOW_VOLUME = "LOW_VOLUME", "Low volume mixed (under 2,000 texts a day)"

    brokerage = models.OneToOneField(
        "brokerages.Brokerage", on_delete=models.PROTECT, related_name="campaign"
    )
    use_case = models.CharField(
        max_length=30, choices=UseCase.choices, default=UseCase.MIXED, blank=True
    )
    description = models.TextField(blank=True)
    message_flow = models.TextField(blank=True)
    message_samples = models.JSONField(default=list, blank=True)
    has_embedded_links = models.BooleanField(default=False)
    has_embedded_phone = models.BooleanField(default=False)
    opt_in_keywords = models.CharField(max_length=200, blank=True)
    opt_in_message = models.TextField(blank=True)
    opt_out_keywords = models.CharField(max_length=300, blank=True)
    opt_out_message = models.TextField(blank=True)
    help_keywords = models.CharField(max_length=200, blank=True)
    help_message = models.TextField(blank=True)
    privacy_policy_url = models.CharField(max_length=300, blank=True)
    terms_url = models.CharField("terms and conditions URL", max_length=300, blank=True)

    messaging_service_sid = models.CharField(max_length=34, blank=True)
    campaign_sid = models.CharField(max_length=34, blank=True)
    tcr_campaign_id = models.CharField("TCR campaign ID", max_length=20, blank=True)

    status = models.CharField(
        max_length=12, choices=RegistrationStatus.choices, default=RegistrationStatus.DRAFT
    )
    twilio_status = models.CharField(max_length=30, blank=True)
    failure_reason = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    status_checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Campaign of brokerage #{self.brokerage_id}"

    @property
    def is_editable(self) -> bool:
        return self.status in (RegistrationStatus.DRAFT, RegistrationStatus.FAILED)

    @property
    def samples(self) -> list[str]:
        return [sample for sample in self.message_samples if str(sample).strip()]


def keyword_list(text: str) -> list[str]:
    """Split a comma-separated keyword field into upper-case keywords, once each."""
    words = (word.strip().upper() for word in (text or "").split(","))
    return list(dict.fromkeys(word for word in words if word))


class RegistrationStep(models.Model):
    """One Twilio call of a submission and the SID it returned: the record of
    what was created at Twilio on the brokerage's behalf."""

    class Step(models.TextChoices):
        CUSTOMER_PROFILE = "customer_profile", "Secondary customer profile created"
        BUSINESS_INFO = "business_info", "Business information saved"
        REPRESENTATIVE = "representative", "Authorized representative saved"
        ADDRESS = "address", "Business address saved"
        ADDRESS_DOCUMENT = "address_document", "Address document created"
        ASSIGNMENT = "assignment", "Attached to a bundle"
        EVALUATION = "evaluation", "Bundle evaluated"
        PROFILE_SUBMITTED = "profile_submitted", "Customer profile submitted for review"
        TRUST_PRODUCT = "trust_product", "A2P trust product created"
        MESSAGING_PROFILE = "messaging_profile", "A2P messaging profile saved"
        TRUST_PRODUCT_SUBMITTED = "trust_product_submitted", "A2P trust product submitted"
        BRAND = "brand", "Brand registered"
        BRAND_RESUBMITTED = "brand_resubmitted", "Failed brand resubmitted"
        MESSAGING_SERVICE = "messaging_service", "Messaging Service created"
        SERVICE_NUMBER = "service_number", "BAY Number added to the Messaging Service"
        CAMPAIGN = "campaign", "Campaign registered"
        CAMPAIGN_DELETED = "campaign_deleted", "Failed campaign removed"
        FAILED = "failed", "Twilio refused a step"

    brokerage = models.ForeignKey(
        "brokerages.Brokerage", on_delete=models.PROTECT, related_name="registration_steps"
    )
    step = models.CharField(max_length=30, choices=Step.choices)
    sid = models.CharField(max_length=34, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_step_display()} {self.sid}".strip()


class RegistrationAlert(TimeStampedModel):
    """Something a brokerage admin must act on, such as carriers refusing a
    BAY Number's texts because its campaign is not registered (error 30034).

    One open alert per number and error code; repeats count up on it.
    """

    brokerage = models.ForeignKey(
        "brokerages.Brokerage", on_delete=models.PROTECT, related_name="registration_alerts"
    )
    bay_number = models.ForeignKey(
        "messaging.BayNumber",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="registration_alerts",
    )
    error_code = models.CharField(max_length=10)
    reason = models.CharField(max_length=300)
    occurrences = models.PositiveIntegerField(default=1)
    last_seen_at = models.DateTimeField()
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-last_seen_at", "-id"]

    def __str__(self):
        return f"Alert #{self.pk}: error {self.error_code}"

    @property
    def refused_by(self) -> str:
        """Who refuses the texts, as the alert's headline begins: Twilio's API
        (its codes 2xxxx, such as 20003 for credentials) or the carriers."""
        return "Twilio is" if self.error_code.startswith("2") else "Carriers are"
