"""The Celery broker transport: kombu's Redis transport, made to survive
Redis going away while a worker holds tasks.

When the connection to Redis drops, the worker closes its channel, and the
channel tries to put the tasks it holds (reserved, or waiting for their
countdown) back on the queue. By then kombu has already detached the
transport from its connection, so building a Redis client for that raised
AttributeError, which the worker treats as unrecoverable: every worker
holding a task exited for good at the first Redis outage.

Here that case raises Redis's own ConnectionError instead, which the closing
code expects and ignores; the worker then reconnects as it does for any
outage. The tasks it could not put back are not lost: their texts are still
queued rows, and the outbox's periodic run queues them again, at once when
Redis came back without its data, else after SMS_REQUEUE_AFTER_SECONDS.
"""

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class RedisChannel(kombu_redis.Channel):
    def _connparams(self, asynchronous=False):
        if self.connection.client is None:
            raise RedisConnectionError("The broker connection is closed; nothing to restore to.")
        return super()._connparams(asynchronous=asynchronous)


class RedisTransport(kombu_redis.Transport):
    Channel = RedisChannel
