"""The cases board: a manager lists cases (overdue first) and moves one through its states."""
import re
from datetime import timedelta

from server.cases.services import open_case
from server.models_base import utcnow


def _case(db, world, days=5):
    case = open_case(None, world.h1, text="修缮屋顶", category="housing", due_at=utcnow() + timedelta(days=days))
    db.session.commit()
    return case


def test_board_lists_overdue_first(client, world, login, db):
    fine, late = _case(db, world), _case(db, world, days=-1)
    login(world.v1_manager)
    page = client.get("/cases")
    assert page.status_code == 200
    ids = re.findall(r'data-case="(\d+)"', page.get_data(as_text=True))
    assert ids == [str(late.id), str(fine.id)] and "超期" in page.get_data(as_text=True)
    only_late = client.get("/cases?overdue=1").get_data(as_text=True)
    assert re.findall(r'data-case="(\d+)"', only_late) == [str(late.id)]


def test_manager_moves_a_case_through_its_states(client, world, login, db):
    case = _case(db, world)
    headers = login(world.v1_manager)
    for status, label in (("claimed", "已认领"), ("resolved", "已办结"), ("reopened", "重新打开"),
                          ("resolved", "已办结"), ("confirmed", "群众已确认")):
        response = client.post(f"/cases/{case.id}", data={"status": status, "note": f"到{status}"}, headers=headers,
                               follow_redirects=True)
        assert response.status_code == 200
        assert f'id="case-status">{label}<' in response.get_data(as_text=True)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert html.count("<tr><td>") == 6 and "到resolved" in html


def test_invalid_move_on_the_page_shows_the_reason(client, world, login, db):
    case = _case(db, world)
    headers = login(world.v1_manager)
    response = client.post(f"/cases/{case.id}", data={"status": "confirmed"}, headers=headers, follow_redirects=True)
    assert "This case is open and cannot become confirmed" in response.get_data(as_text=True)


def test_board_is_for_managers_in_scope(client, world, login, db):
    case = _case(db, world)
    assert client.get("/cases").status_code == 302
    login(world.v2_manager)
    assert client.get(f"/cases/{case.id}").status_code == 404
    login(world.cadre)
    assert client.get("/cases").status_code == 403
