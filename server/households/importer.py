"""Household import from CSV or XLSX: every bad row reported, all or nothing unless skipping."""
import csv
import re
import io

from flask_babel import gettext as _
from openpyxl import Workbook, load_workbook
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
#: Chinese column headings (the template's first) and the other names people give them
HEADINGS = {
    "code": ("户编号", "编号", "户号", "农户编号"), "area_code": ("区域编码", "村编码", "村(社区)编码", "村（社区）编码"),
    "area_name": ("所属村", "村", "村(社区)", "村（社区）", "区域"), "address": ("地址", "住址", "家庭住址"),
    "head_name": ("户主", "户主姓名"), "phone": ("联系电话", "电话", "手机"), "size": ("家庭人口", "人口", "人数"),
    "category": ("户类别", "类别", "类型"), "lat": ("纬度",), "lon": ("经度",),
    "cadre": ("联户干部", "干部", "干部账号"),
}
_HEADING_KEYS = {alias: key for key, aliases in HEADINGS.items() for alias in aliases}
#: category names as offices write them
CATEGORY_NAMES = {
    "ordinary": ("一般户", "普通户", "普通", "一般"), "low_income": ("困难户", "低收入户", "低保户", "低收入"),
    "elderly_alone": ("独居老人", "独居老人户", "空巢老人"), "disabled": ("残疾人户", "残疾户", "残疾"),
    "left_behind": ("留守户", "留守", "留守家庭", "留守儿童户"),
}
_CATEGORY_KEYS = {name: key for key, names in CATEGORY_NAMES.items() for name in names}


def column_key(heading) -> str:
    """A header cell as a column name: English as is (any case), Chinese through HEADINGS."""
    text = str(heading or "").strip().replace("\ufeff", "")
    return _HEADING_KEYS.get(text, text.lower())


def category_key(value: str) -> str:
    """ordinary, low_income ... from an English code or a Chinese name."""
    text = (value or "").strip()
    return _CATEGORY_KEYS.get(text, text.lower() if text.isascii() else text)


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
            header = [column_key(h) for h in next(rows, ())]
            result = [{k: _cell(v) for k, v in zip(header, row) if k} for row in rows]
            workbook.close()
            return result
        except Exception as exc:  # openpyxl raises many kinds on a broken workbook
            raise BadRequest(_("Not a readable XLSX file."), field="file", detail=str(exc)) from exc
    if name.endswith(".csv"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = data.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise BadRequest(_("The CSV is neither UTF-8 nor GB18030."), field="file")
        if "\x00" in text:
            raise BadRequest(_("Not a readable CSV file: it contains NUL bytes."), field="file")
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            reader.fieldnames = [column_key(f) for f in reader.fieldnames or []]
            return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
        except csv.Error as exc:  # NUL bytes, a binary file renamed .csv
            raise BadRequest(_("Not a readable CSV file."), field="file", detail=str(exc)) from exc
    raise BadRequest(_("Upload a .csv or .xlsx file."), field="file")


def check_columns(rows: list[dict]) -> None:
    """A file without the required columns is refused as a whole, not row by row."""
    if not rows:
        raise BadRequest(_("The file has no rows."), field="file")
    missing = [c for c in REQUIRED if c not in rows[0] and not (c == "area_code" and "area_name" in rows[0])]
    if missing:
        raise BadRequest(_("Missing column(s): %(missing)s. Columns: %(columns)s.",
                           missing=", ".join(f"{HEADINGS[c][0]} ({c})" for c in missing),
                           columns=", ".join(f"{HEADINGS[c][0]} ({c})" for c in COLUMNS)),
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
    """A clean household dict from one row, or the reasons it is bad (in the request's language).

    area_ids maps area codes and unique area names to ids; cadre_ids usernames and unique display names."""
    errors = []
    if not row.get("area_code") and row.get("area_name"):
        row = dict(row, area_code=row["area_name"])
    for field in REQUIRED:
        if not row.get(field):
            errors.append((field, _("%(column)s is missing.", column=HEADINGS[field][0])))
    code = row.get("code", "")
    if code and not re.match(CODE_PATTERN, code):
        errors.append(("code", _("Code %(code)s has spaces, commas or control characters, or is over 64 characters.",
                                 code=code)))
    if code and code in seen:
        errors.append(("code", _("Code %(code)s appears twice in this file.", code=code)))
    area_code = row.get("area_code", "")
    if area_code and area_code not in area_ids:
        errors.append(("area_code", _("Unknown area %(area)s (or outside your scope).", area=area_code)))
    category = category_key(row.get("category")) or "ordinary"
    if category not in CATEGORIES:
        errors.append(("category", _("Unknown category %(category)s; use one of %(names)s.", category=category,
                                     names="、".join(names[0] for names in CATEGORY_NAMES.values()))))
    lat = lon = size = None
    if row.get("lat") or row.get("lon"):
        for field, name, bound in (("lat", "latitude", 90), ("lon", "longitude", 180)):
            if not row.get(field):
                errors.append((field, _("%(column)s is missing (give latitude and longitude together).",
                                        column=HEADINGS[field][0])))
                continue
            try:
                value = _float(row[field], -bound, bound)
            except (TypeError, ValueError):
                errors.append((field, _("%(column)s %(value)s is not a number from -%(bound)s to %(bound)s.",
                                        column=HEADINGS[field][0], value=row[field], bound=bound)))
                continue
            lat, lon = (value, lon) if field == "lat" else (lat, value)
    if row.get("size"):
        try:
            size = int(float(row["size"]))
            if not 0 <= size <= 100:
                raise ValueError
        except (ValueError, OverflowError):
            errors.append(("size", _("Household size %(value)s is not a number of people (0 to 100).",
                                     value=row["size"])))
    for field, limit in LIMITS.items():
        if len(row.get(field) or "") > limit:
            errors.append((field, _("%(column)s is longer than %(limit)s characters.", column=HEADINGS[field][0],
                                    limit=limit)))
    cadre = row.get("cadre") or ""
    if cadre and cadre not in cadre_ids:
        errors.append(("cadre", _("Unknown cadre %(cadre)s (give the username or the full name).", cadre=cadre)))
    if errors:
        return None, errors
    seen.add(code)
    household = {"code": code, "area_id": area_ids[area_code], "cadre_id": cadre_ids.get(cadre)}
    # an empty cell leaves the stored value alone (new households get the defaults)
    for field, value in (("address", row.get("address")), ("head_name", row.get("head_name")),
                         ("phone", row.get("phone")), ("size", size),
                         ("category", category if row.get("category") else None)):
        if value not in (None, ""):
            household[field] = value
    if lat is not None:
        household.update(lat=lat, lon=lon, location_source="imported")
    return household, []


def _lookups(actor):
    """Areas by code and by unique name; active cadres by username and by unique display name (in scope)."""
    rows = db.session.execute(db.select(Area.code, Area.name, Area.id).where(
        Area.id.in_(db.select(areas.scoped_areas(actor).subquery().c.id)))).all()
    area_ids = _with_unique_names({code: i for code, _n, i in rows}, [(name, i) for _c, name, i in rows])
    cadres = db.select(User.username, User.display_name, User.id).where(User.role == "cadre",
                                                                        User.is_active.is_(True))
    if actor.role != "admin":
        cadres = cadres.where(db.or_(User.area_id.is_(None), User.area_id.in_(areas.subtree_ids(actor.area))))
    people = db.session.execute(cadres).all()
    return area_ids, _with_unique_names({u: i for u, _n, i in people}, [(name, i) for _u, name, i in people])


def _with_unique_names(by_code: dict, names: list) -> dict:
    """Codes, plus the names that are not codes and name one record only."""
    counts: dict = {}
    for name, _i in names:
        counts[name] = counts.get(name, 0) + 1
    out = dict(by_code)
    for name, i in names:
        if name and counts[name] == 1 and name not in out:
            out[name] = i
    return out


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
                    "reason": _("Code %(code)s belongs to a household outside your scope.", code=h["code"])}
                   for h in clean if h["code"] in foreign]
        errors.sort(key=lambda e: e["row"])
        clean = [h for h in clean if h["code"] not in foreign]
    if errors and not skip_errors:
        raise ImportRejected(_("%(n)s rows have errors; nothing was imported.", n=len({e["row"] for e in errors})),
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


def template_xlsx(actor) -> bytes:
    """An XLSX to fill in: Chinese headings, an example row, and a sheet of the areas and categories to use."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "农户"
    sheet.append([HEADINGS[c][0] for c in COLUMNS])
    area_ids, _cadres = _lookups(actor)
    example_area = next(iter(sorted(k for k in area_ids if k.isascii())), "")
    sheet.append(["EX-0001", example_area, "示例村1组12号", "张三", "13800000000", 3, "困难户", "", "", ""])
    for column, width in zip("ABCDEFGHIJ", (14, 14, 28, 10, 14, 8, 10, 12, 12, 12)):
        sheet.column_dimensions[column].width = width
    notes = workbook.create_sheet("说明")
    notes.append(["列", "说明"])
    for line in (("户编号", "必填；已有的编号会更新该户"), ("区域编码", "必填（或填写所属村名称）"),
                 ("户类别", "、".join(names[0] for names in CATEGORY_NAMES.values())),
                 ("纬度 / 经度", "可选；两项同时填写"), ("联户干部", "干部账号或姓名")):
        notes.append(list(line))
    notes.append([])
    notes.append(["区域编码", "名称"])
    for code, name in db.session.execute(db.select(Area.code, Area.name).where(
            Area.id.in_(db.select(areas.scoped_areas(actor).subquery().c.id))).order_by(Area.path)).all():
        notes.append([code, name])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
