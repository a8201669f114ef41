"""Exports reuse the coverage scenario and its submission factory."""
from tests.coverage.conftest import make_visit  # noqa: F401
