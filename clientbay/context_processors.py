from django.conf import settings


def product(request):
    """Flags every template may need."""
    return {"dev_phone_enabled": settings.DEV_PHONE_ENABLED}
