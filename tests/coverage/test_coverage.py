"""Coverage by area and by cadre, household lists, and the map, on a seeded scenario."""
import pytest

from tests.coverage.scenario import NOW, seed


@pytest.fixture
def scenario(world, db, make_household, make_visit, clock):
    clock(NOW)  # the scenario's dates are read as of its now
    return seed(world, db, make_household, make_visit)


def numbers(row):
    return (row["households"], row["visited"], row["coverage"], row["overdue"], row["flagged"])


def by_code(report):
    return {row["area"]["code"]: numbers(row) for row in report["rows"]}


def test_coverage_per_village_rolls_up_the_tree(client, scenario, token_for):
    headers = token_for(scenario.admin)
    report = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.town.id}", headers=headers).json
    assert by_code(report) == {"NH-SZ-01": (3, 2, 66.7, 2, 1), "NH-SZ-02": (2, 1, 50.0, 0, 1)}
    assert numbers(report["total"]) == (5, 3, 60.0, 2, 2)
    assert (report["from"], report["to"], report["period"]) == ("2026-10-01", "2026-12-31", "2026-Q4")
    county = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.county.id}", headers=headers).json
    assert by_code(county) == {"NH-SZ": (5, 3, 60.0, 2, 2), "NH-CL": (1, 1, 100.0, 0, 0)}
    assert numbers(county["total"]) == (6, 4, 66.7, 2, 2)


def test_level_gives_one_row_per_village_of_the_county(client, scenario, token_for):
    report = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.county.id}&level=village",
                        headers=token_for(scenario.admin)).json
    assert by_code(report) == {"NH-SZ-01": (3, 2, 66.7, 2, 1), "NH-SZ-02": (2, 1, 50.0, 0, 1),
                               "NH-CL-01": (1, 1, 100.0, 0, 0)}


def test_period_boundaries_follow_the_local_time_zone(client, scenario, token_for):
    report = client.get(f"/api/v1/coverage?period=2026-Q3&area={scenario.county.id}&level=village",
                        headers=token_for(scenario.admin)).json
    visited = {code: n[1] for code, n in by_code(report).items()}
    assert visited == {"NH-SZ-01": 0, "NH-SZ-02": 1, "NH-CL-01": 0}
    october = client.get(f"/api/v1/coverage?from=2026-10-01&to=2026-10-05&area={scenario.county.id}"
                         "&level=village", headers=token_for(scenario.admin)).json
    assert {code: n[1] for code, n in by_code(october).items()} == {"NH-SZ-01": 0, "NH-SZ-02": 1, "NH-CL-01": 1}


def test_coverage_per_cadre_counts_their_own_visits_to_households_linked_at_period_end(client, scenario, token_for):
    report = client.get("/api/v1/coverage?period=2026-Q4&by=cadre", headers=token_for(scenario.admin)).json
    rows = {row["cadre"]["username"]: numbers(row) for row in report["rows"]}
    assert rows == {"cadre01": (4, 2, 50.0, 2, 1), "cadre02": (1, 0, 0.0, 0, 1), "cadre03": (1, 1, 100.0, 0, 0)}
    assert numbers(report["total"]) == (6, 3, 50.0, 2, 2)
    before = client.get("/api/v1/coverage?period=2026-10&by=cadre", headers=token_for(scenario.admin)).json
    rows = {row["cadre"]["username"]: numbers(row)[:3] for row in before["rows"]}
    assert rows["cadre02"] == (2, 1, 50.0)  # in October h4 was still cadre02's


def test_one_cadre_and_one_village(client, scenario, token_for):
    headers = token_for(scenario.admin)
    one = client.get(f"/api/v1/coverage?period=2026-Q4&by=cadre&cadre={scenario.cadre.id}", headers=headers).json
    assert [numbers(r) for r in one["rows"]] == [(4, 2, 50.0, 2, 1)]
    village = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.v1.id}", headers=headers).json
    assert numbers(village["total"]) == (3, 2, 66.7, 2, 1)


def test_overdue_list_has_the_expected_households(client, scenario, token_for):
    response = client.get("/api/v1/coverage/households?period=2026-Q4&status=overdue",
                          headers=token_for(scenario.admin))
    assert response.status_code == 200
    rows = {r["code"]: r for r in response.json}
    assert sorted(rows) == ["SZ01-002", "SZ01-003"]
    low_income = rows["SZ01-003"]
    assert low_income["due_at"].startswith("2026-11-09T02:00") and low_income["visited"] is True
    assert rows["SZ01-002"]["flagged"] == 1 and rows["SZ01-002"]["cadre"]["username"] == "cadre01"
    assert low_income["area"]["code"] == "NH-SZ-01" and low_income["label"].startswith("SZ01-003 · ")


def test_unvisited_and_visited_lists_match_the_report(client, scenario, token_for):
    headers = token_for(scenario.admin)
    unvisited = client.get("/api/v1/coverage/households?period=2026-Q4&status=unvisited", headers=headers)
    assert [r["code"] for r in unvisited.json] == ["SZ01-002", "SZ02-001"]
    assert '"total": 2' in unvisited.headers["X-Pagination"].replace('"total":2', '"total": 2')
    visited = client.get(f"/api/v1/coverage/households?period=2026-Q4&status=visited&area={scenario.town.id}",
                         headers=headers)
    assert [r["code"] for r in visited.json] == ["SZ01-001", "SZ01-003", "SZ02-002"]
    mine = client.get(f"/api/v1/coverage/households?period=2026-Q4&status=unvisited&cadre={scenario.cadre.id}",
                      headers=headers)
    assert [r["code"] for r in mine.json] == ["SZ01-002", "SZ02-002"]  # h4 was visited, but not by cadre01


def test_households_list_is_paginated(client, scenario, token_for):
    response = client.get("/api/v1/coverage/households?period=2026-Q4&page=2&page_size=2",
                          headers=token_for(scenario.admin))
    assert [r["code"] for r in response.json] == ["SZ01-002", "SZ01-003"]
    assert '"total_pages": 3' in response.headers["X-Pagination"].replace(":", ": ").replace(":  ", ": ")


def test_map_colours_households_by_status(client, scenario, token_for):
    response = client.get(f"/api/v1/coverage/map.geojson?period=2026-Q4&area={scenario.county.id}",
                          headers=token_for(scenario.admin))
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    collection = response.get_json(force=True)
    assert collection["type"] == "FeatureCollection"
    status = {f["properties"]["code"]: f["properties"]["status"] for f in collection["features"]}
    assert status == {"SZ01-001": "visited", "SZ01-002": "overdue", "SZ01-003": "overdue",
                      "SZ02-001": "flagged", "SZ02-002": "visited", "CL01-001": "visited"}
    h1 = next(f for f in collection["features"] if f["properties"]["code"] == "SZ01-001")
    assert h1["geometry"] == {"type": "Point", "coordinates": [121.4301, 29.2901]}
    assert h1["properties"]["cadre"] == scenario.cadre.display_name
    assert h1["properties"]["last_visit"] == "2026-12-31T16:30:00Z"


def test_map_features_are_valid_json_with_escaped_text_and_nulls(client, world, make_household, token_for):
    odd = make_household(world.v1, None, code="SZ01-009", head_name='Li "Big" \\ 王\n', lat=29.5, lon=121.25)
    response = client.get(f"/api/v1/coverage/map.geojson?period=2026-Q4&area={world.v1.id}",
                          headers=token_for(world.admin))
    collection = response.get_json(force=True)  # the whole body parses as JSON
    feature = next(f for f in collection["features"] if f["properties"]["id"] == odd.id)
    assert feature == {"type": "Feature", "geometry": {"type": "Point", "coordinates": [121.25, 29.5]},
                       "properties": {"id": odd.id, "code": "SZ01-009", "head": 'Li "Big" \\ 王\n',
                                      "status": "overdue", "last_visit": None, "cadre": None,
                                      "area_id": world.v1.id}}


def compact_as_features(data):
    """map.json's rows as map.geojson's features (coordinates to 6 decimals)."""
    assert data["fields"] == ["lon", "lat", "id", "code", "head", "status", "last_visit", "cadre", "area_id"]
    assert data["statuses"] == ["overdue", "visited", "flagged", "unvisited"]
    out = []
    for row in data["rows"]:
        r = dict(zip(data["fields"], row))
        properties = {"id": r["id"], "code": r["code"], "head": r["head"], "status": data["statuses"][r["status"]],
                      "last_visit": r["last_visit"],
                      "cadre": None if r["cadre"] is None else data["cadres"][str(r["cadre"])], "area_id": r["area_id"]}
        out.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
                    "properties": properties})
    return out


def rounded(features):
    for f in features:
        f["geometry"]["coordinates"] = [round(c, 6) for c in f["geometry"]["coordinates"]]
    return features


def test_compact_map_holds_what_the_geojson_holds(client, scenario, world, make_household, token_for):
    make_household(world.v1, None, code="SZ01-009", head_name='Li "Big" \\ 王\n', lat=29.123456789, lon=121.987654321)
    for actor, query in ((scenario.admin, f"period=2026-Q4&area={scenario.county.id}"), (scenario.cadre, "period=2026-Q4"),
                         (scenario.other_manager, "period=2026-Q4"), (scenario.admin, "from=2026-11-03&to=2026-12-20")):
        headers = token_for(actor)
        geojson = client.get(f"/api/v1/coverage/map.geojson?{query}", headers=headers).get_json(force=True)
        response = client.get(f"/api/v1/coverage/map.json?{query}", headers=headers)
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert compact_as_features(response.json) == rounded(geojson["features"]) and geojson["features"]
    odd = next(r for r in response.json["rows"] if r[3] == "SZ01-009")
    assert odd[:2] == [121.987654, 29.123457] and odd[4] == 'Li "Big" \\ 王\n' and odd[7] is None
    assert client.get(f"/api/v1/coverage/map.json?area={scenario.v2.id}",
                      headers=token_for(scenario.other_manager)).status_code == 404


def test_cadre_sees_only_their_own_row_and_households(client, scenario, token_for):
    headers = token_for(scenario.cadre)
    report = client.get("/api/v1/coverage?period=2026-Q4&by=cadre", headers=headers).json
    assert [(r["cadre"]["username"], numbers(r)) for r in report["rows"]] == [("cadre01", (4, 2, 50.0, 2, 1))]
    listed = client.get("/api/v1/coverage/households?period=2026-Q4", headers=headers).json
    assert sorted(r["code"] for r in listed) == ["SZ01-001", "SZ01-002", "SZ01-003", "SZ02-002"]
    features = client.get("/api/v1/coverage/map.geojson?period=2026-Q4", headers=headers).get_json(force=True)
    assert len(features["features"]) == 4


def test_manager_never_sees_another_township(client, scenario, token_for):
    headers = token_for(scenario.other_manager)
    report = client.get("/api/v1/coverage?period=2026-Q4", headers=headers).json
    assert report["area"]["code"] == "NH-CL" and numbers(report["total"]) == (1, 1, 100.0, 0, 0)
    cadres = client.get("/api/v1/coverage?period=2026-Q4&by=cadre", headers=headers).json
    assert [r["cadre"]["username"] for r in cadres["rows"]] == ["cadre03"]
    assert client.get(f"/api/v1/coverage?area={scenario.town.id}", headers=headers).status_code == 404
    listed = client.get("/api/v1/coverage/households?period=2026-Q4", headers=headers).json
    assert [r["code"] for r in listed] == ["CL01-001"]
    assert client.get(f"/api/v1/coverage/households?area={scenario.v1.id}", headers=headers).status_code == 404
    features = client.get("/api/v1/coverage/map.geojson?period=2026-Q4", headers=headers).get_json(force=True)
    assert [f["properties"]["code"] for f in features["features"]] == ["CL01-001"]
    assert client.get(f"/api/v1/coverage/map.geojson?area={scenario.v2.id}", headers=headers).status_code == 404


def test_village_manager_by_session(client, scenario, login):
    login(scenario.v2_manager)  # signed in on the web (GETs need no CSRF header)
    report = client.get("/api/v1/coverage?period=2026-Q4").json
    assert report["area"]["code"] == "NH-SZ-02" and numbers(report["total"]) == (2, 1, 50.0, 0, 1)


@pytest.mark.parametrize("query", ["period=2026-Q5", "period=yesterday", "from=2026-13-01",
                                   "from=2026-02-01&to=2026-01-01", "period=2026&from=2026-01-01"])
def test_bad_period_is_a_clear_422(client, scenario, token_for, query):
    for path in ("/api/v1/coverage", "/api/v1/coverage/households", "/api/v1/coverage/map.geojson",
                 "/api/v1/coverage/map.json"):
        response = client.get(f"{path}?{query}", headers=token_for(scenario.admin))
        assert response.status_code == 422, response.data
        assert response.json["problem"] == "period.invalid" and response.json["message"]


def test_surveyor_and_anonymous_get_no_coverage(client, scenario, token_for):
    assert client.get("/api/v1/coverage").status_code == 401
    assert client.get("/api/v1/coverage", headers=token_for(scenario.surveyor)).status_code == 403


def test_current_quarter_by_default(client, scenario, token_for):
    report = client.get("/api/v1/coverage", headers=token_for(scenario.admin)).json
    assert report["period"].count("-Q") == 1 and report["from"] <= report["to"]


def test_a_county_report_leaves_out_another_top_level_area(client, scenario, token_for, make_area, make_user,
                                                           make_household, make_visit):
    """With one top-level area the aggregates are read with no area condition; a second county's
    households, visits and cadres stay out of the first county's reports by village and by cadre,
    for the admin and for the county's manager."""
    from server.areas.services import holds_every_area
    from tests.coverage.scenario import NOW
    assert holds_every_area(scenario.county)
    headers = token_for(scenario.admin)
    before = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.county.id}&level=village", headers=headers).json
    cadres_before = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.county.id}&by=cadre",
                               headers=headers).json
    other = make_area("象山县", code="XS")
    village = make_area("东陈村", make_area("石浦镇", other, code="XS-SP"), code="XS-SP-01")
    stranger = make_user("cadre", village, username="cadre-xs")
    for n in range(3):
        home = make_household(village, stranger, code=f"XS01-00{n}")
        make_visit(home, stranger, NOW.replace(day=1))
    assert not holds_every_area(scenario.county)
    county_manager = make_user("manager", scenario.county, username="nh-manager")
    for who in (scenario.admin, county_manager):
        after = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.county.id}&level=village",
                           headers=token_for(who)).json
        assert by_code(after) == by_code(before) and after["total"] == before["total"]
        cadres = client.get(f"/api/v1/coverage?period=2026-Q4&area={scenario.county.id}&by=cadre",
                            headers=token_for(who)).json
        assert cadres["rows"] == cadres_before["rows"] and "cadre-xs" not in str(cadres)
    everything = client.get("/api/v1/coverage?period=2026-Q4&by=cadre", headers=headers).json
    assert {r["cadre"]["username"] for r in everything["rows"]} >= {"cadre01", "cadre-xs"}
