"""The one Redis connection the delivery code shares: the send-rate limit
and the periodic jobs' locks. None when SMS_REDIS_URL is unset."""

import functools

import redis
from django.conf import settings


def get_redis() -> redis.Redis | None:
    """Return a client for SMS_REDIS_URL, or None when there is no Redis."""
    url = settings.SMS_REDIS_URL
    return _client(url) if url else None


@functools.cache
def _client(url: str) -> redis.Redis:
    # Short timeouts: a Redis that does not answer must not hang a worker.
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)


def key(*parts) -> str:
    """A Redis key under this deployment's prefix."""
    return ":".join([settings.SMS_REDIS_PREFIX, *map(str, parts)])
