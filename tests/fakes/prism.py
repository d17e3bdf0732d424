"""Prism, serving Twilio's OpenAPI descriptions on loopback, for the tests.

Prism answers each request with the example the description gives and
refuses (422) a request the description does not allow, so the real `twilio`
SDK can be tested over HTTP without reaching Twilio. One server per
description, started on first use and stopped when the test session ends.
"""

import copy
import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.services import free_port, prism_binary, twilio_spec

API_SPEC = "twilio_api_v2010.json"
MESSAGING_SPEC = "twilio_messaging_v1.json"
TRUSTHUB_SPEC = "twilio_trusthub_v1.json"
MESSAGES_PATH = "/2010-04-01/Accounts/{AccountSid}/Messages.json"

START_TIMEOUT = 60.0  # seconds; Prism takes about 2 s to load the API description


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict]:
    """Twilio's (legacy) error body, as its REST API answers."""
    more_info = f"https://www.twilio.com/docs/errors/{code}"
    return status, {"code": code, "message": message, "more_info": more_info, "status": status}


# Twilio-shaped error answers for creating a message, by example name; the
# description itself defines none. Select one with the header
# `Prefer: code=STATUS, example=NAME`. Codes: https://www.twilio.com/docs/api/errors
MESSAGE_ERRORS = {
    "opted_out": _twilio_error(400, 21610, "Attempt to send to unsubscribed recipient"),
    "invalid_to": _twilio_error(400, 21211, "Invalid 'To' Phone Number"),
    "rate_limited": _twilio_error(429, 20429, "Too Many Requests"),
    "server_error": _twilio_error(500, 20500, "An internal server error has occurred"),
    # Prism answers a request that breaks the description with the spec's 422
    # (or, without one, its 400) response: this keeps a client bug from
    # looking like a Twilio refusal. The violations are in `sl-violations`.
    "invalid_request": (
        422,
        {"message": "The request breaks Twilio's API description", "status": 422},
    ),
    # The RFC 9457 problem-details shape, which the SDK raises as a different
    # exception class (TwilioServiceException).
    "problem_details": (
        400,
        {
            "type": "https://www.twilio.com/docs/errors/21211",
            "title": "Invalid 'To' Phone Number",
            "status": 400,
            "code": 21211,
            "detail": "The 'To' number is not a valid phone number.",
        },
    ),
}


def with_message_errors(spec: dict) -> dict:
    """Return a copy of the 2010 API description whose "create a message"
    operation also answers the errors of MESSAGE_ERRORS, as named examples."""
    derived = copy.deepcopy(spec)
    responses = derived["paths"][MESSAGES_PATH]["post"]["responses"]
    for name, (status, body) in MESSAGE_ERRORS.items():
        response = responses.setdefault(
            str(status),
            {
                "description": f"Twilio error ({status})",
                "content": {"application/json": {"schema": {"type": "object"}, "examples": {}}},
            },
        )
        response["content"]["application/json"]["examples"][name] = {"value": body}
    return derived


def prefer_error(name: str) -> str:
    """Return the Prefer header value that selects error example `name`."""
    status = MESSAGE_ERRORS[name][0]
    return f"code={status}, example={name}"


class PrismServer:
    """One `prism mock` process on 127.0.0.1, serving one description."""

    def __init__(self, spec: Path, log_path: Path):
        self.spec = spec
        self.log_path = log_path
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        """Start Prism (the binary itself: stopping `npx` would leave it
        running) and wait until it answers."""
        command = [str(prism_binary()), "mock", "-h", "127.0.0.1", "-p", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, str(self.spec)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Prism exited with {self.process.returncode}: {self.log_tail()}"
                )
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            except OSError:
                time.sleep(0.2)
                continue
            return
        self.stop()
        raise RuntimeError(f"Prism did not answer in {START_TIMEOUT:.0f} s: {self.log_tail()}")

    def stop(self) -> None:
        """Stop the process group this server started, and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


class PrismFleet:
    """Prism servers by description name, each started on first use."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.servers: dict[str, PrismServer] = {}

    def base_url(self, spec_name: str) -> str:
        """Return the URL of the server for `spec_name`, starting it if needed."""
        server = self.servers.get(spec_name)
        if server is None:
            server = PrismServer(self._spec_path(spec_name), self.workdir / f"{spec_name}.log")
            server.start()
            self.servers[spec_name] = server
        return server.base_url

    def _spec_path(self, spec_name: str) -> Path:
        source = twilio_spec(spec_name)
        if spec_name != API_SPEC:
            return source
        derived = self.workdir / f"errors-{spec_name}"
        spec = json.loads(source.read_text(encoding="utf-8"))
        derived.write_text(json.dumps(with_message_errors(spec)), encoding="utf-8")
        return derived

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
