"""Submission rows as ingest would store them, for calling the ingest hooks directly."""

import pytest

from server.coverage.periods import current_quarter
from tests.submission_rows import ingest_hook, make_submission  # noqa: F401  (shared fixtures)
from tests.web.browsing import artifacts, browser, live_server  # noqa: F401  (shared browser fixtures)



MARKER = "私密意见-PRIVATE-7731"

# (overall, attitude, help, frequency) per answer
CADRE_A = [("satisfied", 5, 5, 4), ("satisfied", 4, 5, 4), ("basic", 3, 3, 4), ("unsatisfied", 1, 2, 2)]
CADRE_B_RESIDENTS = [("satisfied", 5, 5, 5), ("satisfied", 5, 4, 5), ("satisfied", 4, 4, 5),
                     ("basic", 4, 4, 4), ("unsatisfied", 3, 3, 4)]
CADRE_B_SURVEYOR = ("basic", 2, 1, 3)


def _form(answer):
    overall, attitude, help_, frequency = answer
    return {"overall": overall, "attitude": str(attitude), "help": str(help_), "frequency": str(frequency),
            "comment": MARKER}


@pytest.fixture
def village(db, world, make_area, make_user, make_household, client, token_for, make_submission, ingest_hook):
    """The seeded scenario; returns what tests need."""
    v = type("Village", (), {})()
    v.area = make_area("满意村", world.town, code="NH-SZ-09")
    v.manager = make_user("manager", v.area, username="v9manager")
    v.a = make_user("cadre", v.area, username="cadreA", display_name="干部甲")
    v.b = make_user("cadre", v.area, username="cadreB", display_name="干部乙")
    v.households = [make_household(v.area, v.a if i < 6 else v.b, code=f"MY-{i + 1:03d}") for i in range(12)]
    v.period = current_quarter().label
    issued = client.post("/api/v1/satisfaction/links", headers=token_for(v.manager),
                         json={"area_id": v.area.id, "period": v.period})
    assert issued.status_code == 201, issued.json
    v.tokens = {link["code"]: link["token"] for link in issued.json["links"]}
    # 4 resident answers about A (households 1-4), 5 about B (households 7-11), each from the
    # household's own phone (one browser answering them all would be held as a burst)
    for code, answer in zip(["MY-001", "MY-002", "MY-003", "MY-004"], CADRE_A):
        assert client.post(f"/s/{v.tokens[code]}", data=_form(answer), **_phone(code)).status_code == 201
    for code, answer in zip(["MY-007", "MY-008", "MY-009", "MY-010", "MY-011"], CADRE_B_RESIDENTS):
        assert client.post(f"/s/{v.tokens[code]}", data=_form(answer), **_phone(code)).status_code == 201
    # the reused link: a second answer from household 1 is refused and stored nowhere
    v.reused = client.post(f"/s/{v.tokens['MY-001']}", data=_form(("satisfied", 5, 5, 5)))
    # a surveyor rates B's household 12; cadre A rates their own household 5 (self-rated)
    survey = make_submission(v.households[11], world.surveyor, form_id="satisfaction",
                             answers=dict(_form(CADRE_B_SURVEYOR), household="MY-012"))
    ingest_hook(survey)
    self_rated = make_submission(v.households[4], v.a, form_id="satisfaction",
                                 answers={"overall": "satisfied", "attitude": "5", "help": "5", "frequency": "5"})
    ingest_hook(self_rated)
    v.self_rated = self_rated
    return v


def _phone(code: str) -> dict:
    """Request options for a resident's own phone: its own address and browser."""
    n = int(code.rsplit("-", 1)[1])
    return {"environ_base": {"REMOTE_ADDR": f"10.20.0.{n}"},
            "headers": {"User-Agent": f"Mozilla/5.0 (Linux; Android 13; resident {n})"}}
