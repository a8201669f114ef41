"""Scorecards as an XLSX workbook: one row per cadre, then one per area."""
import io

from openpyxl import Workbook
from openpyxl.styles import Font

from ..exports.formats import xlsx_value

CADRE_COLUMNS = [
    ("干部", lambda c: c["cadre"]["display_name"]), ("用户名", lambda c: c["cadre"]["username"]),
    ("联系户数", lambda c: c["households"]), ("走访次数", lambda c: c["visits"]),
    ("有效走访", lambda c: c["counted_visits"]), ("已走访户", lambda c: c["visited_households"]),
    ("覆盖率%", lambda c: c["coverage"]), ("定位核验率%", lambda c: c["verified_share"]),
    ("异常走访", lambda c: c["flagged_visits"]), ("测评人数", lambda c: c["satisfaction"].get("responses")),
    ("满意率", lambda c: c["satisfaction"].get("share_satisfied")),
    ("态度均分", lambda c: c["satisfaction"].get("mean_attitude")),
    ("帮助均分", lambda c: c["satisfaction"].get("mean_help")),
    ("频次均分", lambda c: c["satisfaction"].get("mean_frequency")),
    ("诉求数", lambda c: c["cases_raised"]), ("按期办结", lambda c: c["cases_resolved_on_time"]),
    ("超期未办", lambda c: c["cases_overdue"]), ("微心愿实现", lambda c: c["micro_wishes_fulfilled"]),
    ("综合得分", lambda c: c["score"]),
]
AREA_COLUMNS = [("区域", lambda a: (a["area"] or {}).get("name")), ("编码", lambda a: (a["area"] or {}).get("code")),
                ("干部数", lambda a: a["cadres"]), ("联系户数", lambda a: a["households"]),
                ("走访次数", lambda a: a["visits"]), ("有效走访", lambda a: a["counted_visits"]),
                ("覆盖率%", lambda a: a["coverage"]), ("测评人数", lambda a: a["responses"]),
                ("按期办结", lambda a: a["cases_resolved_on_time"]), ("超期未办", lambda a: a["cases_overdue"])]


def workbook(report: dict) -> bytes:
    """The report as .xlsx bytes."""
    book = Workbook()
    sheet = book.active
    sheet.title = "干部考核"
    _write(sheet, CADRE_COLUMNS, report["rows"])
    _write(book.create_sheet("区域汇总"), AREA_COLUMNS, report["areas"])
    info = book.create_sheet("说明")
    info.append(["周期", report["period"], report["from"], report["to"]])
    info.append(["权重"] + [f"{k}={v}" for k, v in report["weights"].items()])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write(sheet, columns, rows):
    sheet.append([title for title, _ in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([xlsx_value(get(row)) for _, get in columns])
    sheet.freeze_panes = "A2"
