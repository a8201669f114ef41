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

#: A form id ends up in URLs and file names: keep it to a safe alphabet.
FORM_ID_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")
MAX_ROWS = 50_000
VERSION_RE = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


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


def xlsx_to_sheets(data: bytes) -> dict:
    """Read an uploaded .xlsx workbook into a sheets dict of string cells."""
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # openpyxl raises many kinds on a bad file
        raise XLSFormError(f"The file is not a valid .xlsx workbook ({err}).") from err
    try:
        sheets = {}
        for sheet in workbook.worksheets:
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # don't trust the file's own idea of its size
            rows = sheet.iter_rows(values_only=True)
            header_row = next(rows, ())
            headers = [_cell(value) for value in header_row]
            sheets[sheet.title] = []
            for row_n, values in enumerate(rows, 2):
                if row_n > MAX_ROWS:
                    raise XLSFormError(f"Sheet {sheet.title!r} has more than {MAX_ROWS} rows.")
                row = {h: v for h, v in zip(headers, map(_cell, values)) if h and v}
                if row:
                    sheets[sheet.title].append(row)
        return sheets
    except XLSFormError:
        raise
    except Exception as err:
        raise XLSFormError(f"The .xlsx workbook could not be read ({err}).") from err
    finally:
        workbook.close()


def convert(source) -> ConvertedForm:
    """Convert an XLSForm (sheets dict or .xlsx bytes) to an XForm with pyxform."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        sheets = xlsx_to_sheets(bytes(source))
    elif isinstance(source, dict):
        sheets = normalize_sheets(source)
    else:
        raise XLSFormError("An XLSForm must be given as a sheets dict or .xlsx bytes.")
    warnings: list[str] = []
    try:
        result = pyxform_convert(_pyxform_workbook(sheets), warnings=warnings)
    except Exception as err:  # pyxform raises PyXFormError, and others on odd input
        raise XLSFormError(f"pyxform could not convert the XLSForm: {err}") from err
    form_id, version = _required_settings(sheets)
    xml = result.xform
    info = form_info(xml)
    return ConvertedForm(
        form_id=form_id,
        title=info["title"] or form_id,
        version=version,
        xml=xml,
        md5=hashlib.md5(xml.encode("utf-8"), usedforsecurity=False).hexdigest(),
        media=info["media"],
        sheets=sheets,
        warnings=list(warnings),
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
    if not supported and len(sheets) == 1:  # pyxform reads a lone sheet as the survey
        supported = {pyxform_constants.SURVEY: next(iter(sheets.values()))}
    workbook = {"sheet_names": list(sheets)}
    for name, rows in supported.items():
        headers = _headers(rows)
        workbook[name] = rows
        workbook[f"{name}_header"] = [dict.fromkeys(headers)] if headers else []
    return workbook


def _required_settings(sheets: dict) -> tuple[str, str]:
    """The form id and version from the settings sheet; both are required."""
    settings = next(
        (rows for name, rows in sheets.items() if name.lower() == pyxform_constants.SETTINGS), []
    )
    row = {key.lower(): value for key, value in (settings[0] if settings else {}).items()}
    form_id = row.get("form_id") or row.get("id_string")
    version = row.get("version")
    if not form_id:
        raise XLSFormError("The settings sheet must give a form_id.")
    if not FORM_ID_RE.match(form_id):
        raise XLSFormError(
            f"The form_id {form_id!r} is invalid: use letters, digits, '_', '-' or '.', "
            "starting with a letter or '_'."
        )
    if not version:
        raise XLSFormError("The settings sheet must give a version (e.g. 2026112301).")
    if not VERSION_RE.match(version):
        raise XLSFormError(
            f"The version {version!r} is invalid: use letters, digits, '_', '-' or '.'."
        )
    return form_id, version
