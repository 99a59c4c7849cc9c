"""Command line: `python -m bot <command>`. Each command has its own --help."""

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from bot import console, transcript
from flows import Content, ContentError, load_content
from flows.places import PlacesError


def _content() -> Content | None:
    try:
        return load_content()
    except (ContentError, PlacesError, OSError) as error:
        print(f"Không đọc được nội dung: {error}", file=sys.stderr)
        return None


def _chat(_: argparse.Namespace) -> int:
    content = _content()
    if content is None:
        return 2
    if content.unfilled():
        print(f"Lưu ý: xã chưa điền {', '.join(content.unfilled())} trong content/office.toml.\n")
    console.chat(content)
    return 0


def _replay(args: argparse.Namespace) -> int:
    content = _content()
    if content is None:
        return 2
    failed = False
    for path in args.files or transcript.files():
        try:
            found = [
                p
                for played in transcript.play(transcript.parse(path), content, datetime.now(UTC), False)
                for p in transcript.problems(played)
            ]
        except transcript.TranscriptError as error:
            found = [str(error)]
        failed = failed or bool(found)
        print(f"{path.name}: " + ("ok" if not found else "\n  ".join(found)))
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý tích hợp thẻ BHYT vào VNeID.")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="hold the help conversation in this terminal")
    chat.set_defaults(run=_chat)
    replay = commands.add_parser(
        "replay", help="replay transcript files and report where the helper answers differently"
    )
    replay.add_argument(
        "files", nargs="*", type=Path, help="transcript files (default: tests/transcripts/*.txt)"
    )
    replay.set_defaults(run=_replay)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
