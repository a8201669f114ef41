"""Listing submissions: filters, order, pagination, bad input."""
import dataclasses
import json
from datetime import datetime, timezone

import pytest

from server.surveys.services import publish
from forms import xlsform


def ids(response):
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json]


@pytest.fixture
def visits(world, make_submission):
    """Four visits and a satisfaction answer, captured an hour apart (UTC)."""
    w = world
    at = lambda hour: datetime(2026, 11, 10, hour, 0, tzinfo=timezone.utc)  # noqa: E731
    return type("Visits", (), dict(
        a=make_submission(w.h1, w.cadre, captured_at=at(1), geo_status="verified"),
        b=make_submission(w.h2, w.cadre, captured_at=at(2), geo_status="far", geo_distance_m=540.0,
                          geo_reason="540 m from the household"),
        c=make_submission(w.h3, w.cadre2, captured_at=at(3), geo_status="no_fix", review_state="approved"),
        d=make_submission(w.h5, w.other_cadre, captured_at=at(4), geo_status="suspect"),
        s=make_submission(w.h4, w.surveyor, form_id="satisfaction", captured_at=at(5),
                          answers={"overall": "satisfied"}),
    ))


def test_list_is_newest_captured_first_with_summary_fields(client, world, visits, token_for, make_attachment):
    make_attachment(visits.b, "one.jpg")
    make_attachment(visits.b, "two.jpg", data=b"other", received=False)
    response = client.get("/api/v1/submissions", headers=token_for(world.admin))
    assert ids(response) == [visits.s.id, visits.d.id, visits.c.id, visits.b.id, visits.a.id]
    item = next(i for i in response.json if i["id"] == visits.b.id)
    assert item["instance_id"] == visits.b.instance_id
    assert (item["form_id"], item["kind"]) == ("visit", "visit")
    assert item["form_version"] == visits.b.form_version.version
    assert item["household"] == {"id": world.h2.id, "code": "SZ01-002"}
    assert item["submitter"] == {"id": world.cadre.id, "username": "cadre01",
                                 "display_name": world.cadre.display_name}
    assert item["captured_at"].startswith("2026-11-10T02:00:00")
    assert item["location"] == {"lat": world.h2.lat, "lon": world.h2.lon, "accuracy": 8.0, "altitude": 12.5}
    assert item["geo"] == {"status": "far", "distance_m": 540.0, "reason": "540 m from the household",
                           "base_status": None, "flags": []}
    assert item["review_state"] == "received"
    assert item["attachment_count"] == 2
    assert next(i for i in response.json if i["id"] == visits.a.id)["attachment_count"] == 0


def test_same_capture_time_orders_by_id_descending(client, world, make_submission, token_for):
    moment = datetime(2026, 11, 10, 9, 0, tzinfo=timezone.utc)
    first, second = make_submission(world.h1, world.cadre, captured_at=moment), \
        make_submission(world.h2, world.cadre, captured_at=moment)
    assert ids(client.get("/api/v1/submissions", headers=token_for(world.admin))) == [second.id, first.id]


@pytest.mark.parametrize("query, expected", [
    ("form=visit", "abcd"),
    ("form=satisfaction", "s"),
    ("form=nosuchform", ""),
    ("kind=satisfaction", "s"),
    ("geo_status=far", "b"),
    ("geo_status=suspect", "d"),
    ("review_state=approved", "c"),
    ("review_state=received", "abds"),
    ("from=2026-11-10T02:00:00Z", "bcds"),
    ("to=2026-11-10T03:00:00Z", "ab"),
    ("from=2026-11-10T02:00:00Z&to=2026-11-10T04:00:00Z", "bc"),
    ("from=2026-11-10T10:30:00%2B08:00", "cds"),  # 02:30 UTC
    ("to=2026-11-10", "abcds"),  # the whole day in Asia/Shanghai: until 16:00 UTC
    ("to=2026-11-09", ""),
    ("from=2026-11-11", ""),
    ("from=2026-11-10T11:00:00", "cds"),  # naive: Asia/Shanghai, 03:00 UTC
])
def test_filters_narrow_the_list(client, world, visits, token_for, query, expected):
    got = ids(client.get(f"/api/v1/submissions?{query}", headers=token_for(world.admin)))
    assert sorted(got) == sorted(getattr(visits, k).id for k in expected)


def test_filter_by_area_takes_the_subtree(client, world, visits, token_for):
    headers = token_for(world.admin)
    by_town = ids(client.get(f"/api/v1/submissions?area={world.town.id}", headers=headers))
    assert sorted(by_town) == sorted([visits.a.id, visits.b.id, visits.c.id, visits.s.id])
    by_village = ids(client.get(f"/api/v1/submissions?area={world.v2.id}", headers=headers))
    assert sorted(by_village) == sorted([visits.c.id, visits.s.id])


def test_filter_by_cadre_and_household(client, world, visits, token_for):
    headers = token_for(world.admin)
    assert sorted(ids(client.get(f"/api/v1/submissions?cadre={world.cadre.id}", headers=headers))) == \
        sorted([visits.a.id, visits.b.id])
    assert ids(client.get(f"/api/v1/submissions?household={world.h3.id}", headers=headers)) == [visits.c.id]
    assert ids(client.get(f"/api/v1/submissions?cadre={world.cadre.id}&household={world.h3.id}",
                          headers=headers)) == []


def test_filters_stay_inside_scope(client, world, visits, token_for):
    headers = token_for(world.manager)
    assert ids(client.get(f"/api/v1/submissions?household={world.h5.id}", headers=headers)) == []
    assert ids(client.get(f"/api/v1/submissions?cadre={world.other_cadre.id}", headers=headers)) == []
    outside = client.get(f"/api/v1/submissions?area={world.other_town.id}", headers=headers)
    assert outside.status_code == 404


def test_filter_by_form_finds_every_version(client, world, make_submission, token_for):
    old = make_submission(world.h1, world.cadre)
    converted = dataclasses.replace(xlsform.convert_builtin("visit"), version="2099010101", md5="0" * 32)
    publish(None, converted, kind="visit")
    new = make_submission(world.h2, world.cadre)
    got = ids(client.get("/api/v1/submissions?form=visit", headers=token_for(world.admin)))
    assert sorted(got) == sorted([old.id, new.id])
    versions = {i["id"]: i["form_version"] for i in client.get("/api/v1/submissions",
                                                                 headers=token_for(world.admin)).json}
    assert versions[new.id] == "2099010101" and versions[old.id] != "2099010101"


def test_pagination_header_and_pages(client, world, make_submission, token_for):
    made = [make_submission(world.h1, world.cadre) for _ in range(5)]
    newest_first = [s.id for s in reversed(made)]
    headers = token_for(world.v1_manager)
    page1 = client.get("/api/v1/submissions?page=1&page_size=2", headers=headers)
    page3 = client.get("/api/v1/submissions?page=3&page_size=2", headers=headers)
    meta = json.loads(page1.headers["X-Pagination"])
    assert meta["total"] == 5 and meta["total_pages"] == 3 and meta["next_page"] == 2
    assert ids(page1) == newest_first[:2]
    assert ids(page3) == newest_first[4:]
    assert json.loads(page3.headers["X-Pagination"])["last_page"] == 3


def test_replaced_versions_hidden_unless_asked(client, world, make_submission, token_for):
    old = make_submission(world.h1, world.cadre, is_current=False, review_state="edited")
    new = make_submission(world.h1, world.cadre, replaces_id=old.id, review_state="edited")
    headers = token_for(world.admin)
    assert ids(client.get("/api/v1/submissions", headers=headers)) == [new.id]
    assert ids(client.get("/api/v1/submissions?current_only=false", headers=headers)) == [new.id, old.id]


@pytest.mark.parametrize("query", ["from=yesterday", "to=2026-13-45", "geo_status=nearby",
                                   "review_state=done", "area=abc", "current_only=maybe", "kind=poll",
                                   "page_size=100000", "from=" + "9" * 60, "household=99999999999999999999",
                                   "cadre=0", "area=-3", "household=1.5"])
def test_bad_filters_are_422_not_500(client, world, token_for, query):
    response = client.get(f"/api/v1/submissions?{query}", headers=token_for(world.admin))
    assert response.status_code == 422
    assert response.json["problem"] == "request.validation"


def test_list_query_count_does_not_grow_with_the_page(client, world, make_submission, make_attachment,
                                                      token_for, db):
    from sqlalchemy import event
    make_attachment(make_submission(world.h1, world.cadre), "a.jpg")
    for household, cadre in [(world.h2, world.cadre), (world.h3, world.cadre2), (world.h4, world.cadre2)] * 4:
        make_attachment(make_submission(household, cadre, geo_status="far"), "a.jpg")
    statements = []

    def count(*_args):
        statements.append(1)

    def queries_for(headers, query):
        client.get("/api/v1/submissions", headers=headers)  # first use of a token: the device's last_seen
        db.session.expunge_all()  # the test's session is the requests' session: start cold
        statements.clear()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            response = client.get(f"/api/v1/submissions?page_size=50&{query}", headers=headers)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(response.json), len(statements)

    village, town = token_for(world.v1_manager), token_for(world.manager)
    one = queries_for(village, "geo_status=verified")
    many = queries_for(town, "geo_status=far")
    assert (one[0], many[0]) == (1, 12)
    assert one[1] == many[1]
