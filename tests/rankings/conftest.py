"""Fixtures of the rankings tests; the world and its numbers are described in helpers.py."""

import pytest
from django.utils import translation

from tests.rankings.helpers import build_world


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(db):
    """Six communes on the trimmed commune set, scored at every stage (see helpers.py)."""
    return build_world()
