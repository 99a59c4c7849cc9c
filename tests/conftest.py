"""Shared fixtures: the shipped content, and a fixed clock (the flow never reads the real one)."""

from datetime import UTC, datetime

import pytest

from flows import Content, load_content

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content()
