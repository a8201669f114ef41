"""A visit form opened for one household gets a households.csv with that household's row only
(fieldapp/src/csv.js, used by formAhead.js): the app's own module, run by node, against Python's csv."""
import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

from .conftest import _unavailable

FIELDAPP = Path(__file__).resolve().parents[2] / "fieldapp"

ONLY = """
import { csvWithOnly } from './src/csv.js'
const { text, codes } = JSON.parse(process.argv[1])
const out = {}
for (const code of codes) out[code] = await (await csvWithOnly(new Blob([text], { type: 'text/csv' }), code)).text()
console.log(JSON.stringify(out))
"""

HEADER = ["name", "label", "address", "category", "lat", "lon", "pending_cases"]
ROWS = [
    ["SZ01-001", "SZ01-001 · 王大 · 清潭村1号", "清潭村1号", "ordinary", "29.29", "121.43", "0"],
    ["SZ01-002", 'SZ01-002 · 李 "二" · 清潭村, 2号', "清潭村\n2号", "elderly_alone", "", "", "2"],
    ["SZ01-003", "SZ01-003 · 张三", 'a "quoted"\nSZ01-004,fake,row', "low_income", "29.3", "121.4", "1"],
    ["SZ01-004", "SZ01-004 · 赵四", "", "ordinary", "", "", "0"],
    ['SZ,"05"', "odd code", "", "", "", "", "0"],
]


def _csv(rows, line_end="\r\n") -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator=line_end).writerows(rows)
    return buffer.getvalue()


def _only(text: str, codes: list[str]) -> dict:
    if shutil.which("node") is None:
        _unavailable("node is missing")
    out = subprocess.run(["node", "--input-type=module", "-e", ONLY, json.dumps({"text": text, "codes": codes})],
                         cwd=FIELDAPP, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(out.stdout)


def test_each_household_gets_its_own_row_and_the_header():
    for line_end in ("\r\n", "\n"):  # as the server writes it (csv.writer), and as an editor may save it
        text = _csv([HEADER, *ROWS], line_end)
        found = _only(text, [row[0] for row in ROWS])
        for row in ROWS:
            assert list(csv.reader(io.StringIO(found[row[0]]))) == [HEADER, row]


def test_a_code_not_in_the_file_keeps_the_whole_file():
    text = _csv([HEADER, *ROWS])
    found = _only(text, ["SZ09-999", "name", ""])
    assert found == {"SZ09-999": text, "name": text, "": text}  # never an empty list, never the header as a row


def test_a_file_without_a_final_line_break():
    text = _csv([HEADER, *ROWS]).rstrip("\r\n")
    assert list(csv.reader(io.StringIO(_only(text, ['SZ,"05"'])['SZ,"05"']))) == [HEADER, ROWS[-1]]
