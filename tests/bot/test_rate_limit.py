"""The token bucket behind the web rate limits, on a fake clock."""

from bot.rate_limit import RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_up_to_the_limit_then_refusal_then_refill():
    clock = Clock()
    limiter = RateLimiter(60, clock)
    assert all(limiter.allow("a") for _ in range(60))
    assert not limiter.allow("a")
    assert limiter.retry_after("a") == 1
    clock.now += 1.0
    assert limiter.allow("a")
    assert not limiter.allow("a")


def test_keys_are_independent():
    limiter = RateLimiter(1, Clock())
    assert limiter.allow("a")
    assert limiter.allow("b")
    assert not limiter.allow("a")


def test_retry_after_tells_how_long_to_wait():
    limiter = RateLimiter(6, Clock())
    for _ in range(6):
        limiter.allow("a")
    assert limiter.retry_after("a") == 10
