"""BAY Numbers and every text that goes through them, in either direction."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
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
    # Carriers give each 10DLC number a throughput; blank uses
    # SMS_DEFAULT_RATE_MPS. Every worker shares this limit through Redis.
    send_rate_mps = models.DecimalField(
        "send rate (texts per second)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    # Set when the carrier says the number's campaign is not registered
    # (error 30034): its queued texts wait instead of failing one by one.
    sending_held_at = models.DateTimeField(null=True, blank=True)
    sending_held_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = "BAY Number"
        ordering = ["phone_number"]

    def __str__(self):
        return self.display

    @property
    def display(self) -> str:
        return display_phone(self.phone_number)

    @property
    def rate_mps(self) -> Decimal:
        """The texts per second this number may send."""
        return self.send_rate_mps or Decimal(str(settings.SMS_DEFAULT_RATE_MPS))


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
        # An opt-in request that waited for texting hours while the contact
        # answered anyway.
        NOT_NEEDED = "not_needed", "Not sent: no longer needed"
        RECEIVED = "received", "Received"
        NEEDS_REVIEW = "needs_review", "Needs review: it may or may not have gone out"

    direction = models.CharField(max_length=8, choices=Direction.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.REGULAR)
    # Indexed by the (bay_number, phone, created_at) indexes below; its own
    # index would only slow every insert.
    bay_number = models.ForeignKey(
        BayNumber,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,
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
    # Unique through Meta.constraints: a unique field would also get a LIKE
    # index that no query uses and every insert pays for.
    twilio_sid = models.CharField(max_length=34, null=True, blank=True)
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
    # Outbound delivery: the earliest time the text may go (quiet hours), when
    # its task last went to the broker, and when a worker claimed it.
    not_before = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # The carrier's "done" time from the delivery receipt (RawDlrDoneDate),
    # as given: YYMMDDhhmm in a zone that varies by carrier.
    dlr_done_date = models.CharField(max_length=20, blank=True)
    bulk_send = models.ForeignKey(
        "BulkSend",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        db_index=False,  # the (bulk_send, status) index serves it
    )
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
            models.Index(fields=["bulk_send", "status"]),
            # The periodic retry looks for inbound texts whose handling failed.
            # Without this index it read every text older than its cut-off, a
            # scan growing with the whole history; this one holds only the few
            # texts still unprocessed, and an ordinary reply never enters it.
            models.Index(
                fields=["id"],
                condition=models.Q(direction="inbound", processed_at__isnull=True),
                name="message_unprocessed_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["twilio_sid"], name="message_twilio_sid_unique"),
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

    @property
    def not_before_local(self):
        """When a text waiting for quiet hours goes, in the recipient's time."""
        if self.not_before is None:
            return None
        from messaging.quiet_hours import recipient_local_time

        return recipient_local_time(self.to_phone, self.not_before)


class StatusReceipt(models.Model):
    """One status callback from Twilio, kept once per (MessageSid, status).

    The unique pair makes a repeated callback a no-op, decided by the
    database. A receipt that arrives before the send recorded its SID waits
    here, unapplied, until the SID is known.
    """

    message_sid = models.CharField(max_length=34)
    status = models.CharField(max_length=20)
    message = models.ForeignKey(
        Message, on_delete=models.CASCADE, null=True, blank=True, related_name="receipts"
    )
    error_code = models.CharField(max_length=10, blank=True)
    raw_dlr_done_date = models.CharField(max_length=20, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message_sid", "status"], name="status_receipt_unique_sid_status"
            )
        ]
        indexes = [
            models.Index(
                fields=["message_sid"],
                condition=models.Q(applied_at__isnull=True),
                name="status_receipt_unapplied",
            )
        ]

    def __str__(self):
        return f"{self.message_sid} {self.status}"


class BulkSend(TimeStampedModel):
    """One text, with merge fields, that an agent sent to many contacts.

    Each recipient's text is a Message pointing here; the ones the consent
    gate (or a bad number) kept back are listed in `skipped` with the reason.
    """

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="bulk_sends"
    )
    bay_number = models.ForeignKey(BayNumber, on_delete=models.PROTECT, related_name="+")
    body = models.TextField()
    recipients = models.PositiveIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    # [{"contact_id", "name", "reason_code", "reason"}, ...]
    skipped = models.JSONField(default=list, blank=True)
    # The form's own token: the same form posted twice (a double click) is
    # one bulk send.
    submission = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "submission"], name="bulk_send_unique_submission"
            )
        ]

    def __str__(self):
        return f"Bulk send #{self.pk}"


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
