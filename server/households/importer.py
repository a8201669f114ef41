"""Household import from CSV or XLSX: every bad row reported, all or nothing unless skipping."""
import csv
import io

from openpyxl import load_workbook
from sqlalchemy import insert, update

from ..areas import services as areas
from ..areas.models import Area
from ..audit import services as audit
from ..auth.models import User
from ..auth.services import require_role
from ..errors import BadRequest, ImportRejected
from ..extensions import db
from ..models_base import utcnow
from .models import CATEGORIES, Assignment, Household

COLUMNS = ("code", "area_code", "address", "head_name", "phone", "size", "category", "lat", "lon", "cadre")
REQUIRED = ("code", "area_code")
CHUNK = 2000


def read_rows(filename: str, data: bytes) -> list[dict]:
    """Rows of a CSV (UTF-8, with or without BOM, or GB18030) or the first sheet of an XLSX."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds on a broken workbook
            raise BadRequest(f"Not a readable XLSX file: {exc}", field="file") from exc
        rows = sheet.iter_rows(values_only=True)
        header = [str(h or "").strip().lower() for h in next(rows, ())]
        return [dict(zip(header, ("" if v is None else str(v).strip() for v in row))) for row in rows]
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise BadRequest("The CSV is neither UTF-8 nor GB18030.", field="file")
        reader = csv.DictReader(io.StringIO(text))
        reader.fieldnames = [(f or "").strip().lower() for f in reader.fieldnames or []]
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    raise BadRequest("Upload a .csv or .xlsx file.", field="file")


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
        try:
            lat = _float(row.get("lat"), -90, 90)
        except (TypeError, ValueError):
            errors.append(("lat", f"latitude {row.get('lat')!r} out of range -90..90"))
        try:
            lon = _float(row.get("lon"), -180, 180)
        except (TypeError, ValueError):
            errors.append(("lon", f"longitude {row.get('lon')!r} out of range -180..180"))
    if row.get("size"):
        try:
            size = int(float(row["size"]))
            if not 0 <= size <= 100:
                raise ValueError
        except ValueError:
            errors.append(("size", f"size {row['size']!r} is not a number of people"))
    cadre = row.get("cadre") or ""
    if cadre and cadre not in cadre_ids:
        errors.append(("cadre", f"unknown cadre {cadre}"))
    if errors:
        return None, errors
    seen.add(code)
    return {
        "code": code, "area_id": area_ids[area_code], "address": row.get("address", ""),
        "head_name": row.get("head_name", ""), "phone": row.get("phone") or None, "size": size,
        "category": category, "lat": lat, "lon": lon,
        "location_source": "imported" if lat is not None else None, "cadre_id": cadre_ids.get(cadre),
    }, []


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
    area_ids, cadre_ids = _lookups(actor)
    clean, errors, seen = [], [], set()
    for number, row in enumerate(rows, start=2):  # row 1 is the header
        household, row_errors = check_row(row, area_ids, cadre_ids, seen)
        errors += [{"row": number, "field": f, "reason": r} for f, r in row_errors]
        if household:
            clean.append(household)
    if errors and not skip_errors:
        raise ImportRejected(f"{len({e['row'] for e in errors})} rows have errors; nothing was imported.",
                             errors=errors)
    result = _write(actor, clean, progress)
    result.update(skipped=len(rows) - len(clean), errors=errors)
    audit.record(actor, "household.import", "import", filename, **{k: result[k] for k in ("created", "updated", "linked", "skipped")})
    return result


def _write(actor, clean: list[dict], progress) -> dict:
    created = updated = linked = 0
    now = utcnow()
    for start in range(0, len(clean), CHUNK):
        chunk = clean[start:start + CHUNK]
        existing = dict(db.session.execute(
            db.select(Household.code, Household.id).where(Household.code.in_([h["code"] for h in chunk]))).all())
        if existing and actor.role != "admin":
            # an existing code outside the actor's scope is not theirs to overwrite
            visible = set(db.session.scalars(
                db.select(Household.id).where(Household.id.in_(existing.values()),
                                              Household.area_id.in_(areas.subtree_ids(actor.area)))))
            existing = {c: i for c, i in existing.items() if i in visible}
        fields = [{k: v for k, v in h.items() if k != "cadre_id"} for h in chunk]
        new = [dict(f, created_at=now, updated_at=now, version=1, is_active=True)
               for f in fields if f["code"] not in existing]
        if new:
            db.session.execute(insert(Household), new)
        old = [dict(f, id=existing[f["code"]], updated_at=now) for f in fields if f["code"] in existing]
        if old:
            db.session.execute(update(Household), old)
            db.session.execute(update(Household).where(Household.id.in_([o["id"] for o in old]))
                               .values(version=Household.version + 1))
        created, updated = created + len(new), updated + len(old)
        linked += _link_chunk(actor, chunk, now)
        if progress:
            progress(start + len(chunk), len(clean))
    return {"created": created, "updated": updated, "linked": linked}


def _link_chunk(actor, chunk: list[dict], now) -> int:
    wanted = {h["code"]: h["cadre_id"] for h in chunk if h["cadre_id"]}
    if not wanted:
        return 0
    ids = dict(db.session.execute(db.select(Household.code, Household.id).where(Household.code.in_(wanted))).all())
    current = dict(db.session.execute(
        db.select(Assignment.household_id, Assignment.cadre_id)
        .where(Assignment.household_id.in_(ids.values()), Assignment.valid_to.is_(None))).all())
    changes = {ids[c]: cadre for c, cadre in wanted.items() if current.get(ids[c]) != cadre}
    if not changes:
        return 0
    db.session.execute(update(Assignment).where(Assignment.household_id.in_(changes),
                                                Assignment.valid_to.is_(None)).values(valid_to=now))
    db.session.execute(insert(Assignment), [
        {"household_id": h, "cadre_id": c, "valid_from": now, "created_by_id": actor.id} for h, c in changes.items()])
    db.session.execute(update(Household).where(Household.id.in_(changes))
                       .values(updated_at=now, version=Household.version + 1))
    return len(changes)
