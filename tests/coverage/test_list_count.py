"""Coverage lists count the whole list for page 1 only (when the per-village aggregates cannot tell
its length: from/to periods, cadres); the pages after it reuse that count. For a named period the
aggregates give the length without counting the households."""
import json

import pytest
from sqlalchemy import event


def _counting(db):
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        flat = " ".join(statement.split())
        if flat.lower().startswith("select count(*)") and "FROM (SELECT households.id" in flat:  # the list's length
            seen.append(statement)
    return seen, listen


@pytest.mark.parametrize("period, counts", [("from=2026-10-01&to=2026-12-31", (1, 0)), ("period=2026-Q4", (0, 0))])
def test_pages_after_the_first_reuse_its_count(client, world, token_for, db, make_household, make_visit, period,
                                               counts):
    for _ in range(5):
        make_household(world.v1, world.cadre)
    make_visit(world.h1, world.cadre, "2026-10-15T02:00")
    headers = token_for(world.admin)
    url = f"/api/v1/coverage/households?{period}&area={world.town.id}&status=unvisited&page_size=2"
    seen, listen = _counting(db)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", listen)
    try:
        first = client.get(url + "&page=1", headers=headers)
        counted_first = len(seen)
        second = client.get(url + "&page=2", headers=headers)
        counted_second = len(seen) - counted_first
        make_household(world.v2, world.cadre2)  # one more unvisited: page 1 sees it at once
        again = client.get(url + "&page=1", headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    total = lambda response: json.loads(response.headers["X-Pagination"])["total"]  # noqa: E731
    assert (counted_first, counted_second) == counts
    assert total(first) == total(second) == 8 and total(again) == 9
    assert len(first.json) == len(second.json) == 2
    assert not {h["code"] for h in first.json} & {h["code"] for h in second.json}
    assert not any(h["visited"] for h in first.json + second.json)
