"""Text a worksheet cannot hold (control characters) is cleaned, not a 500."""
import io

from openpyxl import load_workbook

from server.exports.formats import xlsx_chunks, xlsx_value


def test_control_characters_are_removed_from_xlsx_cells():
    assert xlsx_value("干部\x01名\x1f") == "干部名"
    assert xlsx_value(None) == "" and xlsx_value(3) == 3
    data = b"".join(xlsx_chunks(["name"], [["a\x02b"], [None]]))
    sheet = load_workbook(io.BytesIO(data)).active
    assert [c.value for c in sheet["A"]] == ["name", "ab", None]


def test_scorecard_export_survives_control_characters_in_names(client, world, token_for):
    world.cadre.display_name = "王\x07建军"
    from server.extensions import db
    db.session.commit()
    response = client.get("/api/v1/scorecards.xlsx", headers=token_for(world.manager))
    assert response.status_code == 200
    names = [c.value for c in load_workbook(io.BytesIO(response.data)).active["A"]]
    assert any(n == "王建军" for n in names), names
