"""Shared fixtures: the shipped content, and a fixed clock (the flow never reads the real one).

Hypothesis runs without a deadline: CI machines are small and busy, and speed is the benchmark's
business (bench/), not the tests'.
"""

from datetime import UTC, datetime

import pytest
from hypothesis import settings

from flows import Content, load_content

settings.register_profile("project", deadline=None)
settings.load_profile("project")

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()
