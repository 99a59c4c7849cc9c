"""The dashboard's one shared password, the sessions it opens, and the brake on guessing it.

The office shares one password (`DASHBOARD_PASSWORD`), so there are no accounts: a right password
opens a session, a random token in an HttpOnly cookie, kept in memory only (a restart logs everyone
out, which is fine for a weekly report). The server keeps a hash of each token, so neither a
lookup's timing nor a memory dump gives a live token away.

Guessing is slowed per client address: each wrong password waits longer before its answer, and
after `LOCKOUT_AFTER` wrong ones in a row the address is refused for a while, right password or
not. The wait and the clock are injected, so tests check the delays without waiting for them.
"""

import asyncio
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from pydantic import SecretStr

#: A session lasts one working day, then the password is asked again.
SESSION_SECONDS = 12 * 3600
#: Sessions kept at most (the oldest goes first): one office, a handful of phones.
MAX_SESSIONS = 200
#: The wait after the first wrong password, doubled after each further one, up to `MAX_DELAY`.
FIRST_DELAY = 0.5
MAX_DELAY = 8.0
#: Wrong passwords in a row (each within `FAILURE_WINDOW` of the one before) that lock an address
#: out until `FAILURE_WINDOW` has passed since the last of them.
LOCKOUT_AFTER = 10
FAILURE_WINDOW = 15 * 60
#: Addresses remembered before those past their window are forgotten.
MAX_ADDRESSES = 10_000

Sleep = Callable[[float], Awaitable[object]]
Clock = Callable[[], float]


def password_matches(given: str, password: SecretStr) -> bool:
    """In constant time, so the answer's timing says nothing about how much of it was right."""
    return hmac.compare_digest(given.encode(), password.get_secret_value().encode())


def delay_after(failures: int) -> float:
    """The wait after the `failures`-th wrong password in a row (the exponent is capped: parallel
    guesses can push the count far past the lockout)."""
    return min(MAX_DELAY, FIRST_DELAY * 2 ** min(failures - 1, 16))


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    expires: float
    #: Sent back by the session's forms (logout), so another site cannot post them.
    csrf: str

    def csrf_matches(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self.csrf.encode())


class Sessions:
    def __init__(self, clock: Clock = time.monotonic, lifetime: float = SESSION_SECONDS) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self._open: dict[str, Session] = {}

    def open(self) -> tuple[str, Session]:
        """A new session and its token (for the cookie)."""
        now = self.clock()
        self._open = {key: s for key, s in self._open.items() if s.expires > now}
        while len(self._open) >= MAX_SESSIONS:
            del self._open[min(self._open, key=lambda key: self._open[key].expires)]
        token = secrets.token_urlsafe(32)
        session = Session(now + self.lifetime, secrets.token_urlsafe(32))
        self._open[_digest(token)] = session
        return token, session

    def get(self, token: str) -> Session | None:
        """The live session of `token`, or None (unknown or expired)."""
        if not token:
            return None
        session = self._open.get(_digest(token))
        if session is None or session.expires <= self.clock():
            return None
        return session

    def close(self, token: str) -> None:
        self._open.pop(_digest(token), None)


@dataclass
class _Failures:
    count: int
    last: float


class Brake:
    """Wrong passwords per client address: a growing wait after each, a lockout after many."""

    def __init__(self, sleep: Sleep = asyncio.sleep, clock: Clock = time.monotonic) -> None:
        self.sleep = sleep
        self.clock = clock
        self._failures: dict[str, _Failures] = {}

    def _current(self, address: str) -> _Failures | None:
        found = self._failures.get(address)
        if found is not None and self.clock() - found.last >= FAILURE_WINDOW:
            del self._failures[address]
            return None
        return found

    def locked_for(self, address: str) -> int:
        """Whole seconds `address` is still refused (0: it may try)."""
        found = self._current(address)
        if found is None or found.count < LOCKOUT_AFTER:
            return 0
        return max(1, math.ceil(found.last + FAILURE_WINDOW - self.clock()))

    async def failed(self, address: str) -> int:
        """Counts a wrong password from `address` (before waiting, so that parallel guesses are
        counted at once), then waits; returns how many in a row it has sent."""
        found = self._current(address) or _Failures(0, 0.0)
        found.count += 1
        found.last = self.clock()
        self._failures[address] = found
        if len(self._failures) > MAX_ADDRESSES:
            self._forget_old()
        await self.sleep(delay_after(found.count))
        return found.count

    def succeeded(self, address: str) -> None:
        self._failures.pop(address, None)

    def _forget_old(self) -> None:
        now = self.clock()
        for address in [a for a, f in self._failures.items() if now - f.last >= FAILURE_WINDOW]:
            del self._failures[address]
