"""Shared fixtures: the frozen content, and a fixed clock (the flow never reads the real one).

Behaviour tests run on the frozen copy of the content and villages (tests/fixtures/), never on the
live `content/` and `data/` the office edits; those are checked by rule tests only.

Hypothesis runs without a deadline: CI machines are small and busy, and speed is the benchmark's
business (bench/), not the tests'.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import settings

from bot.transcript import FROZEN_CONTENT, FROZEN_DATA
from flows import Content, load_content

settings.register_profile("project", deadline=None)
settings.load_profile("project")

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def frozen_content() -> Content:
    return load_content(FROZEN_CONTENT, FROZEN_DATA)


@pytest.fixture(scope="session")
def content() -> Content:
    return frozen_content()
