"""What the console log says about refused requests and real faults."""

import io
import logging

import pytest
from django.urls import reverse

from clientbay.log_filters import RefusalWithoutTraceback
from tests.factories import AgentFactory


@pytest.fixture
def console():
    """What the configured console handler writes, while the test runs."""
    (handler,) = [
        handler
        for handler in logging.getLogger().handlers
        if any(isinstance(item, RefusalWithoutTraceback) for item in handler.filters)
    ]
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_a_refused_page_logs_one_line_and_no_traceback(client, console):
    client.force_login(AgentFactory())

    response = client.get(reverse("registration:status"))

    assert response.status_code == 403
    logged = console.getvalue()
    assert "WARNING django.request Forbidden (Permission denied): /registration/" in logged
    assert "Traceback" not in logged
    assert len(logged.strip().splitlines()) == 1


def test_a_server_error_keeps_its_traceback(console):
    try:
        raise RuntimeError("a real fault")
    except RuntimeError:
        logging.getLogger("django.request").exception(
            "Internal Server Error: /x/", extra={"status_code": 500}
        )

    logged = console.getvalue()
    assert "Traceback" in logged
    assert "RuntimeError: a real fault" in logged
