"""The product's URLs, and a bare view served by the same stack."""

from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request):
    """The least a Django view can do: the baseline for the webhook."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("clientbay.urls")),
]
