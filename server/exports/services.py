"""What an export holds: column names and a flat stream of rows, read with a server-side cursor."""
from datetime import timezone

import orjson

from sqlalchemy import literal, select, true

from forms.tables import split_geopoint

from ..areas import services as areas
from ..auth.services import require_role
from ..coverage import services as coverage
from ..coverage.periods import zone
from ..coverage.queries import A, H, S, U
from ..errors import Forbidden
from ..extensions import db
from ..households.services import scope_filter
from ..models_base import UtcDateTime
from ..surveys import services as surveys
from ..submissions.models import FLAGGED_GEO_STATUSES
from ..surveys.models import FormVersion
from ..web import labels
from .columns import CHOICE_TYPES, JOINERS, code_labels, label_in, local_text, meta_header
from .rows import answers_text, loads, local_texts, stamp

ROLES = ("admin", "manager", "cadre")
BATCH = 2000
COVERAGE_COLUMNS = ("code", "head_name", "address", "category", "area_code", "area_name", "cadre_username",
                    "cadre_name", "last_visit_at", "due_at", "visited", "overdue", "flagged", "status", "lat", "lon")
META_COLUMNS = ("instance_id", "form_version", "captured_at", "received_at", "household_code", "area_code",
                "submitter", "lat", "lon", "accuracy", "geo_status", "geo_distance_m", "review_state")
SKIPPED_TYPES = ("group", "note")
GEOPOINT_HEADERS = (("lat", "Latitude"), ("lon", "Longitude"), ("altitude", "Altitude"), ("accuracy", "Accuracy"))
TEXT, GEOPOINT, REPEAT = 0, 1, 2  # repeats come out as JSON text, like other answers


def iso(moment) -> str:
    """A UTC datetime as ISO 8601 with Z; empty for None."""
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def coverage_export(actor, period, *, area_id=None, status=None, cadre_id=None, lang=None):
    """Columns and rows of a coverage list (unvisited, visited or overdue households), all of them;
    times local, headers as codes or (lang) translated."""
    query = coverage.coverage_households(actor, period, area_id=area_id, status=status, cadre_id=cadre_id)
    tz = zone()
    category = code_labels(labels.CATEGORIES, lang) or {}
    state = code_labels(labels.COVERAGE_STATUSES, lang) or {}

    def flat():  # runs while the response streams (the request's session is gone by then)
        coverage.tune_for_reports()
        rows = db.session.connection().execute(query.execution_options(yield_per=BATCH))
        for h in coverage.household_dicts(rows):
            cadre = h["cadre"] or {}
            yield (h["code"], h["head_name"], h["address"], category.get(h["category"], h["category"]),
                   h["area"]["code"], h["area"]["name"], cadre.get("username", ""), cadre.get("display_name", ""),
                   local_text(h["last_visit_at"], tz), local_text(h["due_at"], tz), int(h["visited"]),
                   int(h["overdue"]), h["flagged"], state.get(h["status"], h["status"]), h["lat"], h["lon"])
    return [meta_header(c, lang) for c in COVERAGE_COLUMNS], flat()


def export_plan(form, lang=None) -> tuple[list[str], list[tuple]]:
    """Field columns of a form, over all its versions (current first): geopoints in four columns
    (lat, lon, altitude, accuracy), repeats as JSON; headers as codes or the labels in `lang`.
    The plan holds (path, kind, choice labels or None)."""
    versions = sorted(form.versions, key=lambda v: (not v.is_current, -v.id))
    columns, plan, seen = [], [], set()
    for version in versions:
        for field in surveys.fields_for(version):
            if field.path in seen or field.type in SKIPPED_TYPES or field.repeat:
                continue
            seen.add(field.path)
            header = label_in(field.labels, lang, field.path)
            if field.type == "geopoint":
                columns += [f"{header}_{part}" if not lang else f"{header}-{meta_header(name, lang)}"
                            for part, name in GEOPOINT_HEADERS]
                plan.append((field.path, GEOPOINT, None))
            else:
                columns.append(header)
                choices = None
                if lang and field.type in CHOICE_TYPES and field.choices:
                    choices = {c["name"]: label_in(c.get("labels") or {}, lang, c["name"]) for c in field.choices}
                plan.append((field.path, REPEAT if field.type == "repeat" else TEXT, choices))
    return columns, plan


def _json_text(value):
    """A list or dict answer (a repeat) as JSON text, Chinese readable; a scalar as it is."""
    if value is None or isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return value
    return orjson.dumps(value).decode()


def _choice_text(value, choices, lang):
    if not value or isinstance(value, (list, dict)):
        return _json_text(value)
    return JOINERS.get(lang, " ").join(choices.get(code, code) for code in str(value).split())


#: answer types written as they are
SCALARS = frozenset({str, int, float, type(None)})


def answer_cells(plan, lang=None):
    """A function: a submission's answers (a dict) as its field cells in export_plan order: geopoints
    as four numbers ('' when missing), repeats (and any list, dict or boolean) as JSON text, choices as
    codes or (lang) labels. Every answer is taken in one pass; only those positions are rewritten."""
    paths = [path for path, _, _ in plan]
    repeats = [at for at, (_, kind, _) in enumerate(plan) if kind == REPEAT]
    choices = [(at, labels) for at, (_, kind, labels) in enumerate(plan) if kind != GEOPOINT and labels is not None]
    points = [at for at, (_, kind, _) in enumerate(plan) if kind == GEOPOINT][::-1]  # from the right

    def cells(answers):
        out = list(map(answers.get, paths))
        raw = out[:] if choices or points else out
        for at in repeats:
            out[at] = _json_text(out[at])
        if not SCALARS.issuperset(map(type, out)):
            out = [_json_text(value) for value in out]
        for at, labels in choices:
            out[at] = _choice_text(raw[at], labels, lang)
        for at in points:
            out[at:at + 1] = ["" if v is None else v for v in split_geopoint(raw[at])]
        return out
    return cells


def submissions_query(actor, form, period=None, area_id=None, filters=None):
    """A select of the form's current submissions in scope (META_COLUMNS, then the answers as
    rows.answers_text gives them): a cadre gets only their own.

    `filters` are the visits list's (cadre, household, geo_status, review_state, flagged), so that a
    list's download holds exactly its rows."""
    require_role(actor, *ROLES)
    if actor.role == "cadre" and form.kind == "satisfaction":
        raise Forbidden("Cadres may not export satisfaction answers.")
    version_ids = select(FormVersion.id).where(FormVersion.form_pk == form.id)
    query = (select(S.c.instance_id, FormVersion.version, stamp(S.c.captured_at), stamp(S.c.received_at),
                    H.c.code.label("household_code"), A.c.code.label("area_code"), U.c.username,
                    S.c.lat, S.c.lon, S.c.accuracy, S.c.geo_status, S.c.geo_distance_m, S.c.review_state,
                    answers_text(S.c.answers))
             .select_from(S.join(FormVersion.__table__, FormVersion.id == S.c.form_version_id)
                          .outerjoin(H, H.c.id == S.c.household_id).outerjoin(A, A.c.id == S.c.area_id)
                          .outerjoin(U, U.c.id == S.c.submitter_id))
             .where(S.c.kind == form.kind, S.c.form_version_id.in_(version_ids), S.c.is_current == true())
             .order_by(S.c.captured_at, S.c.id))
    if period is not None:
        query = query.where(S.c.captured_at >= literal(period.start, UtcDateTime()),
                            S.c.captured_at < literal(period.end, UtcDateTime()))
    if area_id is not None:
        query = query.where(S.c.area_id.in_(areas.subtree_ids(areas.get_in_scope(actor, area_id))))
    query = _filtered(query, filters or {})
    if actor.role == "cadre":
        return query.where(S.c.submitter_id == actor.id)
    return scope_filter(actor, query, S.c.household_id, S.c.area_id)


def _filtered(query, filters: dict):
    """The visits list's filters on an export's select."""
    for column, key in ((S.c.submitter_id, "cadre"), (S.c.household_id, "household"),
                        (S.c.geo_status, "geo_status"), (S.c.review_state, "review_state")):
        if filters.get(key) is not None:
            query = query.where(column == filters[key])
    if filters.get("flagged"):
        query = query.where(S.c.geo_status.in_(FLAGGED_GEO_STATUSES), H.c.is_active == true())
    return query


def submissions_export(actor, form_id: str, *, period=None, area_id=None, lang=None, filters=None):
    """Columns and rows of a form's submissions: metadata, then one column per field.

    Each submission's answers are read once (orjson on SQLite's text; PostgreSQL's driver decodes
    them); Python splits geopoints, writes times in the deployment's time zone, and (lang) choice
    codes as labels."""
    form = surveys.get_form(form_id)
    field_columns, plan = export_plan(form, lang)
    query = submissions_query(actor, form, period, area_id, filters)
    local, answers = local_texts(zone()), answer_cells(plan, lang)
    geo, review = code_labels(labels.GEO_STATUSES, lang) or {}, code_labels(labels.REVIEW_STATES, lang) or {}

    def flat():  # runs while the response streams: Core rows from a server-side cursor
        rows = db.session.connection().execute(query.execution_options(yield_per=BATCH))
        for (instance_id, version, captured, received, household, area, username, lat, lon, accuracy, geo_status,
             distance, review_state, values) in rows:
            if lang:
                geo_status, review_state = geo.get(geo_status, geo_status), review.get(review_state, review_state)
            yield [instance_id, version, local(captured), local(received), household, area, username, lat, lon,
                   accuracy, geo_status, distance, review_state, *answers(loads(values))]
    return ([meta_header(c, lang) for c in META_COLUMNS] + field_columns), flat()
