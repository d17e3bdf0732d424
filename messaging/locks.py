"""Locks that keep a periodic job from running twice at once.

With Redis (SMS_REDIS_URL) the lock is a Redis key with an expiry, so a
worker that dies holding it frees it after `timeout`. Without Redis there is
one process and nothing to lock against.
"""

import contextlib
import logging

from messaging.redis_client import get_redis, key

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def job_lock(name: str, *, timeout: int):
    """Yield True while holding the job's lock, False if another run holds it."""
    client = get_redis()
    if client is None:
        yield True
        return

    lock = client.lock(key("lock", name), timeout=timeout, blocking=False)
    if not lock.acquire():
        logger.info("Job %s is already running; this run skips", name)
        yield False
        return
    try:
        yield True
    finally:
        with contextlib.suppress(Exception):
            lock.release()
