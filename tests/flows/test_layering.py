"""The one architectural rule: `flows/` is pure and imports nothing outside the standard library,
not even inside a function, behind try/except or under TYPE_CHECKING. Checked statically on every
import statement of every file, and by importing `flows` in a clean interpreter."""

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FLOWS = ROOT / "flows"


def _imported(path: Path) -> set[str]:
    """Top-level module names of every import anywhere in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(f"{path.name}: relative import; write 'from flows...'")
            names.add((node.module or "").split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
            "__import__",
            "import_module",
        ):
            raise AssertionError(f"{path.name}: dynamic import")
    return names


def test_flows_imports_only_the_standard_library_statically():
    allowed = set(sys.stdlib_module_names) | {"flows"}
    for path in sorted(FLOWS.glob("*.py")):
        outside = _imported(path) - allowed
        assert not outside, f"{path.name} imports {sorted(outside)}"


def test_the_static_check_sees_imports_hidden_in_functions(tmp_path):
    sneaky = tmp_path / "sneaky.py"
    sneaky.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import telegram\n"
        "def f():\n    try:\n        import aiohttp\n    except ImportError:\n        pass\n",
        encoding="utf-8",
    )
    assert {"telegram", "aiohttp"} <= _imported(sneaky)


def test_importing_flows_in_a_clean_interpreter_loads_nothing_else():
    probe = (
        "import sys; before = set(sys.modules); sys.path.insert(0, sys.argv[1]); import flows; "
        "import pathlib; fixtures = pathlib.Path(sys.argv[1], 'tests', 'fixtures'); "
        "flows.load_content(fixtures / 'content', fixtures / 'data'); "
        "new = {m.split('.')[0] for m in set(sys.modules) - before}; "
        "import json; print(json.dumps(sorted(new - set(sys.stdlib_module_names) - {'flows'})))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(ROOT)], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(result.stdout) == []
