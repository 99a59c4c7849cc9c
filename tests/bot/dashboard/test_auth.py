"""The sessions kept in memory stay bounded, and the wait after wrong passwords stays capped."""

from bot.dashboard.auth import MAX_DELAY, MAX_SESSIONS, Sessions, delay_after
from tests.bot.dashboard.conftest import FakeClock


def test_the_oldest_session_goes_when_too_many_are_open():
    clock = FakeClock()
    sessions = Sessions(clock)
    first, _ = sessions.open()
    tokens = []
    for _ in range(MAX_SESSIONS):
        clock.advance(1)
        tokens.append(sessions.open()[0])
    assert sessions.get(first) is None
    assert all(sessions.get(token) is not None for token in tokens)
    assert len({first, *tokens}) == MAX_SESSIONS + 1, "every token is new"


def test_the_wait_doubles_then_stays_capped_however_many_guesses():
    assert [delay_after(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]
    assert delay_after(100_000) == MAX_DELAY  # parallel guesses: no overflow
