"""Consent to be texted, and the append-only ledger of every change to it.

Consent belongs to a phone number and the BAY Number that texts it, not to a
contact record: two contacts with one phone share one consent, and a STOP to
one BAY Number does not silence another.
"""

from django.conf import settings
from django.db import models

from clientbay.models import TimeStampedModel
from contacts.phones import display_phone


class ConsentState(models.TextChoices):
    NEVER_ASKED = "never_asked", "Never asked"
    PENDING = "pending", "Opt-in requested"
    OPTED_IN = "opted_in", "Opted in"
    OPTED_OUT = "opted_out", "Opted out"


class Consent(TimeStampedModel):
    """The current consent of one phone for one BAY Number. Change it only
    through `optin.services`, which writes the ledger row in the same
    transaction."""

    bay_number = models.ForeignKey(
        "messaging.BayNumber", on_delete=models.PROTECT, related_name="consents"
    )
    phone = models.CharField(max_length=16, help_text="E.164.")
    state = models.CharField(
        max_length=12, choices=ConsentState.choices, default=ConsentState.NEVER_ASKED
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    optin_requests_sent = models.PositiveSmallIntegerField(default=0)
    last_optin_request_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["bay_number", "phone"], name="consent_unique_phone")
        ]

    def __str__(self):
        return f"Consent #{self.pk} ({self.get_state_display()})"


class ConsentEventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("Consent events are append-only; they cannot be updated.")

    def delete(self):
        raise TypeError("Consent events are append-only; they cannot be deleted.")


class ConsentEvent(models.Model):
    """One change of consent, or one decision about it: the proof kept for
    carriers and courts.

    Rows are only ever inserted: the model and its queryset refuse to update
    or delete, and on PostgreSQL a trigger (migration 0002) refuses UPDATE and
    DELETE of any row, whatever the client. Every event changes the state
    (old_state != new_state) except the opt-in request sent again to a
    pending phone and the two review decisions that change nothing, which are
    recorded all the same.
    """

    class EventType(models.TextChoices):
        OPTIN_REQUESTED = "optin_requested", "Opt-in requested"
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"
        # A reviewed possible opt-out that changed no state: the decision is
        # proof in its own right, so it is a row with old_state == new_state.
        REVIEW_DISMISSED = "review_dismissed", "Possible opt-out reviewed: not an opt-out"
        REVIEW_UPHELD = "review_upheld", "Possible opt-out upheld: already opted out"

    class Source(models.TextChoices):
        INBOUND_KEYWORD = "inbound_keyword", "Keyword texted by the contact"
        TWILIO_OPT_OUT_TYPE = "twilio_opt_out_type", "Twilio Advanced Opt-Out"
        TWILIO_21610 = "twilio_21610", "Twilio error 21610 (unsubscribed at the carrier)"
        AGENT_ACTION = "agent_action", "Agent action"
        ADMIN_ACTION = "admin_action", "Admin action"
        REVIEW_DEADLINE = "review_deadline", "Review deadline passed"
        SYSTEM = "system", "System"

    consent = models.ForeignKey(Consent, on_delete=models.PROTECT, related_name="events")
    bay_number = models.ForeignKey(
        "messaging.BayNumber", on_delete=models.PROTECT, related_name="+"
    )
    phone = models.CharField(max_length=16)
    occurred_at = models.DateTimeField(db_index=True)
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    old_state = models.CharField(max_length=12, choices=ConsentState.choices)
    new_state = models.CharField(max_length=12, choices=ConsentState.choices)
    source = models.CharField(max_length=24, choices=Source.choices)
    inbound_message = models.ForeignKey(
        "messaging.Message",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    message_sid = models.CharField(max_length=34, blank=True)
    raw_text = models.TextField(blank=True)
    keyword = models.CharField(max_length=40, blank=True)
    acting_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    extra_data = models.JSONField(default=dict, blank=True)

    objects = ConsentEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["bay_number", "phone", "occurred_at"])]

    def __str__(self):
        return f"{self.get_event_type_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise TypeError("Consent events are append-only; they cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Consent events are append-only; they cannot be deleted.")


class OptOutReview(TimeStampedModel):
    """A reply that may be an opt-out, waiting for a person to decide.

    Opened when the classifier flags an inbound text; closed by the agent who
    owns the BAY Number or an admin of its brokerage, by the contact's own
    later keyword, or at `deadline` (10 business days, see
    `optin.deadlines`), when it counts as an opt-out. Each decision writes one
    ledger row, linked in `consent_event`.
    """

    class Decision(models.TextChoices):
        OPT_OUT = "opt_out", "Opt-out"
        NOT_OPT_OUT = "not_opt_out", "Not an opt-out"
        DEADLINE = "deadline", "Opt-out: nobody decided by the deadline"
        SUPERSEDED = "superseded", "Settled by a later consent change"

    inbound_message = models.OneToOneField(
        "messaging.Message", on_delete=models.PROTECT, related_name="optout_review"
    )
    bay_number = models.ForeignKey(
        "messaging.BayNumber", on_delete=models.PROTECT, related_name="optout_reviews"
    )
    phone = models.CharField(max_length=16)
    flagged_by = models.CharField(max_length=40, help_text="The word or phrase that raised it.")
    received_at = models.DateTimeField()
    deadline = models.DateTimeField()
    decision = models.CharField(max_length=12, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    note = models.TextField(blank=True)
    consent_event = models.ForeignKey(
        ConsentEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["deadline", "id"]
        indexes = [
            models.Index(
                fields=["deadline"],
                condition=models.Q(decided_at__isnull=True),
                name="optout_review_open_deadline",
            ),
            models.Index(fields=["bay_number", "phone"], name="optout_review_bay_phone"),
        ]

    def __str__(self):
        return f"Possible opt-out #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.decided_at is None


class DoNotTextEntry(TimeStampedModel):
    """A phone that nobody in a brokerage may text, kept by its admins.

    The list is the brokerage's own rule, not the contact's consent: adding a
    phone writes no consent ledger row (consent stays what the contact said),
    and the gate refuses every text to it from any of the brokerage's BAY
    Numbers. Removal only stamps `removed_at`, so the list keeps its history.
    """

    brokerage = models.ForeignKey(
        "brokerages.Brokerage", on_delete=models.PROTECT, related_name="do_not_text_entries"
    )
    phone = models.CharField(max_length=16, help_text="E.164.")
    note = models.CharField(max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    removed_at = models.DateTimeField(null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = "do-not-text entry"
        verbose_name_plural = "do-not-text list"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["brokerage", "phone"],
                condition=models.Q(removed_at__isnull=True),
                name="do_not_text_unique_active_phone",
            )
        ]
        indexes = [models.Index(fields=["brokerage", "phone"], name="do_not_text_brokerage_phone")]

    def __str__(self):
        return f"Do-not-text entry #{self.pk}"

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)
