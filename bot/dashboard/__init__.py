"""The VHXH office's web dashboard at /dashboard: the week's report per village, the guide's
funnel, the last weeks' trend and every report file, behind the office's shared password.

It is mounted only when `DASHBOARD_PASSWORD` is set; otherwise /dashboard says that it is off.
Every page but the login (and its stylesheet) needs a session: without one, a page or a download
sends the browser to the login, which comes back to the page asked for (the chat's download links
land there). The session's cookie is SameSite=Strict, so another site can neither post the forms
nor read a page through it; the logout form also carries the session's own token.
"""

import asyncio
import logging
import math
import re
import time
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from bot.dashboard import pages
from bot.dashboard.auth import Brake, Clock, Session, Sessions, Sleep, password_matches
from bot.rate_limit import client_address
from bot.reports.desk import ReportDesk
from bot.reports.formats import FORMATS, file_name
from bot.reports.week import Week, previous, week_of
from bot.settings import Settings

log = logging.getLogger(__name__)
PREFIX = "/dashboard"
COOKIE = "vneid_dashboard"
STATIC_DIR = Path(__file__).resolve().parent / "static"
#: Weeks in the trend, the shown one included.
TREND_WEEKS = 8
#: No week's name is longer; a longer one is not echoed back whole.
MAX_WEEK_NAME = 40
#: Where the login may send the browser back to: a dashboard page or download, nothing else.
_NEXT = re.compile(r"^/dashboard(?:/download/[a-z0-9]+)?(?:\?[A-Za-z0-9%=&._+-]*)?$")
_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _ours(request: web.Request) -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every dashboard answer (redirects and errors too); data is never stored by a browser or
    a proxy, the stylesheet is revalidated (cheap with its ETag) so an update shows at once."""
    if _ours(request):
        response.headers.update(_HEADERS)
        static = request.path.startswith(f"{PREFIX}/static/")
        response.headers["Cache-Control"] = "no-cache" if static else "no-store"


def _html(text: str, status: int = 200, **headers: str) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=headers)


async def _off(_: web.Request) -> web.Response:
    return _html(
        pages.plain_page(
            "Trang quản lý chưa bật",
            "Trang báo cáo chỉ mở khi người cài đặt đặt mật khẩu DASHBOARD_PASSWORD.",
        ),
        status=404,
    )


def _safe_next(value: object) -> str:
    return value if isinstance(value, str) and _NEXT.match(value) else ""


def _login_url(next_path: str) -> str:
    return f"{PREFIX}/login?next={quote(next_path, safe='')}" if _safe_next(next_path) else f"{PREFIX}/login"


class Dashboard:
    def __init__(self, desk: ReportDesk, settings: Settings, sleep: Sleep, clock: Clock) -> None:
        self.desk = desk
        self.password = settings.dashboard_password
        self.secure = settings.secure_cookies
        self.trusted_proxy = settings.trusted_proxy
        self.sessions = Sessions(clock)
        self.brake = Brake(sleep, clock)

    def routes(self) -> list[web.AbstractRouteDef]:
        return [
            web.get(PREFIX, self.page),
            web.get(f"{PREFIX}/", self.to_page),
            web.get(f"{PREFIX}/login", self.login_form),
            web.post(f"{PREFIX}/login", self.login),
            web.post(f"{PREFIX}/logout", self.logout),
            web.get(f"{PREFIX}/download/{{form}}", self.download),
            web.static(f"{PREFIX}/static", STATIC_DIR),
        ]

    def _session(self, request: web.Request) -> Session:
        """The caller's session; without one, the browser is sent to the login."""
        session = self.sessions.get(request.cookies.get(COOKIE, ""))
        if session is None:
            raise web.HTTPSeeOther(_login_url(request.path_qs))
        return session

    async def to_page(self, _: web.Request) -> web.Response:
        raise web.HTTPSeeOther(PREFIX)

    async def login_form(self, request: web.Request) -> web.Response:
        next_path = _safe_next(request.query.get("next"))
        if self.sessions.get(request.cookies.get(COOKIE, "")) is not None:
            raise web.HTTPSeeOther(next_path or PREFIX)
        note = "Đã đăng xuất." if "out" in request.query else ""
        return _html(pages.login_page(next_path, note=note))

    async def login(self, request: web.Request) -> web.Response:
        address = client_address(request, self.trusted_proxy)
        wait = self.brake.locked_for(address)
        form = await request.post()
        next_path = _safe_next(form.get("next"))
        if wait:
            minutes = math.ceil(wait / 60)
            error = f"Sai mật khẩu nhiều lần. Xin thử lại sau {minutes} phút."
            return _html(pages.login_page(next_path, error), 429, **{"Retry-After": str(wait)})
        given = form.get("password")
        if not isinstance(given, str) or not password_matches(given, self.password):
            failures = await self.brake.failed(address)
            log.warning("dashboard: wrong password (%d in a row from one address)", failures)
            return _html(pages.login_page(next_path, "Mật khẩu không đúng. Xin thử lại."), 401)
        self.brake.succeeded(address)
        token, _ = self.sessions.open()
        redirect = web.HTTPSeeOther(next_path or PREFIX)
        redirect.set_cookie(
            COOKIE,
            token,
            max_age=int(self.sessions.lifetime),
            path=PREFIX,
            httponly=True,
            samesite="Strict",
            secure=self.secure,
        )
        raise redirect

    async def logout(self, request: web.Request) -> web.Response:
        token = request.cookies.get(COOKIE, "")
        session = self.sessions.get(token)
        form = await request.post()
        given = form.get("csrf")
        if session is not None and not (isinstance(given, str) and session.csrf_matches(given)):
            return _html(
                pages.plain_page("Không đăng xuất được", "Xin tải lại trang báo cáo rồi bấm Đăng xuất."), 403
            )
        self.sessions.close(token)
        redirect = web.HTTPSeeOther(f"{PREFIX}/login?out")
        redirect.del_cookie(COOKIE, path=PREFIX)
        raise redirect

    def _week(self, request: web.Request) -> Week:
        return self.desk.week(request.query.get("week", "")[:MAX_WEEK_NAME])

    async def page(self, request: web.Request) -> web.Response:
        session = self._session(request)
        now = self.desk.clock()
        this_week = self.desk.week(None, now)
        try:
            week = self._week(request)
        except ValueError as error:
            return _html(pages.week_error_page(str(error), this_week, session.csrf), 400)
        zone, cutoff = self.desk.scope.zone, self.desk.scope.cutoff
        weeks = [week]
        while len(weeks) < TREND_WEEKS:
            weeks.append(previous(weeks[-1], zone, cutoff))
        trend = [await self.desk.report(w, now=now) for w in reversed(weeks)]
        newer = week_of(week.end, zone, cutoff).name if week.start < this_week.start else None
        view = pages.View(trend[-1], trend, this_week, newer, session.csrf)
        return _html(pages.dashboard_page(view))

    async def download(self, request: web.Request) -> web.Response:
        self._session(request)
        name = request.match_info["form"]
        form = FORMATS.get(name)
        if form is None:
            raise web.HTTPNotFound(text="Không có loại tệp này.")
        try:
            week = self._week(request)
        except ValueError as error:
            raise web.HTTPBadRequest(text=f"Không xem được tuần này: {error}.") from None
        report = await self.desk.report(week)
        data = await asyncio.to_thread(form.write, report)
        return web.Response(
            body=data,
            headers={
                "Content-Type": form.media_type,
                "Content-Disposition": f'attachment; filename="{file_name(report, name)}"',
            },
        )


def setup(
    app: web.Application,
    desk: ReportDesk,
    settings: Settings,
    *,
    sleep: Sleep = asyncio.sleep,
    clock: Clock = time.monotonic,
) -> None:
    """Mounts the dashboard's routes when `DASHBOARD_PASSWORD` is set (else /dashboard answers
    404 with a note). `sleep` and `clock` (monotonic seconds, for sessions and the brake on
    guessing) are for tests."""
    app.on_response_prepare.append(_security_headers)
    if not settings.dashboard_password.get_secret_value():
        app.add_routes([web.route("*", PREFIX, _off), web.route("*", f"{PREFIX}/{{tail:.*}}", _off)])
        return
    app.add_routes(Dashboard(desk, settings, sleep, clock).routes())
