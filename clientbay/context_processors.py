from django.conf import settings

# URL names that belong to another tab than their app's.
_SECTIONS = {
    "messaging:templates": "templates",
    "messaging:template_edit": "templates",
    "messaging:template_delete": "templates",
    "messaging:dev_phone": "dev_phone",
}


def product(request):
    """Flags every template may need, and which main tab the page is in."""
    match = getattr(request, "resolver_match", None)
    section = ""
    if match is not None:
        section = _SECTIONS.get(match.view_name, match.app_name)
    return {"dev_phone_enabled": settings.DEV_PHONE_ENABLED, "nav_section": section}
