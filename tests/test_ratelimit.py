"""The login limiter: counts failures in a sliding window, forgets old ones."""

from __future__ import annotations

from dragoman.core.ratelimit import SlidingWindowLimiter


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_blocks_after_the_limit_until_the_window_passes() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(limit=3, window_seconds=60, clock=clock)
    for _ in range(3):
        assert limiter.retry_after("ip:1") == 0
        limiter.hit("ip:1")
    assert limiter.retry_after("ip:1") == 60
    assert limiter.retry_after("ip:2") == 0  # others are not affected
    clock.now += 30
    assert limiter.retry_after("ip:1") == 30
    clock.now += 30
    assert limiter.retry_after("ip:1") == 0
    limiter.hit("ip:1")
    limiter.reset("ip:1")
    assert limiter.retry_after("ip:1") == 0


def test_keys_whose_attempts_aged_out_are_forgotten() -> None:
    clock = FakeClock()
    limiter = SlidingWindowLimiter(limit=5, window_seconds=60, clock=clock)
    for n in range(999):
        limiter.hit(f"email:{n}@example.test")
    assert limiter.tracked_keys() == 999
    clock.now += 61
    limiter.hit("email:late@example.test")  # the 1000th hit sweeps
    assert limiter.tracked_keys() == 1
