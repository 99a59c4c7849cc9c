"""Channels never import each other: what they share lives beside them (`bot.rendering`,
`bot.sender`), so adding or removing a platform touches nothing else. Checked on every import
statement of every channel module."""

import ast
from pathlib import Path

CHANNELS = Path(__file__).resolve().parents[3] / "bot" / "channels"


def _channel_of(path: Path) -> str:
    """ "web" for bot/channels/web.py, "telegram" for bot/channels/telegram/updates.py."""
    relative = path.relative_to(CHANNELS)
    return relative.parts[0].removesuffix(".py")


def _is_channel(name: str) -> bool:
    return (CHANNELS / f"{name}.py").is_file() or (CHANNELS / name).is_dir()


def _imported_channels(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module == "bot.channels":
            # the package's own names (Channel, ChannelError) are shared; its modules are not
            names = [f"bot.channels.{alias.name}" for alias in node.names if _is_channel(alias.name)]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        found |= {name.split(".")[2] for name in names if name.startswith("bot.channels.")}
    return found


def test_no_channel_imports_another():
    modules = [
        path for path in CHANNELS.rglob("*.py") if path.name != "__init__.py" or path.parent != CHANNELS
    ]
    assert {_channel_of(path) for path in modules} >= {"web", "console", "telegram"}
    for path in modules:
        others = _imported_channels(path) - {_channel_of(path)}
        assert not others, f"{path.relative_to(CHANNELS)} imports the channel(s) {sorted(others)}"


def test_the_check_sees_a_channel_importing_another(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from bot.channels import Channel, console\ndef f():\n    from bot.channels.web import reply_json\n",
        encoding="utf-8",
    )
    assert _imported_channels(sneaky) == {"web", "console"}
