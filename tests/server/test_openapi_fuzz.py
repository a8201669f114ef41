"""A bounded schemathesis run over the whole JSON API, as admin, manager and cadre: no server error, and every
response (errors included) matches the OpenAPI document. `make test` runs it; LIANHU_FUZZ_EXAMPLES sets the
examples per operation (default 3)."""
import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_headers_conformance,
                                               response_schema_conformance, status_code_conformance)

EXAMPLES = int(os.environ.get("LIANHU_FUZZ_EXAMPLES", 3))
#: the whole run stops generating new cases after this many seconds (what is left is skipped, not failed)
TIME_CAP_S = float(os.environ.get("LIANHU_FUZZ_SECONDS", 90))
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
_started = []


def _served_document() -> dict:
    """The OpenAPI document as the app serves it (built by a throwaway app: it needs no database)."""
    from server import create_app
    from server.config import TestConfig
    return create_app(TestConfig).test_client().get("/api/openapi.json").json


schema = schemathesis.openapi.from_dict(_served_document())


@pytest.fixture
def tokens(world, token_for):
    return {role: token_for(getattr(world, role)) for role in ("admin", "manager", "cadre")}


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case, app, tokens):
    _started.append(_started[0] if _started else time.monotonic())
    if time.monotonic() - _started[0] > TIME_CAP_S:
        pytest.skip(f"the fuzzing time cap ({TIME_CAP_S:.0f} s) is used up")
    for headers in tokens.values():
        # the WSGI transport does not gunzip (server/compression.py gzips large bodies when asked): ask for none
        case.call_and_validate(headers={**headers, "Accept-Encoding": "identity"}, checks=CHECKS, app=app)
