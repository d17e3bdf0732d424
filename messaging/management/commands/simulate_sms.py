from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from contacts.phones import InvalidPhoneNumber, normalize_phone
from messaging import simulator


class Command(BaseCommand):
    help = (
        "Post a signed inbound-SMS webhook, with every parameter Twilio sends, "
        "to a running server, as if a contact had texted a BAY Number."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="from_phone", required=True, help="Contact's phone")
        parser.add_argument("--to", dest="to_phone", required=True, help="BAY Number")
        parser.add_argument("--body", default="", help="The text (may be empty)")
        parser.add_argument(
            "--server",
            default="http://127.0.0.1:8000",
            help="Where the server listens (default http://127.0.0.1:8000)",
        )

    def handle(self, *args, **options):
        try:
            from_phone = normalize_phone(options["from_phone"])
            to_phone = normalize_phone(options["to_phone"])
        except InvalidPhoneNumber as error:
            raise CommandError(str(error)) from None

        params = simulator.inbound_params(
            from_phone=from_phone, to_phone=to_phone, body=options["body"]
        )
        try:
            status, body = simulator.post_over_http(server=options["server"], params=params)
        except OSError as error:
            raise CommandError(f"Could not reach {options['server']}: {error}") from None
        self.stdout.write(f"{params['MessageSid']} -> HTTP {status}")
        self.stdout.write(body)
        if status == 403:
            raise CommandError(
                f"The server answered HTTP 403: it did not accept the signature, made for "
                f"{settings.PUBLIC_BASE_URL}. Give this command the PUBLIC_BASE_URL the server "
                "has (make run uses http:// and its RUN_ADDR)."
            )
        if status >= 400:
            raise CommandError(f"The server answered HTTP {status}")
