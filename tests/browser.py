"""What the tests in a real headless Chromium share: where Debian's browser is (the tests are
skipped with this reason when it is not installed; `.ci/run` installs it), how it is launched,
and how long a step may take on a slow, busy 2-core CI machine."""

from pathlib import Path

import pytest
from playwright.async_api import expect

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: For page actions (the context's default) and for `expect`, whose own default is 5 s: a reply
#: that takes longer on a loaded machine is slow, not wrong. Waiting ends as soon as it shows.
TIMEOUT_MS = 10_000
expect.set_options(timeout=TIMEOUT_MS)


def skip_without_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(
            "Chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
            allow_module_level=True,
        )
