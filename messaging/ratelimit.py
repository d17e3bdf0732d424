"""The send-rate limit of each BAY Number, shared by every worker.

A sliding one-second log per number in Redis: a send takes a slot only if
fewer than the number's limit were taken in the last second, checked and
taken in one Lua script, so two workers can never both take the last slot.
The clock is Redis's own (TIME), the same for every worker. A worker that
finds no slot gets the seconds to wait and re-schedules its task rather than
sleeping. Each window is lengthened by SMS_RATE_GUARD_MS to absorb the few
milliseconds between taking a slot and the request reaching Twilio.

Without Redis (SMS_REDIS_URL unset: development, eager tests) there is no
limit: texts go as fast as the single process sends them.
"""

import dataclasses
import functools
import math
import uuid
from decimal import Decimal

from django.conf import settings

from messaging.redis_client import get_redis, key

# KEYS: one sorted set per limit. ARGV: take (1) or only look (0), a unique
# member, then (window in microseconds, limit) for each key. Returns 0 when
# every limit has room (and, when taking, a slot was taken in each), else the
# microseconds until the fullest one has room.
_SLIDING_LOG = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000000 + tonumber(now_parts[2])
local take = ARGV[1] == '1'
local wait = 0
for i, name in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  local limit = tonumber(ARGV[2 * i + 2])
  redis.call('ZREMRANGEBYSCORE', name, '-inf', now - window)
  local used = redis.call('ZCARD', name)
  if used >= limit then
    local freeing = redis.call('ZRANGE', name, used - limit, used - limit, 'WITHSCORES')
    local until_free = tonumber(freeing[2]) + window - now
    if until_free > wait then wait = until_free end
  end
end
if wait > 0 or not take then return wait end
for i, name in ipairs(KEYS) do
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZADD', name, now, ARGV[2] .. ':' .. i)
  redis.call('PEXPIRE', name, math.ceil(window / 1000) + 1000)
end
return 0
"""


@dataclasses.dataclass(frozen=True)
class Limit:
    """At most `count` sends in any `window` seconds, under one Redis key."""

    name: str
    count: int
    window: float


# The longest window a fractional rate of one or more a second is spread over.
_LONGEST_WINDOW = 10


def limit_for_rate(name: str, rate_mps: Decimal | float) -> Limit:
    """Turn texts per second into a sliding-window limit whose window never
    holds more than the rate allows, and which uses it all with a backlog.

    A whole rate is its count a second. A fractional one takes the shortest
    window of whole seconds that holds a whole number of texts: 1.5 a second
    becomes 3 every 2 seconds, 4.75 becomes 19 every 4. Rounding it down to a
    second (1.5 to 1) would waste a third of a campaign's throughput. Where
    no window up to ten seconds fits, ten seconds' worth is rounded down. A
    rate under one a second is one text every 1/rate seconds.
    """
    rate = Decimal(str(rate_mps))
    if rate < 1:
        return Limit(name, 1, float(1 / rate))
    for window in range(1, _LONGEST_WINDOW + 1):
        count = rate * window
        if count == count.to_integral_value():
            return Limit(name, int(count), float(window))
    return Limit(name, math.floor(rate * _LONGEST_WINDOW), float(_LONGEST_WINDOW))


def limits_for(bay_number) -> list[Limit]:
    """The limits a text from `bay_number` must fit: its own, and its
    brokerage's (campaign) limit when SMS_BROKERAGE_RATE_MPS is set."""
    limits = [limit_for_rate(key("rate", "bay", bay_number.pk), bay_number.rate_mps)]
    if settings.SMS_BROKERAGE_RATE_MPS:
        limits.append(
            limit_for_rate(
                key("rate", "brokerage", bay_number.brokerage_id), settings.SMS_BROKERAGE_RATE_MPS
            )
        )
    return limits


def is_active() -> bool:
    """Whether sends are limited (only with a shared Redis)."""
    return get_redis() is not None


def _run(limits: list[Limit], *, take: bool) -> float:
    client = get_redis()
    if client is None or not limits:
        return 0.0
    guard_us = settings.SMS_RATE_GUARD_MS * 1000
    args = [1 if take else 0, uuid.uuid4().hex]
    for limit in limits:
        args += [round(limit.window * 1_000_000) + guard_us, limit.count]
    script = _script(client)
    wait_us = script(keys=[limit.name for limit in limits], args=args, client=client)
    return int(wait_us) / 1_000_000


@functools.cache
def _script(client):
    # A Script sends EVALSHA and falls back to EVAL after a Redis restart.
    return client.register_script(_SLIDING_LOG)


def acquire(limits: list[Limit]) -> float:
    """Take a slot under every limit at once; return 0.0 on success, else
    the seconds to wait before asking again (nothing is taken then)."""
    return _run(limits, take=True)


def wait_time(limits: list[Limit]) -> float:
    """The seconds until a slot would be free under every limit, taking none."""
    return _run(limits, take=False)
