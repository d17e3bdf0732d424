"""BAY Numbers and every text that goes through them, in either direction."""

from django.conf import settings
from django.db import models

from clientbay.models import TimeStampedModel
from contacts.phones import display_phone


class BayNumber(TimeStampedModel):
    """A brokerage's 10-digit business number (A2P 10DLC), used by one agent."""

    brokerage = models.ForeignKey(
        "brokerages.Brokerage", on_delete=models.PROTECT, related_name="bay_numbers"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="bay_numbers",
    )
    phone_number = models.CharField(max_length=16, unique=True, help_text="E.164.")
    twilio_sid = models.CharField(max_length=34, blank=True, help_text="PN…")
    messaging_service_sid = models.CharField(max_length=34, blank=True, help_text="MG…")
    friendly_name = models.CharField(max_length=64, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "BAY Number"
        ordering = ["phone_number"]

    def __str__(self):
        return self.display

    @property
    def display(self) -> str:
        return display_phone(self.phone_number)


class Message(TimeStampedModel):
    """One text, inbound or outbound. Outbound texts are rows before they are
    tasks; inbound ones are stored before anything else is done with them."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "Inbound"
        OUTBOUND = "outbound", "Outbound"

    class Kind(models.TextChoices):
        REGULAR = "regular", "Text from the agent"
        OPTIN_REQUEST = "optin_request", "Opt-in request"
        OPTIN_CONFIRMATION = "optin_confirmation", "Opt-in confirmation"
        OPTOUT_CONFIRMATION = "optout_confirmation", "Opt-out confirmation"
        HELP_REPLY = "help_reply", "HELP reply"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        BLOCKED_OPTED_OUT = "blocked_opted_out", "Not sent: the contact opted out"
        BLOCKED_NO_CONSENT = "blocked_no_consent", "Not sent: no consent"
        BLOCKED_UNREGISTERED = "blocked_unregistered", "Not sent: campaign not approved"
        RECEIVED = "received", "Received"

    direction = models.CharField(max_length=8, choices=Direction.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REGULAR)
    bay_number = models.ForeignKey(
        BayNumber, on_delete=models.PROTECT, null=True, blank=True, related_name="messages"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
    )
    # Phones are E.164; an inbound sender may also be a short code or other ID.
    from_phone = models.CharField(max_length=32)
    to_phone = models.CharField(max_length=32)
    body = models.TextField(blank=True)
    media = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    twilio_sid = models.CharField(max_length=34, null=True, blank=True, unique=True)
    error_code = models.CharField(max_length=10, blank=True)
    failure_reason = models.CharField(max_length=300, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # Inbound only: the webhook's whole form, and when handling finished.
    raw_payload = models.JSONField(default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # Inbound only: when the agent first saw it; unread while empty.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["bay_number", "to_phone", "created_at"]),
            models.Index(fields=["bay_number", "from_phone", "created_at"]),
            models.Index(fields=["status", "created_at"]),
            # The inbox groups a BAY Number's texts by contact, newest first.
            models.Index(
                fields=["bay_number", "contact", "created_at"], name="message_conversation_idx"
            ),
            models.Index(
                fields=["bay_number", "contact"],
                condition=models.Q(direction="inbound", read_at__isnull=True),
                name="message_unread_idx",
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} message #{self.pk}"

    @property
    def is_outbound(self) -> bool:
        return self.direction == self.Direction.OUTBOUND

    @property
    def counterpart_phone(self) -> str:
        """The contact's side of the conversation."""
        return self.to_phone if self.is_outbound else self.from_phone


class MessageTemplate(TimeStampedModel):
    """A text an agent saves to send again, with merge fields such as
    {first_name} filled in for each contact (see messaging.merge_fields)."""

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="message_templates"
    )
    name = models.CharField(max_length=80)
    body = models.TextField()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["agent", "name"], name="message_template_unique_name")
        ]

    def __str__(self):
        return self.name
