"""An account belongs to a brokerage before it uses the product.

Django's admin site makes an account in two steps: a username and password,
then (on the next page) the brokerage and role. In between, the account can
log in. Everything a person does here (contacts, texts, consent) belongs to
a brokerage, so until the account has one it sees only a page that says so;
Django's admin site, logging in and out, and Twilio's webhooks are not
affected.
"""

from django.shortcuts import render

# Paths that do not need a brokerage: Django's admin site (where a
# superuser makes accounts), logging in and out, and Twilio's webhooks.
OPEN_PATHS = ("/admin/", "/login/", "/logout/", "/webhooks/")


class BrokerageRequiredMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # The path is checked first, so that a webhook never loads a session.
        if not request.path.startswith(OPEN_PATHS):
            user = request.user
            if user.is_authenticated and user.brokerage_id is None:
                return render(request, "brokerages/no_brokerage.html", status=403)
        return self.get_response(request)
