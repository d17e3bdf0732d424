"""Consent to be texted, and the append-only ledger of every change to it.

Consent belongs to a phone number and the BAY Number that texts it, not to a
contact record: two contacts with one phone share one consent, and a STOP to
one BAY Number does not silence another.
"""

from django.conf import settings
from django.db import models

from clientbay.models import TimeStampedModel


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
    """One change of consent: the proof kept for carriers and courts.

    Rows are only ever inserted: the model refuses to save an existing row or
    delete one, and on PostgreSQL a trigger refuses UPDATE and DELETE too.
    """

    class EventType(models.TextChoices):
        OPTIN_REQUESTED = "optin_requested", "Opt-in requested"
        OPTED_IN = "opted_in", "Opted in"
        OPTED_OUT = "opted_out", "Opted out"

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
