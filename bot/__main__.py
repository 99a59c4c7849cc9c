"""Command line: `python -m bot <command>`. Each command has its own --help."""

import argparse
import sys

from bot import console
from flows import ContentError, load_content


def _chat(_: argparse.Namespace) -> int:
    try:
        content = load_content()
    except (ContentError, OSError) as error:
        print(f"Không đọc được nội dung: {error}", file=sys.stderr)
        return 2
    console.chat(content)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot", description="Trợ lý tích hợp thẻ BHYT vào VNeID.")
    commands = parser.add_subparsers(dest="command", required=True)
    chat = commands.add_parser("chat", help="hold the help conversation in this terminal")
    chat.set_defaults(run=_chat)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
