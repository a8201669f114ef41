"""What an export holds: column names and a flat stream of rows, read with a server-side cursor."""
import json
from datetime import timezone

from sqlalchemy import literal, select, true

from ..areas import services as areas
from ..auth.services import require_role
from ..coverage import services as coverage
from ..coverage.queries import A, H, S, U, answer_text, utc_text
from ..errors import Forbidden
from ..extensions import db
from ..households.services import scope_filter
from ..models_base import UtcDateTime
from ..surveys import services as surveys
from ..surveys.models import FormVersion

ROLES = ("admin", "manager", "cadre")
BATCH = 2000
COVERAGE_COLUMNS = ("code", "head_name", "address", "category", "area_code", "area_name", "cadre_username",
                    "cadre_name", "last_visit_at", "due_at", "visited", "overdue", "flagged", "status", "lat", "lon")
META_COLUMNS = ("instance_id", "form_version", "captured_at", "received_at", "household_code", "area_code",
                "submitter", "lat", "lon", "accuracy", "geo_status", "geo_distance_m", "review_state")
SKIPPED_TYPES = ("group", "note")
TEXT, GEOPOINT, REPEAT = 0, 1, 2  # repeats come out as JSON text, like other answers


def iso(moment) -> str:
    """A UTC datetime as ISO 8601 with Z; empty for None."""
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def coverage_export(actor, period, *, area_id=None, status=None, cadre_id=None):
    """Columns and rows of a coverage list (unvisited, visited or overdue households), all of them."""
    query = coverage.coverage_households(actor, period, area_id=area_id, status=status, cadre_id=cadre_id)

    def flat():  # runs while the response streams (the request's session is gone by then)
        coverage.tune_for_reports()
        rows = db.session.connection().execute(query.execution_options(yield_per=BATCH))
        for h in coverage.household_dicts(rows):
            cadre = h["cadre"] or {}
            yield (h["code"], h["head_name"], h["address"], h["category"], h["area"]["code"], h["area"]["name"],
                   cadre.get("username", ""), cadre.get("display_name", ""), iso(h["last_visit_at"]),
                   iso(h["due_at"]), int(h["visited"]), int(h["overdue"]), h["flagged"], h["status"],
                   h["lat"], h["lon"])
    return COVERAGE_COLUMNS, flat()


def export_plan(form) -> tuple[list[str], list[tuple[str, int]]]:
    """Field columns of a form, over all its versions (current first): geopoints split, repeats as JSON."""
    versions = sorted(form.versions, key=lambda v: (not v.is_current, -v.id))
    columns, plan, seen = [], [], set()
    for version in versions:
        for field in surveys.fields_for(version):
            if field.path in seen or field.type in SKIPPED_TYPES or field.repeat:
                continue
            seen.add(field.path)
            if field.type == "geopoint":
                columns += [f"{field.path}_lat", f"{field.path}_lon", f"{field.path}_accuracy"]
                plan.append((field.path, GEOPOINT))
            else:
                columns.append(field.path)
                plan.append((field.path, REPEAT if field.type == "repeat" else TEXT))
    return columns, plan


def _geopoint(value):
    """lat, lon, accuracy from 'lat lon alt acc' text or a JSON {lat, lon, accuracy} object."""
    if not value:
        return "", "", ""
    if isinstance(value, str) and value.startswith("{"):
        try:
            point = json.loads(value)
            return point.get("lat", ""), point.get("lon", ""), point.get("accuracy", "")
        except (ValueError, AttributeError):
            return value, "", ""
    parts = str(value).split()
    try:
        numbers = [float(p) for p in parts[:4]]
    except ValueError:
        return value, "", ""
    if len(numbers) < 2:
        return value, "", ""
    return numbers[0], numbers[1], numbers[3] if len(numbers) > 3 else ""


def submissions_query(actor, form, plan, period=None, area_id=None):
    """A select of the form's current submissions in scope: a cadre gets only their own."""
    require_role(actor, *ROLES)
    if actor.role == "cadre" and form.kind == "satisfaction":
        raise Forbidden("Cadres may not export satisfaction answers.")
    version_ids = select(FormVersion.id).where(FormVersion.form_pk == form.id)
    query = (select(S.c.instance_id, FormVersion.version, utc_text(S.c.captured_at), utc_text(S.c.received_at),
                    H.c.code.label("household_code"), A.c.code.label("area_code"), U.c.username,
                    S.c.lat, S.c.lon, S.c.accuracy, S.c.geo_status, S.c.geo_distance_m, S.c.review_state,
                    *(answer_text(S.c.answers, path) for path, _ in plan))
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
    if actor.role == "cadre":
        return query.where(S.c.submitter_id == actor.id)
    return scope_filter(actor, query, S.c.household_id, S.c.area_id)


def submissions_export(actor, form_id: str, *, period=None, area_id=None):
    """Columns and rows of a form's submissions: metadata, then one column per field.

    The database pulls each answer out of the JSON; Python only splits geopoints."""
    form = surveys.get_form(form_id)
    field_columns, plan = export_plan(form)
    query = submissions_query(actor, form, plan, period, area_id)
    geopoints = [len(META_COLUMNS) + i for i, (_, kind) in enumerate(plan) if kind == GEOPOINT][::-1]

    def flat():  # runs while the response streams: Core rows from a server-side cursor
        rows = db.session.connection().execute(query.execution_options(yield_per=BATCH))
        if not geopoints:
            yield from rows
            return
        for row in rows:
            out = list(row)
            for at in geopoints:  # from the right, so earlier positions hold
                out[at:at + 1] = _geopoint(out[at])
            yield out
    return (*META_COLUMNS, *field_columns), flat()
