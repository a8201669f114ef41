"""XLSForms: the built-in definitions, .xlsx reading and writing, conversion with pyxform."""

import datetime
import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from pyxform import constants as pyxform_constants
from pyxform.xls2xform import convert as pyxform_convert

from forms.errors import XLSFormError
from forms.xform import form_info

DEFINITIONS_DIR = Path(__file__).parent / "definitions"
BUILTIN_FORM_IDS = ("visit", "satisfaction")

#: The XForm spec lets an id or a version be any string; we refuse only what cannot be stored or
#: put in a URL path segment: control characters, "/" and more than the column holds.
FORM_ID_RE = re.compile(r"^[^\x00-\x1f\x7f/\\]{1,64}$")
VERSION_RE = re.compile(r"^[^\x00-\x1f\x7f]{1,64}$")
#: rows with content; empty (formatted) rows are skipped before they are counted
MAX_ROWS = 50_000
XLS_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


class Note(str):
    """A conversion warning the server added (English text), with a code and values to translate it by."""

    def __new__(cls, text: str, code: str, **params):
        note = super().__new__(cls, text)
        note.code, note.params = code, params
        return note


@dataclass(frozen=True)
class ConvertedForm:
    """An XLSForm converted to an XForm, with what the server stores about it."""

    form_id: str
    title: str
    version: str
    xml: str
    md5: str
    media: list
    sheets: dict
    warnings: list = field(default_factory=list)
    #: the form asks devices to encrypt submissions (settings public_key)
    encrypted: bool = False


def builtin_form_ids() -> list[str]:
    """Ids of the forms that ship with Lianhu."""
    return list(BUILTIN_FORM_IDS)


def load_definition(form_id: str) -> dict:
    """Load a built-in XLSForm's sheets dict from definitions/<form_id>.json."""
    if form_id not in BUILTIN_FORM_IDS:
        raise XLSFormError(f"No built-in form named {form_id!r}.")
    with open(DEFINITIONS_DIR / f"{form_id}.json", encoding="utf-8") as fh:
        return json.load(fh)


def sheets_to_xlsx(sheets: dict) -> bytes:
    """Write a sheets dict as an .xlsx workbook, one worksheet per key."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(title=str(name))
        headers = _headers(rows)
        for row_n, values in enumerate([headers] + [[r.get(h) for h in headers] for r in rows], 1):
            for col_n, value in enumerate(values, 1):
                try:
                    cell = sheet.cell(row=row_n, column=col_n, value=value)
                except (ValueError, TypeError) as err:  # e.g. control characters
                    raise XLSFormError(f"Sheet {name!r}, row {row_n}: {err}") from err
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # an XLSForm cell, never a spreadsheet formula
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_to_sheets(data: bytes) -> dict:
    """Read an uploaded workbook, .xls or .xlsx (told apart by their bytes), into a sheets dict."""
    return xls_to_sheets(data) if bytes(data[:8]) == XLS_MAGIC else xlsx_to_sheets(data)


def xlsx_to_sheets(data: bytes) -> dict:
    """Read an uploaded .xlsx workbook into a sheets dict of string cells."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds on a bad file
        raise XLSFormError(f"The file is not a valid .xlsx or .xls workbook ({err}).") from err
    try:
        sheets = {}
        for sheet in workbook.worksheets:
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # don't trust the file's own idea of its size
            sheets[sheet.title] = _read_rows(sheet.title, sheet.iter_rows(values_only=True))
        return sheets
    except XLSFormError:
        raise
    except Exception as err:
        raise XLSFormError(f"The .xlsx workbook could not be read ({err}).") from err
    finally:
        workbook.close()


def xls_to_sheets(data: bytes) -> dict:
    """Read an uploaded .xls (Excel 97-2003) workbook into a sheets dict of string cells."""
    import xlrd  # pyxform's own .xls reader
    try:
        book = xlrd.open_workbook(file_contents=bytes(data), on_demand=True)
    except Exception as err:
        raise XLSFormError(f"The file is not a valid .xls workbook ({err}).") from err
    try:
        sheets = {}
        for sheet in book.sheets():
            rows = ([_xls_value(book, cell) for cell in sheet.row(n)] for n in range(sheet.nrows))
            sheets[sheet.name] = _read_rows(sheet.name, rows)
        return sheets
    except XLSFormError:
        raise
    except Exception as err:
        raise XLSFormError(f"The .xls workbook could not be read ({err}).") from err
    finally:
        book.release_resources()


def _xls_value(book, cell):
    import xlrd
    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
    if cell.ctype == xlrd.XL_CELL_BOOLEAN:
        return bool(cell.value)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return None
    return cell.value


def _read_rows(title: str, rows) -> list[dict]:
    """Rows below the header as dicts; empty rows (often only formatted) are skipped, not counted."""
    headers = [_cell(value) for value in next(rows, ())]
    out = []
    for values in rows:
        row = {h: v for h, v in zip(headers, map(_cell, values)) if h and v}
        if row:
            if len(out) >= MAX_ROWS:
                raise XLSFormError(f"Sheet {title!r} has more than {MAX_ROWS} rows with content.")
            out.append(row)
    return out


def convert(source, filename: str | None = None, now: datetime.datetime | None = None) -> ConvertedForm:
    """Convert an XLSForm (sheets dict, .xlsx or .xls bytes) to an XForm with pyxform.

    What pyxform accepts is accepted: no form_id -> the file name's stem; no version -> one made from
    the date and time (UTC, as ODK Central does); a submission_url is dropped (submissions must come
    here), with a warning.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        sheets = workbook_to_sheets(bytes(source))
    elif isinstance(source, dict):
        sheets = normalize_sheets(source)
    else:
        raise XLSFormError("An XLSForm must be given as a sheets dict or .xlsx/.xls bytes.")
    notes: list[str] = []
    form_id, version = _settings(sheets, filename, now, notes)
    warnings: list[str] = []
    try:
        result = pyxform_convert(_pyxform_workbook(sheets), warnings=warnings)
    except Exception as err:  # pyxform raises PyXFormError, and others on odd input
        raise XLSFormError(f"pyxform could not convert the XLSForm: {err}") from err
    xml = result.xform
    info = form_info(xml)
    if info["form_id"] != form_id:
        raise XLSFormError(f"pyxform gave the form id {info['form_id']!r}, not {form_id!r}.")
    return ConvertedForm(
        form_id=form_id,
        title=info["title"] or form_id,
        version=version,
        xml=xml,
        md5=hashlib.md5(xml.encode("utf-8"), usedforsecurity=False).hexdigest(),
        media=info["media"],
        sheets=sheets,
        warnings=notes + list(warnings),
        encrypted=b"base64RsaPublicKey" in xml.encode("utf-8"),
    )


@functools.lru_cache(maxsize=None)
def convert_builtin(form_id: str) -> ConvertedForm:
    """Convert a built-in form (cached; treat the result as read-only)."""
    return convert(load_definition(form_id))


def normalize_sheets(sheets: dict) -> dict:
    """Return sheets with string cells, stripped, and empty cells and rows dropped."""
    normalized = {}
    for name, rows in sheets.items():
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise XLSFormError(f"Sheet {name!r} must be a list of rows (dicts of column to cell).")
        normalized[str(name)] = [
            row_dict
            for row in rows
            if (row_dict := {str(k).strip(): v for k, c in row.items() if k and (v := _cell(c))})
        ]
    return normalized


def _cell(value) -> str | None:
    """A cell as pyxform reads it from .xlsx: a stripped string, or None when empty."""
    if value is None:
        return None
    if value is True or value is False:
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (datetime.date, datetime.time)):
        value = value.isoformat()
    text = str(value).replace("\xa0", " ").strip()
    return text or None


def _headers(rows: list[dict]) -> list[str]:
    """Column headers of a sheet, in order of first appearance."""
    return list(dict.fromkeys(key for row in rows for key in row))


def _pyxform_workbook(sheets: dict) -> dict:
    """Shape sheets like pyxform's own .xlsx reader output (lower-cased, with headers)."""
    supported = {
        name.lower(): rows
        for name, rows in sheets.items()
        if name.lower() in pyxform_constants.SUPPORTED_SHEET_NAMES
    }
    others = [n for n in sheets if n.lower() not in pyxform_constants.SUPPORTED_SHEET_NAMES]
    if pyxform_constants.SURVEY not in supported and len(others) == 1:
        supported[pyxform_constants.SURVEY] = sheets[others[0]]  # pyxform reads a lone sheet as the survey
    workbook = {"sheet_names": list(sheets)}
    for name, rows in supported.items():
        headers = _headers(rows)
        workbook[name] = rows
        workbook[f"{name}_header"] = [dict.fromkeys(headers)] if headers else []
    return workbook


def _settings(sheets: dict, filename: str | None, now, notes: list) -> tuple[str, str]:
    """The form id and version, made when missing and written back into the settings sheet."""
    name = next((n for n in sheets if n.lower() == pyxform_constants.SETTINGS), None)
    if name is None or not sheets[name]:
        name = name or "settings"
        sheets[name] = [{}]
    row = sheets[name][0]
    keys = {key.lower(): key for key in row}
    form_id = row.get(keys.get("form_id", "")) or row.get(keys.get("id_string", ""))
    if not form_id:
        stem = Path(filename or "").stem.strip()
        if not stem:
            raise XLSFormError("Give a form_id in the settings sheet (or upload the file with a name).")
        form_id = stem
        row["form_id"] = form_id
        notes.append(Note(f"No form_id in the settings sheet: the file name gives {form_id!r}.", "form_id_made",
                          form_id=form_id))
    if not FORM_ID_RE.match(form_id):
        raise XLSFormError(f"The form_id {form_id!r} cannot be used: at most 64 characters, "
                           "without '/', '\\' or control characters.")
    version = row.get(keys.get("version", ""))
    if not version:
        version = (now or datetime.datetime.now(datetime.timezone.utc)).strftime("%Y%m%d%H%M%S")
        row["version"] = version
        notes.append(Note(f"No version in the settings sheet: {version} was made from the upload time.",
                          "version_made", version=version))
    if not VERSION_RE.match(version):
        raise XLSFormError(f"The version {version!r} cannot be used: at most 64 characters, "
                           "without control characters.")
    for key in ("submission_url",):
        if keys.get(key) and row.get(keys[key]):
            notes.append(Note(f"The settings sheet's submission_url ({row[keys[key]]}) was removed: "
                              "submissions to this form come to this server.", "submission_url_removed",
                              url=row[keys[key]]))
            del row[keys[key]]
    return form_id, version
