from django.conf import settings

# URL names that belong to another main tab than their app's.
_SECTIONS = {
    "messaging:templates": "templates",
    "messaging:template_edit": "templates",
    "messaging:template_delete": "templates",
    "messaging:dev_phone": "dev_phone",
    "optin:reviews": "reviews",
    "optin:review_decide": "reviews",
    "messaging:held_text_decide": "reviews",
    "optin:contact_consent": "contacts",
    "optin:record_optout": "contacts",
    "optin:proof": "contacts",
    "optin:do_not_text": "brokerage",
    "optin:do_not_text_edit": "brokerage",
    "optin:do_not_text_remove": "brokerage",
    "optin:export": "brokerage",
}
# Every page of these apps sits under the Brokerage menu.
_APP_SECTIONS = {"registration": "brokerage"}


def _open_review_count(user):
    """Possible opt-outs to decide, and texts held for review."""
    from messaging.selectors import held_texts
    from optin.selectors import open_reviews

    return open_reviews(user).count() + held_texts(user).count()


def product(request):
    """Flags every template may need, and which main tab the page is in.

    The count of possible opt-outs is a callable, so it is queried only by a
    page that shows it, never by a fragment.
    """
    match = getattr(request, "resolver_match", None)
    section = ""
    if match is not None:
        section = _SECTIONS.get(match.view_name) or _APP_SECTIONS.get(
            match.app_name, match.app_name
        )
    user = getattr(request, "user", None)
    context = {"dev_phone_enabled": settings.DEV_PHONE_ENABLED, "nav_section": section}
    if user is not None and user.is_authenticated:
        context["open_review_count"] = lambda: _open_review_count(user)
    return context
