"""Household import from CSV or XLSX: every bad row reported, all or nothing unless skipping."""
import csv
import re
import io

from openpyxl import load_workbook
from sqlalchemy import update

from ..areas import services as areas
from ..areas.models import Area
from ..audit import services as audit
from ..auth.models import User
from ..auth.services import require_role
from ..errors import BadRequest, ImportRejected
from ..extensions import db
from ..models_base import utcnow
from . import bulk
from .models import CATEGORIES, CODE_PATTERN, Assignment, Household

COLUMNS = ("code", "area_code", "address", "head_name", "phone", "size", "category", "lat", "lon", "cadre")
REQUIRED = ("code", "area_code")
CHUNK = 2000
LIMITS = {"code": 64, "address": 255, "head_name": 100, "phone": 32}


def read_rows(filename: str, data: bytes) -> list[dict]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first sheet of an XLSX."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # some writers store a wrong size
            rows = sheet.iter_rows(values_only=True)
            header = [str(h or "").strip().lower() for h in next(rows, ())]
            result = [{k: _cell(v) for k, v in zip(header, row) if k} for row in rows]
            workbook.close()
            return result
        except Exception as exc:  # openpyxl raises many kinds on a broken workbook
            raise BadRequest(f"Not a readable XLSX file: {exc}", field="file") from exc
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise BadRequest("The CSV is neither UTF-8 nor GB18030.", field="file")
        if "\x00" in text:
            raise BadRequest("Not a readable CSV file: it contains NUL bytes.", field="file")
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            reader.fieldnames = [(f or "").strip().lower() for f in reader.fieldnames or []]
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
        except csv.Error as exc:  # NUL bytes, a binary file renamed .csv
            raise BadRequest(f"Not a readable CSV file: {exc}", field="file") from exc
    raise BadRequest("Upload a .csv or .xlsx file.", field="file")


def check_columns(rows: list[dict]) -> None:
    """A file without the required columns is refused as a whole, not row by row."""
    if not rows:
        raise BadRequest("The file has no rows.", field="file")
    missing = [c for c in REQUIRED if c not in rows[0]]
    if missing:
        raise BadRequest(f"Missing column(s): {', '.join(missing)}. Columns: {', '.join(COLUMNS)}.",
                         field="file", missing=missing)


def _cell(value) -> str:
    """A spreadsheet cell as text (whole numbers without a trailing .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return str(value).strip()


def _float(value, low, high):
    number = float(value)
    if not low <= number <= high:
        raise ValueError
    return number


def check_row(row: dict, area_ids: dict, cadre_ids: dict, seen: set) -> tuple[dict | None, list]:
    """A clean household dict from one row, or the reasons it is bad."""
    errors = []
    for field in REQUIRED:
        if not row.get(field):
            errors.append((field, f"missing {field}"))
    code = row.get("code", "")
    if code and not re.match(CODE_PATTERN, code):
        errors.append(("code", f"code {code!r} has spaces, commas or control characters, or is over 64 characters"))
    if code and code in seen:
        errors.append(("code", f"duplicate code {code} in this file"))
    area_code = row.get("area_code", "")
    if area_code and area_code not in area_ids:
        errors.append(("area_code", f"unknown area {area_code} (or outside your scope)"))
    category = row.get("category") or "ordinary"
    if category not in CATEGORIES:
        errors.append(("category", f"unknown category {category}; use one of {', '.join(CATEGORIES)}"))
    lat = lon = size = None
    if row.get("lat") or row.get("lon"):
        for field, name, bound in (("lat", "latitude", 90), ("lon", "longitude", 180)):
            if not row.get(field):
                errors.append((field, f"missing {name} (give lat and lon together)"))
                continue
            try:
                value = _float(row[field], -bound, bound)
            except (TypeError, ValueError):
                errors.append((field, f"{name} {row[field]!r} is not a number in range -{bound}..{bound}"))
                continue
            lat, lon = (value, lon) if field == "lat" else (lat, value)
    if row.get("size"):
        try:
            size = int(float(row["size"]))
            if not 0 <= size <= 100:
                raise ValueError
        except (ValueError, OverflowError):
            errors.append(("size", f"size {row['size']!r} is not a number of people (0..100)"))
    for field, limit in LIMITS.items():
        if len(row.get(field) or "") > limit:
            errors.append((field, f"{field} longer than {limit} characters"))
    cadre = row.get("cadre") or ""
    if cadre and cadre not in cadre_ids:
        errors.append(("cadre", f"unknown cadre {cadre}"))
    if errors:
        return None, errors
    seen.add(code)
    household = {"code": code, "area_id": area_ids[area_code], "cadre_id": cadre_ids.get(cadre)}
    # an empty cell leaves the stored value alone (new households get the defaults)
    for field, value in (("address", row.get("address")), ("head_name", row.get("head_name")),
                         ("phone", row.get("phone")), ("size", size), ("category", row.get("category"))):
        if value not in (None, ""):
            household[field] = value
    if lat is not None:
        household.update(lat=lat, lon=lon, location_source="imported")
    return household, []


def _lookups(actor):
    area_ids = dict(db.session.execute(
        db.select(Area.code, Area.id).where(Area.id.in_(db.select(areas.scoped_areas(actor).subquery().c.id)))
    ).all())
    cadres = db.select(User.username, User.id).where(User.role == "cadre", User.is_active.is_(True))
    if actor.role != "admin":
        cadres = cadres.where(db.or_(User.area_id.is_(None), User.area_id.in_(areas.subtree_ids(actor.area))))
    return area_ids, dict(db.session.execute(cadres).all())


def import_households(actor, filename: str, data: bytes, *, skip_errors=False, progress=None) -> dict:
    """Create or update households from a file; link them to the named cadres."""
    require_role(actor, "admin", "manager")
    rows = read_rows(filename, data)
    check_columns(rows)
    area_ids, cadre_ids = _lookups(actor)
    clean, errors, seen = [], [], set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        if not any(row.values()):
            continue  # blank line
        household, row_errors = check_row(row, area_ids, cadre_ids, seen)
        errors += [{"row": number, "field": f, "reason": r} for f, r in row_errors]
        if household:
            household["row"] = number
            clean.append(household)
    existing, foreign = _existing(actor, [h["code"] for h in clean])
    if foreign:
        errors += [{"row": h["row"], "field": "code",
                    "reason": f"code {h['code']} belongs to a household outside your scope"}
                   for h in clean if h["code"] in foreign]
        errors.sort(key=lambda e: e["row"])
        clean = [h for h in clean if h["code"] not in foreign]
    if errors and not skip_errors:
        raise ImportRejected(f"{len({e['row'] for e in errors})} rows have errors; nothing was imported.",
                             errors=errors)
    result = _write(actor, clean, existing, progress)
    result.update(skipped=len({e["row"] for e in errors}), errors=errors)
    audit.record(actor, "household.import", "import", filename, **{k: result[k] for k in ("created", "updated", "unchanged", "linked", "skipped")})
    return result


STORED = ("id", "version", "area_id", "address", "head_name", "phone", "size", "category", "lat", "lon",
          "location_source")
DEFAULTS = {"address": "", "head_name": "", "phone": None, "size": None, "category": "ordinary",
            "lat": None, "lon": None, "location_source": None}


def _existing(actor, codes: list[str]) -> tuple[dict, set]:
    """The stored households with these codes that the actor may update (code -> their fields),
    and the codes that belong to households outside the actor's scope."""
    existing, foreign = {}, set()
    scope = None if actor.role == "admin" else areas.subtree_ids(actor.area)
    columns = [Household.code] + [getattr(Household, c) for c in STORED]
    for start in range(0, len(codes), CHUNK):
        query = db.select(*columns).where(bulk.one_of(Household.code, codes[start:start + CHUNK]))
        if scope is not None:
            query = query.add_columns(Household.area_id.in_(scope).label("in_scope"))
        for row in db.session.execute(query).mappings():
            if scope is None or row["in_scope"]:
                existing[row["code"]] = row
            else:
                foreign.add(row["code"])
    return existing, foreign


def _write(actor, clean: list[dict], existing: dict, progress) -> dict:
    """Insert new households, update changed ones (version + 1), link cadres; chunk by chunk."""
    created = updated = linked = 0
    now = utcnow()
    for start in range(0, len(clean), CHUNK):
        chunk = clean[start:start + CHUNK]
        relink = _relinks([h for h in chunk if h["code"] in existing and h["cadre_id"]], existing)
        changed = []
        for h in chunk:
            stored = existing.get(h["code"])
            if stored is None:
                continue
            values = {k: v for k, v in h.items() if k not in ("cadre_id", "row", "code") and stored[k] != v}
            if "lat" not in values and "lon" not in values:
                values.pop("location_source", None)  # same place: keep how it was located
            if values or stored["id"] in relink:
                changed.append({**{k: stored[k] for k in STORED}, **values,
                                "version": stored["version"] + 1, "updated_at": now})
        bulk.update_rows(Household, changed)
        new = [dict(DEFAULTS, **{k: v for k, v in h.items() if k not in ("cadre_id", "row")},
                    created_at=now, updated_at=now, version=1, is_active=True)
               for h in chunk if h["code"] not in existing]
        bulk.insert_rows(Household, new)
        ids = dict(db.session.execute(db.select(Household.code, Household.id).where(
            bulk.one_of(Household.code, [h["code"] for h in new]))).all()) if new else {}
        links = dict(relink)
        links.update({ids[h["code"]]: h["cadre_id"] for h in chunk if h["cadre_id"] and h["code"] in ids})
        _link(actor, links, relink, now)
        created, updated, linked = created + len(new), updated + len(changed), linked + len(links)
        if progress:
            progress(start + len(chunk), len(clean))
    if created >= CHUNK:
        bulk.refresh_statistics(Household, Assignment)
    return {"created": created, "updated": updated, "linked": linked,
            "unchanged": len(clean) - created - updated}


def _relinks(rows: list[dict], existing: dict) -> dict:
    """household id -> cadre id for stored households whose linked cadre changes."""
    wanted = {existing[h["code"]]["id"]: h["cadre_id"] for h in rows}
    if not wanted:
        return {}
    current = dict(db.session.execute(
        db.select(Assignment.household_id, Assignment.cadre_id)
        .where(bulk.one_of(Assignment.household_id, wanted), Assignment.valid_to.is_(None))).all())
    return {h: c for h, c in wanted.items() if current.get(h) != c}


def _link(actor, links: dict, relinked: dict, now) -> None:
    """Close the assignments in force of the relinked households (kept as history) and open the new ones."""
    if relinked:
        db.session.execute(update(Assignment).where(bulk.one_of(Assignment.household_id, relinked),
                                                    Assignment.valid_to.is_(None)).values(valid_to=now))
    bulk.insert_rows(Assignment, [{"household_id": h, "cadre_id": c, "valid_from": now, "valid_to": None,
                                   "created_by_id": getattr(actor, "id", None)} for h, c in links.items()])
