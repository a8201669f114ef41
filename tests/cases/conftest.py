"""Fixtures for cases: submission rows and ingest hooks (tests/submission_rows.py), the browser."""

from tests.submission_rows import ingest_hook, make_submission  # noqa: F401  (shared fixtures)
from tests.web.browsing import artifacts, browser, live_server  # noqa: F401  (shared browser fixtures)

