"""WriteLimiter: the sliding window, with a fake clock (no real sleeping)."""

from __future__ import annotations

import pytest

from ga_goals.ga4.pacing import WriteLimiter
from tests.fake_clock import FakeClock


def limiter(limit: int = 3, window: float = 60.0) -> tuple[WriteLimiter, FakeClock]:
    clock = FakeClock()
    return WriteLimiter(limit, window, clock=clock, sleep=clock.sleep), clock


def write(lim: WriteLimiter, clock: FakeClock, duration: float = 0.0) -> float:
    with lim.slot() as waited:
        clock.now += duration
    return waited


def test_writes_under_the_limit_do_not_wait() -> None:
    lim, clock = limiter(3)
    assert [write(lim, clock) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert clock.sleeps == []


def test_the_fourth_write_waits_for_the_oldest_to_leave_the_window() -> None:
    lim, clock = limiter(3, 60.0)
    write(lim, clock)  # ends at 1000
    clock.now += 10
    write(lim, clock)  # ends at 1010
    write(lim, clock)
    assert lim.delay() == pytest.approx(50.0)
    assert write(lim, clock) == pytest.approx(50.0)  # waits until 1060
    assert clock.now == pytest.approx(1060.0)
    # The window now holds 1010, 1010, 1060: the next one waits for 1010 + 60.
    assert write(lim, clock) == pytest.approx(10.0)
    assert lim.waits == 2 and lim.waited == pytest.approx(60.0)


def test_no_window_ever_holds_more_than_the_limit() -> None:
    lim, clock = limiter(5, 1.0)
    ends = []
    for _ in range(40):
        write(lim, clock, duration=0.01)
        ends.append(clock.now)
    for i, end in enumerate(ends):
        assert sum(1 for e in ends if end - 1.0 < e <= end) <= 5, i
    # 40 writes at 5 per second take about 7 s (the first 5 need no wait).
    assert 6.9 < clock.now - 1000.0 < 8.5


def test_the_slot_is_counted_from_the_end_of_a_slow_write() -> None:
    lim, clock = limiter(1, 1.0)
    write(lim, clock, duration=0.7)  # starts at 1000, ends at 1000.7
    assert lim.delay() == pytest.approx(1.0)
    write(lim, clock)
    assert clock.now == pytest.approx(1001.7)


def test_a_failing_write_releases_its_slot() -> None:
    lim, clock = limiter(1, 1.0)
    with pytest.raises(RuntimeError):
        with lim.slot():
            raise RuntimeError("boom")
    assert lim.delay() == pytest.approx(1.0)
    write(lim, clock)
    assert clock.now == pytest.approx(1001.0)


def test_on_wait_is_told_how_long() -> None:
    lim, clock = limiter(1, 2.0)
    write(lim, clock)
    told: list[float] = []
    with lim.slot(on_wait=told.append):
        pass
    assert told == [pytest.approx(2.0)]


def test_exact_float_boundaries_terminate() -> None:
    # A fake clock advanced by exactly the computed delay must free the slot (no spin on 1e-16).
    clock = FakeClock()
    clock.now = 1e9 + 0.1
    lim = WriteLimiter(2, 0.3, clock=clock, sleep=clock.sleep)
    for _ in range(50):
        write(lim, clock)
    assert len(clock.sleeps) < 60


@pytest.mark.parametrize("limit, window", [(0, 1.0), (1, 0.0), (-1, 5.0)])
def test_rejects_nonsense(limit: int, window: float) -> None:
    with pytest.raises(ValueError):
        WriteLimiter(limit, window)
