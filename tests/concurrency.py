"""Running one action in several threads at the same moment, as two copies
of a request arriving together would."""

import threading

from django.db import connection


def at_the_same_moment(action, copies: int = 2, timeout: float = 30) -> list:
    """Call `action()` in `copies` threads released together; return what
    the calls returned, in the order they finished. Each thread closes its
    own database connection, so the test database can be dropped after."""
    barrier, results = threading.Barrier(copies), []

    def run():
        barrier.wait()
        try:
            results.append(action())
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
