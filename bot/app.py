"""The composition root: the only module that knows every part and wires them together.

Settings -> content (with the deployment's overrides and the villages from the database) -> store
-> conversation service -> channels on one aiohttp application, each push channel with its own
`Sender`. A new platform is one more entry in `channels()`, and nowhere else changes.
"""

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from bot import dashboard
from bot.channels import Channel
from bot.channels.console import ConsoleChannel
from bot.channels.console import chat as console_chat
from bot.channels.telegram import TelegramChannel
from bot.channels.web import WebChannel
from bot.channels.zalo import ZaloChannel
from bot.conversation import ConversationService
from bot.media import Media
from bot.redact import hide_secrets
from bot.reports.chat import ChatReports
from bot.reports.desk import ReportDesk
from bot.reports.push import push_weekly
from bot.requests import Requests
from bot.sender import Sender
from bot.settings import Settings
from bot.store import Store, StoreUnavailable, Tx, timestamp
from bot.timers import sweep_regularly
from flows import Content, load_content
from flows.places import Places, Village

log = logging.getLogger(__name__)
#: How often expired rows are deleted: a conversation without consent must be gone within a
#: day of its last message, so the purge runs well inside that.
PURGE_EVERY = timedelta(hours=1)
#: Seconds in-flight requests get to finish on SIGINT/SIGTERM (the process exits within 5 s).
SHUTDOWN_SECONDS = 3.0
#: Seconds a platform is asked to wait before sending again when the database is busy.
RETRY_AFTER = 5
_STORE: web.AppKey[Store] = web.AppKey("store", Store)


def village_from_row(row: dict[str, Any]) -> Village:
    """A village as the database keeps it (aliases joined with "|")."""
    aliases = tuple(a for a in str(row["aliases"] or "").split("|") if a)
    return Village(
        row["code"], row["name"], row["area"], row["commune"] or "", row["province"] or "", aliases,
        row["population"], row["target"],
    )  # fmt: skip


def open_store(
    settings: Settings,
    content: Content | None = None,
    on_stop: Callable[[BaseException], None] = lambda _: None,
) -> tuple[Store, Content]:
    """The database (created and migrated if needed) and the content it goes with: the office's
    texts (or `content`, for tests), the deployment's settings, and the village list the office
    imported. `on_stop` is told if the database writer ever stops for good."""
    content = (content or load_content()).configure(
        commune=settings.commune_name,
        video_url=settings.guide_video_url,
        retention_days=settings.retention_days,
        zone=settings.zone,
    )
    store = Store(settings.bot_db_path, list(content.places.villages), on_stop=on_stop).open()
    rows = store.call(lambda tx: tx.villages())
    return store, replace(content, places=Places(village_from_row(row) for row in rows))


def purge(tx: Tx, now: datetime, settings: Settings) -> dict[str, int]:
    """Deletes what has expired at `now`: conversations past their own expiry, and per-person
    rows idle longer than the retention period."""
    return tx.purge(timestamp(now), timestamp(now - timedelta(days=settings.retention_days)))


async def _purge_regularly(store: Store, settings: Settings, clock: Callable[[], datetime]) -> None:
    """Runs `purge` at start and then every `PURGE_EVERY`; a failed round is logged and tried
    again the next time."""
    while True:
        try:
            counts = await store.run(lambda tx: purge(tx, clock(), settings))
            log.info("retention purge: %s", counts)
        except Exception:
            log.exception("retention purge failed; trying again in %s", PURGE_EVERY)
        await asyncio.sleep(PURGE_EVERY.total_seconds())


def unfilled_warning(content: Content) -> str:
    """The office details still to fill in, in Vietnamese, for the person starting the helper."""
    return (
        f"Lưu ý: xã chưa điền {', '.join(content.unfilled())} trong content/office.toml (các chỗ ghi "
        "CẦN ĐIỀN). Người dân đang thấy nội dung mặc định ở những chỗ này."
    )


def public_base(settings: Settings) -> str:
    if settings.public_url:
        return settings.public_url
    log.warning(
        "PUBLIC_URL is not set: village QR codes point at http://%s:%s", settings.bot_host, settings.bot_port
    )
    return f"http://{settings.bot_host}:{settings.bot_port}"


def unavailable(content: Content) -> Any:
    """A middleware: when the database cannot take a write now (the writer's queue is full, the
    writer stopped, the disk is full, the file stayed locked), the request is answered 503 with a
    Retry-After, never 500: the platforms send the update again later, and nothing half-written
    was kept (each job is one transaction, rolled back on failure)."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except (StoreUnavailable, sqlite3.Error) as error:
            log.error("the database cannot take writes now (%s); %s answered 503", error, request.path)
            text = content.text("misc.busy")
            headers = {"Retry-After": str(RETRY_AFTER)}
            if request.path.startswith("/api/"):
                return web.json_response({"error": text}, status=503, headers=headers)
            return web.Response(status=503, text=text, headers=headers)

    return middleware


async def healthz(request: web.Request) -> web.Response:
    await request.app[_STORE].read(lambda tx: tx.count("villages"))
    return web.json_response({"ok": True})


def dashboard_url(settings: Settings) -> str | None:
    """The dashboard's public address, for links in chat: only when it is on and reachable."""
    if settings.public_url and settings.dashboard_password.get_secret_value():
        return f"{settings.public_url}/dashboard"
    return None


def channels(settings: Settings, service: ConversationService, content: Content, base: str) -> list[Channel]:
    """The channels this deployment runs: the web chat always, the others when configured."""
    found: list[Channel] = [WebChannel(service, settings, content)]
    if settings.telegram.configured:
        found.append(TelegramChannel(service, settings.telegram, content, base, settings.public_url))
    if settings.zalo.configured:
        found.append(ZaloChannel(service, settings.zalo, content, settings.public_url))
    return found


def build_app(
    settings: Settings,
    content: Content,
    store: Store,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> web.Application:
    """The web application: every configured channel with its routes, sender and background
    work; images; the health check; the hourly retention purge."""
    hide_secrets(settings.secrets())
    senders: dict[str, Sender] = {}
    desk = ReportDesk.from_settings(store, settings, clock)

    def wake(name: str) -> None:
        if name in senders:
            senders[name].wake()

    service = ConversationService(
        store,
        content,
        clock,
        wake=wake,
        retention=timedelta(days=settings.retention_days),
        # the channels that push are known once they are built: a live view of the senders
        requests=Requests(
            content, settings.officers, senders.keys(), ChatReports(desk, content, dashboard_url(settings))
        ),
    )
    base = public_base(settings)
    running = channels(settings, service, content, base)
    for channel in running:
        if channel.pacing is not None:
            senders[channel.name] = Sender(store, channel.name, channel.deliver, clock, pacing=channel.pacing)
    app = web.Application(
        client_max_size=max(channel.max_body for channel in running), middlewares=[unavailable(content)]
    )
    app[_STORE] = store
    for channel in running:
        channel.setup(app)
    dashboard.setup(app, desk, settings)
    telegram = next((channel for channel in running if isinstance(channel, TelegramChannel)), None)
    posters_bot = (lambda: telegram.username or None) if telegram else (lambda: None)
    app.add_routes(Media(content, base, telegram_bot=posters_bot).routes())
    app.add_routes([web.get("/healthz", healthz)])

    async def background(_: web.Application) -> AsyncIterator[None]:
        started: list[Channel] = []
        try:
            for channel in running:
                await channel.start()
                started.append(channel)
        except BaseException:
            for channel in reversed(started):
                await channel.stop()
            raise
        tasks = [asyncio.create_task(_purge_regularly(store, settings, clock))]
        tasks.append(
            asyncio.create_task(push_weekly(store, desk.scope, settings.officers, list(senders), clock, wake))
        )
        tasks.append(asyncio.create_task(sweep_regularly(service, set(senders), clock)))
        tasks.append(asyncio.create_task(desk.warm()))
        tasks += [asyncio.create_task(channel.run()) for channel in running]
        tasks += [asyncio.create_task(sender.run()) for sender in senders.values()]
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for channel in reversed(running):
            await channel.stop()

    app.cleanup_ctx.append(background)
    return app


def chat(settings: Settings, user: str) -> None:
    """The terminal chat, wired like every channel: the service, the console channel and its
    sender. Whoever types here has the machine and its database, so they are an officer
    (`/baocao` works)."""
    store, content = open_store(settings)
    try:
        if content.unfilled():
            print(unfilled_warning(content) + "\n")
        hide_secrets(settings.secrets())
        reports = ChatReports(ReportDesk.from_settings(store, settings), content, dashboard_url(settings))
        channel = ConsoleChannel(content, reports=reports)
        service = ConversationService(
            store,
            content,
            retention=timedelta(days=settings.retention_days),
            requests=Requests(content, settings.officers | {f"{channel.name}:{user}"}, (), reports),
        )
        console_chat(service, Sender(store, channel.name, channel.deliver, pacing=channel.pacing), user)
    finally:
        store.close()


def serve(settings: Settings) -> int:
    """Runs until SIGINT/SIGTERM (exit status 0); in-flight requests get `SHUTDOWN_SECONDS` to
    finish. If the database writer stops for good, the process stops at once with exit status 1,
    so that its supervisor (systemd's `Restart=on-failure`) starts it again: a helper that can no
    longer write must not go on answering errors."""
    writer_died: list[BaseException] = []

    def stop_serving(error: BaseException) -> None:  # on the writer thread
        writer_died.append(error)
        os.kill(os.getpid(), signal.SIGTERM)

    store, content = open_store(settings, on_stop=stop_serving)
    if content.unfilled():
        print(unfilled_warning(content), flush=True)
    try:
        app = build_app(settings, content, store)
        address = f"http://{settings.bot_host}:{settings.bot_port}"
        web.run_app(
            app,
            host=settings.bot_host,
            port=settings.bot_port,
            shutdown_timeout=SHUTDOWN_SECONDS,
            print=lambda _: print(
                f"Trợ lý đang chạy: mở {address} trên trình duyệt. Dừng: Ctrl+C.", flush=True
            ),
            access_log=None,
        )
    finally:
        store.close()
    if writer_died:
        log.critical("stopped: the database writer failed (%r); exit status 1", writer_died[0])
        return 1
    return 0
