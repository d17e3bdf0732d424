"""The people agents text: their contacts and leads."""

from django.conf import settings
from django.db import models

from clientbay.models import TimeStampedModel
from contacts.phones import display_phone


class Contact(TimeStampedModel):
    class Kind(models.TextChoices):
        CONTACT = "contact", "Contact"
        LEAD = "lead", "Lead"

    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contacts"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=16, help_text="E.164, e.g. +12025550142.")
    email = models.EmailField(blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CONTACT)
    invalid_phone_reason = models.CharField(
        max_length=200,
        blank=True,
        help_text="Set when Twilio reported the number cannot take texts.",
    )

    class Meta:
        ordering = ["first_name", "last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "phone"], name="contact_unique_phone_per_agent"
            )
        ]
        indexes = [models.Index(fields=["phone"])]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def initials(self) -> str:
        """What the contact's avatar shows: the first letters of the names."""
        return (self.first_name[:1] + self.last_name[:1]).upper()

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone)
