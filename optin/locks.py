"""A lock that keeps a periodic task from running twice at once.

With Redis (REDIS_URL set, workers in several processes) the lock is a Redis
key with a timeout, so a crashed worker cannot hold it for ever. Without
Redis every task runs in-process, and a process-wide lock is enough.
"""

import contextlib
import logging
import threading

import redis
from django.conf import settings

logger = logging.getLogger(__name__)

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


@contextlib.contextmanager
def task_lock(name: str, *, timeout: int):
    """Yield True when this run holds the lock `name`, False when another run
    does; the caller then skips its work. The lock expires after `timeout`
    seconds in Redis."""
    if settings.REDIS_URL:
        with _redis_lock(name, timeout=timeout) as held:
            yield held
        return

    with _local_guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    held = lock.acquire(blocking=False)
    try:
        yield held
    finally:
        if held:
            lock.release()


@contextlib.contextmanager
def _redis_lock(name: str, *, timeout: int):
    client = redis.Redis.from_url(settings.REDIS_URL)
    lock = client.lock(f"clientbay:lock:{name}", timeout=timeout, blocking=False)
    held = lock.acquire(blocking=False)
    try:
        yield held
    finally:
        if held:
            try:
                lock.release()
            except redis.exceptions.LockError:
                logger.warning("Lock %s expired before its task finished", name)
        client.close()
