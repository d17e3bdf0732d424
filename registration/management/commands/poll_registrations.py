"""Ask Twilio about every registration under review, now (celery beat does
it every 15 minutes)."""

from django.core.management.base import BaseCommand

from registration.tasks import poll_registrations


class Command(BaseCommand):
    help = "Check brands and campaigns under review with Twilio and advance them."

    def handle(self, *args, **options):
        counts = poll_registrations()
        self.stdout.write(", ".join(f"{key}: {value}" for key, value in counts.items()))
