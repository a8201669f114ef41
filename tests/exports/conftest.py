"""Exports reuse the coverage scenario and its submission factory; the form-data tests a household
survey with nested repeats filled over OpenRosa, an HTTPS server, device tokens."""
from tests.coverage.conftest import make_visit  # noqa: F401
from tests.exports.form_data import https_server, survey  # noqa: F401
from tests.sync.conftest import device_token  # noqa: F401
from tests.web.browsing import live_server  # noqa: F401  (a real server in a thread)
