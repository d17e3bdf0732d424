"""The shared send-rate limit, against a real Redis."""

import time
from decimal import Decimal

import pytest

from messaging import ratelimit, services, tasks
from messaging.models import Message
from messaging.ratelimit import Limit
from tests.factories import BayNumberFactory, OutboundMessageFactory
from tests.messaging import support
from tests.services import redis_url


@pytest.fixture
def redis_on(settings, request):
    """Turn the limit on, with keys of this test's own."""
    settings.SMS_REDIS_URL = redis_url()
    settings.SMS_REDIS_PREFIX = f"test-ratelimit-{request.node.name}"
    client = ratelimit.get_redis()
    yield client
    for name in client.scan_iter(f"{settings.SMS_REDIS_PREFIX}:*"):
        client.delete(name)


class LimitForRateTests:
    @pytest.mark.parametrize(
        ("rate", "count", "window"),
        [
            (1, 1, 1.0),
            (Decimal("3"), 3, 1.0),
            (2.5, 5, 2.0),
            (Decimal("1.50"), 3, 2.0),
            (Decimal("4.75"), 19, 4.0),
            (Decimal("1.37"), 13, 10.0),
            (0.5, 1, 2.0),
            (0.25, 1, 4.0),
        ],
    )
    def test_rate_becomes_a_window_never_above_it(self, rate, count, window):
        limit = ratelimit.limit_for_rate("k", rate)

        assert (limit.count, limit.window) == (count, window)

    @pytest.mark.django_db
    def test_number_without_a_rate_uses_the_default(self, settings):
        settings.SMS_DEFAULT_RATE_MPS = 1.0
        settings.SMS_BROKERAGE_RATE_MPS = None

        (limit,) = ratelimit.limits_for(BayNumberFactory())

        assert (limit.count, limit.window) == (1, 1.0)

    @pytest.mark.django_db
    def test_brokerage_limit_is_added_when_set(self, settings):
        settings.SMS_BROKERAGE_RATE_MPS = 3.0
        number = BayNumberFactory(send_rate_mps=Decimal("2"))

        own, brokerage = ratelimit.limits_for(number)

        assert (own.count, brokerage.count) == (2, 3)
        assert f"brokerage:{number.brokerage_id}" in brokerage.name


class SlidingLogTests:
    def test_without_redis_nothing_is_limited(self, settings):
        settings.SMS_REDIS_URL = None

        assert not ratelimit.is_active()
        assert ratelimit.acquire([Limit("any", 1, 1.0)]) == 0.0

    def test_takes_up_to_the_limit_then_says_how_long_to_wait(self, redis_on, settings):
        limit = [Limit(ratelimit.key("a"), 3, 1.0)]

        taken = [ratelimit.acquire(limit) for _ in range(3)]
        wait = ratelimit.acquire(limit)

        assert taken == [0.0, 0.0, 0.0]
        guard = settings.SMS_RATE_GUARD_MS / 1000
        assert 0 < wait <= 1.0 + guard
        assert redis_on.zcard(limit[0].name) == 3, "a refused call takes nothing"

    def test_slot_frees_when_the_window_slides_past(self, redis_on, settings):
        settings.SMS_RATE_GUARD_MS = 0
        limit = [Limit(ratelimit.key("b"), 1, 0.2)]
        assert ratelimit.acquire(limit) == 0.0

        wait = ratelimit.acquire(limit)
        time.sleep(wait + 0.01)

        assert ratelimit.acquire(limit) == 0.0

    def test_wait_time_looks_without_taking(self, redis_on):
        limit = [Limit(ratelimit.key("c"), 1, 1.0)]

        assert ratelimit.wait_time(limit) == 0.0
        assert ratelimit.acquire(limit) == 0.0
        assert ratelimit.wait_time(limit) > 0

    def test_all_limits_or_none(self, redis_on):
        """A send takes a slot under its number and its brokerage, or neither."""
        number_a = Limit(ratelimit.key("num-a"), 5, 1.0)
        number_b = Limit(ratelimit.key("num-b"), 5, 1.0)
        brokerage = Limit(ratelimit.key("brokerage"), 2, 1.0)

        assert ratelimit.acquire([number_a, brokerage]) == 0.0
        assert ratelimit.acquire([number_b, brokerage]) == 0.0
        assert ratelimit.acquire([number_a, brokerage]) > 0

        assert redis_on.zcard(number_a.name) == 1

    def test_limits_are_per_key(self, redis_on):
        one, other = Limit(ratelimit.key("x"), 1, 1.0), Limit(ratelimit.key("y"), 1, 1.0)

        assert ratelimit.acquire([one]) == 0.0
        assert ratelimit.acquire([other]) == 0.0


@pytest.mark.django_db
class RateLimitedSendTests:
    def test_send_over_the_limit_gives_back_its_claim_and_is_rescheduled(
        self, redis_on, bay_number, contact, outbox, monkeypatch
    ):
        support.opt_in(bay_number, contact.phone)
        first, second = (
            OutboundMessageFactory(bay_number=bay_number, contact=contact) for _ in range(2)
        )
        rescheduled = []
        monkeypatch.setattr(
            "messaging.outbox.enqueue_send",
            lambda pk, countdown=0, retries=0: rescheduled.append((pk, countdown, retries)),
        )

        assert tasks.send_sms.delay(first.pk).get() == "sent"
        assert tasks.send_sms.delay(second.pk).get() == "rate_limited"

        second.refresh_from_db()
        assert (second.status, second.attempts, second.claimed_at) == ("queued", 0, None)
        assert len(outbox) == 1
        ((pk, countdown, retries),) = rescheduled
        assert pk == second.pk and 0 < countdown <= 1.1 and retries == 0

    def test_a_rescheduled_send_keeps_the_retries_it_used(
        self, redis_on, bay_number, contact, outbox, monkeypatch
    ):
        """Otherwise a text failing at Twilio during a backlog, bouncing off
        the limit between tries, would be retried without end."""
        support.opt_in(bay_number, contact.phone)
        first, second = (
            OutboundMessageFactory(bay_number=bay_number, contact=contact) for _ in range(2)
        )
        services.sms_deliver(first.pk)
        published = []
        monkeypatch.setattr(
            tasks.send_sms, "apply_async", lambda args, **options: published.append(options)
        )

        tasks.send_sms.push_request(id="t-4", args=[second.pk], retries=4, called_directly=False)
        try:
            assert tasks.send_sms.run(second.pk) == "rate_limited"
        finally:
            tasks.send_sms.pop_request()

        ((options),) = published
        assert options["retries"] == 4 and 0 < options["countdown"] <= 1.1

    def test_an_unreachable_limit_sends_nothing_and_the_text_asks_again_later(
        self, redis_on, bay_number, contact, outbox, monkeypatch
    ):
        """Left claimed, it would be held for review as if it might have gone."""
        from redis.exceptions import ConnectionError as RedisConnectionError

        support.opt_in(bay_number, contact.phone)
        text = OutboundMessageFactory(bay_number=bay_number, contact=contact)

        def down(limits):
            raise RedisConnectionError("Connection refused")

        monkeypatch.setattr(ratelimit, "acquire", down)

        with pytest.raises(services.RateLimited) as limited:
            services.sms_deliver(text.pk)

        # Not a retry, so an outage longer than the retries fails nothing.
        assert limited.value.wait == services.LIMIT_UNREACHABLE_WAIT_SECONDS

        text.refresh_from_db()
        assert (text.status, text.attempts, text.claimed_at) == ("queued", 0, None)
        assert outbox == []

    def test_rate_limited_deliver_raises_with_the_wait(self, redis_on, bay_number, contact):
        support.opt_in(bay_number, contact.phone)
        texts = [OutboundMessageFactory(bay_number=bay_number, contact=contact) for _ in range(2)]

        services.sms_deliver(texts[0].pk)
        with pytest.raises(services.RateLimited) as limited:
            services.sms_deliver(texts[1].pk)

        assert 0 < limited.value.wait <= 1.05
        assert Message.objects.get(pk=texts[1].pk).status == Message.Status.QUEUED
