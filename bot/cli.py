"""Command line: `python -m bot <command>`; every command has its own `--help`.

Messages are in Vietnamese: the person running these is the commune's IT helper.
"""

import argparse
import asyncio
import csv
import errno
import io
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot import app, content_check, transcript
from bot.channels import ChannelError
from bot.channels.telegram import telegram_username
from bot.posters import PosterError
from bot.redact import setup_logging
from bot.rendering import telegram_link, village_poster
from bot.reports.desk import ReportDesk
from bot.reports.formats import FORMATS
from bot.requests import INVITE_DAYS, new_invite
from bot.settings import Settings, SettingsError, load_settings
from bot.store import backup, village_rows
from flows import load_content
from flows.office import INVITE_PREFIX
from flows.places import REQUIRED_COLUMNS, PlacesError, parse_villages

Command = Callable[[argparse.Namespace, Settings], int]


def _serve(_: argparse.Namespace, settings: Settings) -> int:
    """Runs the web chat; a port another program holds is one plain line and exit code 1 (the
    store is already closed by `app.serve`), not a traceback."""
    try:
        status = app.serve(settings)
    except ChannelError as error:
        print(f"Không khởi động được: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        if error.errno != errno.EADDRINUSE:
            raise
        print(
            f"Cổng {settings.bot_port} đang bị chương trình khác dùng. Đặt BOT_PORT=<cổng khác> "
            "trong tệp .env (hoặc biến môi trường) rồi chạy lại.",
            file=sys.stderr,
        )
        return 1
    return status


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    """Ctrl+D ends the chat with exit code 0; Ctrl+C ends the process at once (`console.chat`)."""
    app.chat(settings, args.user)
    return 0


def _migrate(_: argparse.Namespace, settings: Settings) -> int:
    store, _content = app.open_store(settings)
    store.close()
    print(f"Cơ sở dữ liệu đã ở phiên bản mới nhất: {settings.bot_db_path}")
    return 0


def _purge(_: argparse.Namespace, settings: Settings) -> int:
    store, _content = app.open_store(settings)
    try:
        counts = store.call(lambda tx: app.purge(tx, datetime.now(UTC), settings))
    finally:
        store.close()
    print(f"Đã xoá các dòng gắn với người dùng cũ hơn {settings.retention_days} ngày: {counts}")
    return 0


def _report(args: argparse.Namespace, settings: Settings) -> int:
    """The week's counts per village: this week so far unless `--week` names one."""
    store, content = app.open_store(settings)
    try:
        desk = ReportDesk.from_settings(store, settings)
        communes = sorted({v.commune for v in content.places.villages if v.commune})
        try:
            week = desk.week(args.week)
            if args.commune is not None and args.commune not in communes:
                raise ValueError(f"không có xã {args.commune!r}; có: {', '.join(communes)}")
        except ValueError as error:
            print(f"Không lập được báo cáo: {error}", file=sys.stderr)
            return 2
        report = desk.report_now(week, args.commune)
    finally:
        store.close()
    data = FORMATS[args.format].write(report)
    if args.out:
        args.out.write_bytes(data)
        print(f"Đã ghi báo cáo tuần {week.name} vào {args.out}")
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return 0


#: Roles an invite can grant from the command line, and how the printout names them.
INVITE_ROLES = {"officer": "cán bộ", "volunteer": "tình nguyện viên"}


def _days(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 365:
        raise argparse.ArgumentTypeError("số ngày từ 1 đến 365")
    return int(text)


def _invite(args: argparse.Namespace, settings: Settings) -> int:
    """A one-time code: the first person to send it to the helper in a private chat gets the
    role (a volunteer's for `--village`). Only its hash is stored; the code is printed once, here."""
    now = datetime.now(UTC)
    store, content = app.open_store(settings)
    try:
        villages = list(dict.fromkeys(args.village or []))
        unknown = [code for code in villages if code not in content.places.by_code]
        if unknown or (args.role == "volunteer") != bool(villages):
            print(
                "Tình nguyện viên cần --village MÃ_THÔN (xem: python -m bot villages list); cán bộ thì không."
                + (f" Không có thôn: {', '.join(unknown)}." if unknown else ""),
                file=sys.stderr,
            )
            return 2
        code = store.call(lambda tx: new_invite(tx, args.role, "|".join(villages), now, args.days))
    finally:
        store.close()
    payload = INVITE_PREFIX + code
    until = now + timedelta(days=args.days)
    where = f" thôn {', '.join(content.places.name(v) for v in villages)}" if villages else ""
    print(
        f"Mã mời {INVITE_ROLES[args.role]}{where} (dùng một lần, đến "
        f"{until.astimezone(settings.zone):%H:%M %d/%m/%Y}):"
    )
    print(f"  Gửi cho trợ lý, trong tin nhắn riêng (Telegram, Zalo):  /start {payload}")
    username = asyncio.run(telegram_username(settings.telegram)) if settings.telegram.configured else None
    if username:
        print(f"  Hoặc mở trên Telegram:  {telegram_link(username, payload)}")
    return 0


def _poster(args: argparse.Namespace, settings: Settings) -> int:
    """One PNG per village to print, with its own link; the Telegram QR only when the bot answers
    now (as `_invite`)."""
    store, content = app.open_store(settings)
    store.close()
    if args.all:
        villages = [v.code for v in content.places.villages if not v.is_other]
    elif args.village in content.places.by_code:
        villages = [args.village]
    else:
        print(
            f"Không có thôn / tổ dân phố mã {args.village!r}. Xem các mã: python -m bot villages list",
            file=sys.stderr,
        )
        return 2
    if not settings.public_url:
        print(
            "Lưu ý: chưa đặt PUBLIC_URL trong tệp .env, nên mã QR chỉ mở được trên máy này. "
            "Đặt PUBLIC_URL rồi vẽ lại trước khi in.",
            file=sys.stderr,
        )
    base = app.public_base(settings)
    username = asyncio.run(telegram_username(settings.telegram)) if settings.telegram.configured else None
    if args.all:
        args.out.mkdir(parents=True, exist_ok=True)
    for code in villages:
        path = args.out / f"{code}.png" if args.all else args.out
        try:
            path.write_bytes(village_poster(content, code, base, username))
        except PosterError as error:
            print(f"Không vẽ được áp phích: {error}", file=sys.stderr)
            return 1
        print(f"Đã ghi áp phích {content.places.name(code)} vào {path}")
    return 0


def _read_villages(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PlacesError(f"{path.name}: tệp không phải UTF-8 (trong Excel chọn 'CSV UTF-8')") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in REQUIRED_COLUMNS if column not in (reader.fieldnames or ())]
    if missing:
        raise PlacesError(f"{path.name}: thiếu cột {', '.join(missing)}")
    return list(reader)


def _villages_import(args: argparse.Namespace, settings: Settings) -> int:
    store, content = app.open_store(settings)
    try:
        try:
            villages = parse_villages(_read_villages(args.file), known=content.places.villages)
        except (PlacesError, OSError) as error:
            print(f"Không nhập gì. Lỗi:\n{error}", file=sys.stderr)
            return 1
        added, updated = store.call(lambda tx: tx.put_villages(village_rows(villages)))
    finally:
        store.close()
    kept = len({v.code for v in content.places.villages} - {v.code for v in villages})
    print(f"Đã thêm {added}, cập nhật {updated} thôn / tổ dân phố.")
    print(f"{kept} thôn / tổ dân phố có sẵn không có trong tệp: vẫn giữ nguyên.")
    print("Khởi động lại trợ lý để dùng danh sách mới.")
    return 0


def _villages_list(_: argparse.Namespace, settings: Settings) -> int:
    store, content = app.open_store(settings)
    store.close()
    for village in content.places.villages:
        print(f"{village.code:<24} {village.area:<12} {village.name}  [{' | '.join(village.aliases)}]")
    return 0


def _backup(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.bot_db_path.is_file():
        print(f"Chưa có cơ sở dữ liệu ở {settings.bot_db_path}", file=sys.stderr)
        return 1
    try:
        backup(settings.bot_db_path, args.file)
    except FileExistsError as error:
        print(f"Không sao lưu: {error}", file=sys.stderr)
        return 1
    print(f"Đã sao lưu vào {args.file}")
    return 0


def _content_check(_: argparse.Namespace, __: Settings | None) -> int:
    problems, walked = content_check.check()
    if walked is not None:
        print(f"Đã đi qua {walked.questions} câu hỏi và {len(walked.replies)} câu trả lời.")
        if walked.unfilled:
            print(f"Lưu ý: xã chưa điền {', '.join(walked.unfilled)} trong content/office.toml.")
    for problem in problems:
        print(f"- {problem}")
    print("Nội dung dùng được." if not problems else f"Có {len(problems)} chỗ cần sửa.")
    return 1 if problems else 0


def _replay(args: argparse.Namespace, _: Settings | None) -> int:
    """Transcripts are written for the frozen copy of the content they were recorded with."""
    content = load_content(transcript.FROZEN_CONTENT, transcript.FROZEN_DATA)
    failed = False
    for path in args.files or transcript.files():
        found = transcript.replay(path, content, datetime.now(UTC))
        failed = failed or bool(found)
        print(f"{path.name}: " + ("ok" if not found else "\n  ".join(found)))
    return 1 if failed else 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý tích hợp thẻ BHYT vào VNeID.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str, run: Command, needs_settings: bool = True) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.set_defaults(run=run, needs_settings=needs_settings)
        return command

    add("serve", "start the web chat on BOT_HOST:BOT_PORT (http://127.0.0.1:8080 by default)", _serve)
    chat = add("chat", "hold the help conversation in this terminal (stored like any channel)", _chat)
    chat.add_argument("--user", default="terminal", help="who is typing (one conversation per name)")
    add("migrate", "create or upgrade the database schema (safe to run again)", _migrate)
    add("purge", "delete now what is kept about people idle longer than RETENTION_DAYS", _purge)
    villages = add("villages", "the commune's list of thôn / tổ dân phố", _villages_list)
    places = villages.add_subparsers(dest="action", metavar="ACTION")
    importing = places.add_parser("import", help="add or update villages from a CSV file (never deletes)")
    importing.add_argument("file", type=Path, help="CSV with columns " + ",".join(REQUIRED_COLUMNS))
    importing.set_defaults(run=_villages_import)
    places.add_parser("list", help="print the villages in the database").set_defaults(run=_villages_list)
    report = add("report", "the week's help sessions per village, for the VHXH office", _report)
    report.add_argument("--week", help="the week, e.g. 2025-W39, or tuantruoc (default: this week so far)")
    report.add_argument("--commune", help="one commune of several (default: all, with a roll-up)")
    report.add_argument("--format", choices=list(FORMATS), default="text", help=", ".join(FORMATS))
    report.add_argument("--out", type=Path, help="write to this file instead of printing")
    invite = add(
        "invite", "print a one-time code that makes whoever sends it an officer or volunteer", _invite
    )
    invite.add_argument("role", choices=list(INVITE_ROLES), help="the role the code grants")
    invite.add_argument("--village", action="append", help="a volunteer's village code (repeat for more)")
    invite.add_argument(
        "--days", type=_days, default=INVITE_DAYS, help=f"days the code can be used (default {INVITE_DAYS})"
    )
    poster = add("poster", "draw a printable A4 poster (PNG, 300 dpi) with a village's own QR code", _poster)
    which = poster.add_mutually_exclusive_group(required=True)
    which.add_argument("--village", help="the village's code (see: villages list)")
    which.add_argument("--all", action="store_true", help="every village, one file each in --out (a folder)")
    poster.add_argument("--out", type=Path, required=True, help="the PNG file, or the folder with --all")
    copy = add("backup", "write a consistent copy of the database, also while the helper runs", _backup)
    copy.add_argument("file", type=Path, help="where to write the copy (must not exist yet)")
    content = add("content", "check the texts and data after editing them", _content_check, False)
    content.add_subparsers(dest="action", metavar="ACTION").add_parser(
        "check", help="load content/ and data/, walk the whole conversation, replay the transcripts"
    ).set_defaults(run=_content_check, needs_settings=False)
    replay = add(
        "replay",
        "replay transcript files (on the content copy they were written for, tests/fixtures/) and "
        "report where the helper answers differently",
        _replay,
        False,
    )
    replay.add_argument(
        "files", nargs="*", type=Path, help="transcript files (default: tests/transcripts/*.txt)"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = None
    if args.needs_settings:
        try:
            settings = load_settings()
        except SettingsError as error:
            print("Cấu hình chưa đúng (sửa trong tệp .env hoặc biến môi trường):", file=sys.stderr)
            for problem in error.problems:
                print(f"- {problem}", file=sys.stderr)
            return 2
        setup_logging(settings.log_level)
    return args.run(args, settings)
