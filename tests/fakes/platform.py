"""What every fake bot platform shares: a `/bot<token>/<method>` server on 127.0.0.1 (random port)
that records every request as a `Call`, misbehaves on demand (`add_fault`: an error status, a
flood limit, a slow or hung answer, per method and per chat) and answers `{"ok": ...}` JSON.

Telegram's and Zalo's fakes subclass it with their methods, their error bodies and their update
shapes, so that the channel code under test meets the platform's wire format, not a mock.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

from aiohttp import web

#: Uploads up to 50 MB: aiohttp's default limit (1 MiB) would turn a large photo into a 413 the
#: real platforms never send.
MAX_UPLOAD = 50 * 1024 * 1024


@dataclass
class Call:
    """One request as the fake received it; tests assert on these rather than on logs."""

    method: str
    params: dict[str, Any]
    at: float
    files: dict[str, int]
    #: What the fake answered with ("result" of a successful call), None after an error.
    result: Any = None


@dataclass
class Fault:
    """How to misbehave for matching requests, until used up (`times`) or expired (`until`)."""

    method: str | None
    chat_id: str | None
    status: int
    description: str
    retry_after: int | None
    delay: float
    times: int | None
    until: float | None

    def matches(self, call: Call) -> bool:
        if self.times == 0 or (self.until is not None and time.monotonic() > self.until):
            return False
        if self.method is not None and self.method.lower() != call.method.lower():
            return False
        return self.chat_id is None or self.chat_id == str(call.params.get("chat_id"))


class ApiError(Exception):
    """An error answer (`ok: false`) raised by a method handler."""

    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


Method = Callable[[Call], Awaitable[Any]]


class FakePlatform:
    """Start it, point the client at `base_url`, then inspect `calls`. Every request that reaches
    the server is recorded, including those refused for a wrong token or an unknown method, so a
    test can also check what the code tried."""

    #: Whether method names are matched exactly (Zalo) or without regard to case (Telegram).
    case_sensitive = False
    #: The descriptions of error statuses a fault gives when it names none.
    descriptions: ClassVar[dict[int, str]] = {}

    def __init__(self, token: str) -> None:
        self.token = token
        self.port = 0
        self.base_url = ""
        self.calls: list[Call] = []
        #: Called with each call the fake answered successfully, once its `result` is set.
        self.listeners: list[Callable[[Call], None]] = []
        self._faults: list[Fault] = []
        self._runner: web.AppRunner | None = None

    def methods(self) -> dict[str, Method]:
        """The platform's methods by name (lower case unless `case_sensitive`)."""
        raise NotImplementedError

    def routes(self) -> list[web.RouteDef]:
        """Routes beside the methods (a platform's file downloads)."""
        return []

    async def read_params(self, request: web.Request) -> tuple[dict[str, Any], dict[str, int]]:
        """The request's fields, and the sizes of the files it uploaded."""
        raise NotImplementedError

    def error(self, status: int, description: str, retry_after: int | None = None) -> web.Response:
        return web.json_response(
            {"ok": False, "error_code": status, "description": description}, status=status
        )

    async def start(self) -> None:
        self._methods = self.methods()
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle, allow_head=False)
        app.add_routes(self.routes())
        # Cancelling handlers whose client went away lets a hung answer (a long `delay`) end with
        # the test; a short shutdown timeout keeps `stop` quick while a request is still held.
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.1, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def calls_of(self, method: str) -> list[Call]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def add_fault(
        self,
        method: str | None = None,
        *,
        chat_id: str | int | None = None,
        status: int = 0,
        description: str = "",
        retry_after: int | None = None,
        delay: float = 0.0,
        times: int | None = None,
        until: float | None = None,
    ) -> Fault:
        """Make matching requests fail or stall; the first matching fault added wins."""
        if status and not description:
            description = self.descriptions.get(status) or HTTPStatus(status).phrase
        fault = Fault(
            method=method,
            chat_id=None if chat_id is None else str(chat_id),
            status=status,
            description=description,
            retry_after=retry_after,
            delay=delay,
            times=times,
            until=until,
        )
        self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self._faults.clear()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        """Wait until the code under test, running concurrently, has done something observable."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() >= deadline:
                recent = ", ".join(call.method for call in self.calls[-10:]) or "none"
                name = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(f"{name} still false after {timeout} s; last calls: {recent}")
            await asyncio.sleep(0.01)

    async def _handle(self, request: web.Request) -> web.Response:
        arrived = time.monotonic()
        params, files = await self.read_params(request)
        call = Call(method=request.match_info["method"], params=params, at=arrived, files=files)
        return await self.answer(call, request.match_info["token"])

    async def answer(self, call: Call, token: str) -> web.Response:
        """Records `call` and answers it, through its faults, as the platform would."""
        self.calls.append(call)
        if token != self.token:
            return self.error(401, "Unauthorized")
        fault = next((fault for fault in self._faults if fault.matches(call)), None)
        if fault is not None:
            if fault.times is not None:
                fault.times -= 1
            await asyncio.sleep(fault.delay)
            if fault.status:
                return self.error(fault.status, fault.description, fault.retry_after)
        name = call.method if self.case_sensitive else call.method.lower()
        handler = self._methods.get(name)
        if handler is None:
            return self.error(404, "Not Found: method not found")
        try:
            result = await handler(call)
        except ApiError as error:
            return self.error(error.status, error.description)
        call.result = result
        for listener in self.listeners:
            listener(call)
        return web.json_response({"ok": True, "result": result})
