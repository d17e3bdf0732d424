"""One reader for every setting that comes from the environment."""

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str | None = None) -> str | None:
    """Return the variable's value, or `default` when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def env_bool(name: str, default: bool = False) -> bool:
    """Return the variable as a boolean; a value that is not a boolean is an error."""
    value = os.environ.get(name)
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1/0, true/false, yes/no or on/off, not {value!r}")


def env_list(name: str, default: list[str]) -> list[str]:
    """Return a comma-separated variable as a list of its non-empty items."""
    value = env_str(name)
    if value is None:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    """Return the variable as an integer; a value that is not one is an error."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def env_float(name: str, default: float) -> float:
    """Return the variable as a number; a value that is not one is an error."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {value!r}") from None


def env_required(name: str, why: str) -> str:
    """Return the variable, or stop start-up with the reason it is needed."""
    value = env_str(name)
    if value is None:
        raise ImproperlyConfigured(f"{name} is not set: {why}")
    return value


def env_base_url(name: str, *, default: str | None, require_https: bool, why: str) -> str:
    """Return a base URL (scheme, host, optional port; no path, query or
    fragment) with any trailing slash removed, or stop start-up saying why."""
    value = env_str(name, default)
    if value is None:
        value = env_required(name, why)
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(f"{name} must look like https://app.example.com, not {value!r}")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{name} must have no path, query or fragment: {value!r}")
    if require_https and parts.scheme != "https":
        raise ImproperlyConfigured(f"{name} must use https outside development: {value!r}")
    return f"{parts.scheme}://{parts.netloc}"
