"""The lock that keeps a periodic job from running twice at once.

With Redis (SMS_REDIS_URL, workers in several processes and machines) the
lock is a Redis key with an expiry, so a worker that dies holding it frees it
after `timeout`. Without Redis every task runs in this process, and a
process-wide lock is enough.
"""

import contextlib
import logging
import threading

import redis

from messaging.redis_client import get_redis, key

logger = logging.getLogger(__name__)

_local_locks: dict[str, threading.Lock] = {}
_local_guard = threading.Lock()


@contextlib.contextmanager
def job_lock(name: str, *, timeout: int):
    """Yield True while this run holds the lock `name`, False while another
    run does (the caller then skips its work)."""
    client = get_redis()
    if client is None:
        with _local_lock(name) as held:
            yield held
        return

    lock = client.lock(key("lock", name), timeout=timeout, blocking=False)
    if not lock.acquire():
        logger.info("Job %s is already running; this run skips", name)
        yield False
        return
    try:
        yield True
    finally:
        try:
            lock.release()
        except redis.exceptions.LockError:
            logger.warning("Lock %s expired before its job finished", name)


@contextlib.contextmanager
def _local_lock(name: str):
    with _local_guard:
        lock = _local_locks.setdefault(name, threading.Lock())
    held = lock.acquire(blocking=False)
    try:
        yield held
    finally:
        if held:
            lock.release()
