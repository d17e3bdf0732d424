"""Run the delivery's periodic jobs once, as Celery beat would.

Without Redis (development) nothing runs them on a schedule, so texts that
waited for the recipient's daytime or a held BAY Number go out when this is
run; in production it is a manual nudge, locked like the scheduled runs.
"""

from django.core.management.base import BaseCommand

from messaging import tasks


class Command(BaseCommand):
    help = "Queue due texts, flag stuck sends, retry unhandled inbound texts; print the counts."

    def handle(self, *args, **options):
        for job in (
            tasks.dispatch_queued_sms,
            tasks.flag_stuck_sms,
            tasks.retry_unprocessed_inbound,
        ):
            counts = job()
            listed = ", ".join(f"{name} {count}" for name, count in counts.items())
            self.stdout.write(f"{job.name.rsplit('.', 1)[-1]}: {listed}")
