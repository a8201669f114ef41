"""What devices read and upload besides submissions: forms, households.csv, pull, attachments."""
import base64
import csv
import hashlib
import io
import json
from datetime import datetime, timedelta

from flask import current_app

from server.cases import services as cases
from server.errors import AttachmentMismatch, BadRequest, FormNotFound, NotFound
from server.extensions import db
from server.households.models import Assignment, Household
from server.households.services import linked_household_ids, policy_days, scope_filter
from server.models_base import utcnow
from server.problem_texts import localized
from server.submissions.models import Attachment, Submission
from server.surveys import drafts, media as form_media
from server.surveys.models import Form, FormVersion

from server.submissions import ingest, storage
from server.surveys import formspec

from . import batch

#: how far back a cursor looks again, so a change committed late is never missed
CURSOR_OVERLAP = timedelta(minutes=2)
PULL_PAGE = 1000
HOUSEHOLDS_CSV = "households.csv"


def fillable_kinds(actor) -> tuple | None:
    """Form kinds the actor fills (None: all)."""
    return {"cadre": ("visit", "other"), "surveyor": ("satisfaction",)}.get(actor.role)


def list_fillable_forms(actor) -> list[FormVersion]:
    """Current versions of published forms this user may fill."""
    query = (db.select(FormVersion).join(Form).where(FormVersion.is_current.is_(True), Form.state == "published")
             .options(db.contains_eager(FormVersion.form)).order_by(Form.form_id))
    kinds = fillable_kinds(actor)
    if kinds is not None:
        query = query.where(Form.kind.in_(kinds))
    versions = db.session.scalars(query).all()
    areas = drafts.audience_areas([v.form for v in versions])
    return [v for v in versions if drafts.in_audience(actor, v.form, areas)]


def get_fillable_form(actor, form_id: str) -> FormVersion:
    """A form this user may fill, or 404."""
    for version in list_fillable_forms(actor):
        if version.form.form_id == form_id:
            return version
    raise FormNotFound(f"No form {form_id!r} for you.")


def media_of(version: FormVersion) -> list[str]:
    """Media file names served with the form: households.csv when it names it, and every uploaded file."""
    row = formspec.VersionRow(version.id, version.form.form_id, version.version, version.form.kind, version.md5)
    generated = [m for m in formspec.spec_for(row).media if m == HOUSEHOLDS_CSV]
    return generated + [m.name for m in form_media.media_files(version) if m.name not in generated]


def manifest_files(actor, version: FormVersion) -> list[dict]:
    """The manifest's files ({filename, hash}): the user's households.csv and the form's uploaded media."""
    files = []
    for name in media_of(version):
        if name == HOUSEHOLDS_CSV:
            files.append({"filename": name, "hash": households_csv(actor)[1]})
        else:
            files.append({"filename": name, "hash": form_media.get_media(version, name).md5})
    return files


def media_file(actor, version: FormVersion, name: str) -> tuple:
    """(bytes or text, content type, md5) of one media file of a form; 404 when it has none by that name."""
    if name not in media_of(version):
        raise NotFound(f"The form {version.form.form_id!r} has no media file {name!r}.")
    if name == HOUSEHOLDS_CSV:
        text, md5 = households_csv(actor)
        return text, "text/csv; charset=utf-8", md5
    row = form_media.get_media(version, name)
    kind = row.content_type + ("; charset=utf-8" if row.content_type.startswith("text/") else "")
    return form_media.read_media(row), kind, row.md5


def _device_households(actor):
    """A select of the households on the actor's devices: a cadre's linked ones, others' scope;
    pending_cases counts resolved cases awaiting the family's confirmation (the visit form asks)."""
    pending = cases.visible_pending_counts(actor)
    query = (db.select(Household.code, Household.head_name, Household.address, Household.category,
                       Household.lat, Household.lon, db.func.coalesce(pending.c.n, 0))
             .outerjoin(pending, pending.c.household_id == Household.id)
             .where(Household.is_active.is_(True)))
    return scope_filter(actor, query).order_by(Household.code)


def households_csv(actor) -> tuple[str, str]:
    """The per-user households.csv (name,label,address,category,lat,lon,pending_cases) and its md5."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "label", "address", "category", "lat", "lon", "pending_cases"])
    for code, head, address, category, lat, lon, pending in db.session.execute(_device_households(actor)):
        label = " · ".join(p for p in (code, head, address) if p)
        writer.writerow([code, label, address, category, "" if lat is None else lat, "" if lon is None else lon,
                         pending])
    text = out.getvalue()
    return text, hashlib.md5(text.encode("utf-8")).hexdigest()


def encode_cursor(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> dict:
    if not cursor:
        return {}
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        since = datetime.fromisoformat(data["s"]) if data.get("s") else None
        upto = datetime.fromisoformat(data["u"])
        return {"since": since, "upto": upto, "after": int(data.get("k") or 0)}
    except (ValueError, KeyError, TypeError) as exc:
        raise BadRequest("The cursor is not valid; pull without one.", field="cursor") from exc


def pull(actor, cursor: str | None) -> dict:
    """Forms and the households that changed for this user since the cursor (keyset-paged)."""
    state = decode_cursor(cursor)
    now = utcnow()
    since, upto, after = state.get("since"), state.get("upto") or now, state.get("after", 0)
    query = scope_filter(actor, db.select(Household)).where(Household.is_active.is_(True), Household.id > after)
    if since is not None:
        from_ = since - CURSOR_OVERLAP
        newly_linked = db.select(Assignment.household_id).where(Assignment.valid_from >= from_)
        query = query.where(db.or_(Household.updated_at >= from_, Household.id.in_(newly_linked)))
    rows = db.session.scalars(query.order_by(Household.id).limit(PULL_PAGE + 1)).all()
    more = len(rows) > PULL_PAGE
    rows = rows[:PULL_PAGE]
    if more:
        next_cursor = {"s": since.isoformat() if since else None, "u": upto.isoformat(), "k": rows[-1].id}
    else:
        next_cursor = {"s": upto.isoformat(), "u": None, "k": 0}
        next_cursor["u"] = next_cursor["s"]
    return {
        "cursor": encode_cursor(next_cursor), "more": more, "server_time": now,
        "forms": list_fillable_forms(actor), "households": _household_items(actor, rows),
        "removed_households": _removed(actor, since) if since is not None and after == 0 else [],
    }


def _removed(actor, since) -> list[dict]:
    """Households unlinked from (or deactivated for) the user since the cursor."""
    from_ = since - CURSOR_OVERLAP
    ids = set()
    if actor.role == "cadre":
        ids |= set(db.session.scalars(
            db.select(Assignment.household_id).distinct()
            .where(Assignment.cadre_id == actor.id, Assignment.valid_to >= from_,
                   Assignment.household_id.not_in(linked_household_ids(actor.id)))))
    inactive = scope_filter(actor, db.select(Household.id)).where(Household.is_active.is_(False),
                                                                  Household.updated_at >= from_)
    ids |= set(db.session.scalars(inactive))
    if not ids:
        return []
    rows = db.session.execute(db.select(Household.id, Household.code).where(Household.id.in_(ids))
                              .order_by(Household.id))
    return [{"id": i, "code": c} for i, c in rows]


def _household_items(actor, rows) -> list[dict]:
    if not rows:
        return []
    open_cases = cases.open_case_counts(actor, [h.id for h in rows])  # only cases the actor may see
    days = policy_days()
    items = []
    for h in rows:
        last = h.last_counted_visit_at
        due = (last + timedelta(days=days.get(h.category, 90))).date().isoformat() if last else None
        items.append({
            "id": h.id, "code": h.code, "label": h.label, "address": h.address, "category": h.category,
            "location": {"lat": h.lat, "lon": h.lon, "source": h.location_source} if h.lat is not None else None,
            "last_counted_visit_at": last.isoformat() if last else None, "due_date": due,
            "version": h.version, "open_cases": open_cases.get(h.id, 0),
        })
    return items


def store_attachment(actor, instance_id: str, name: str, data: bytes) -> tuple[Attachment, bool]:
    """Receive the bytes of a declared attachment; returns (row, created)."""
    if not storage.is_plain_name(name):
        raise BadRequest("Give a plain file name.", field="name")
    row = db.session.scalar(
        db.select(Attachment).join(Submission)
        .where(Submission.instance_id == instance_id, Attachment.name == name))
    if row is None or (row.submission.submitter_id != actor.id and actor.role != "admin"):
        raise NotFound(f"No attachment {name!r} is expected for {instance_id}.")
    digest = storage.sha256_of(data)
    if row.sha256 is not None and row.sha256 != digest:
        raise AttachmentMismatch(f"sha256 {digest} does not match the declared {row.sha256}.",
                                 declared=row.sha256, received=digest)
    if row.size is not None and row.size != len(data) and not row.is_received:
        raise AttachmentMismatch(f"{len(data)} bytes received, {row.size} declared.")
    if row.is_received:
        return row, False
    storage.store_bytes(data, digest)
    row.sha256, row.size, row.is_received, row.received_at = digest, len(data), True, utcnow()
    return row, True


def push_body(actor, device, body: bytes, client: dict | None = None) -> list[dict]:
    """Ingest a JSON batch; one result per item, in order (accepted | duplicate | conflict | rejected).

    Raises BadRequest / TooLarge when the body as a whole is not a batch (the caller quarantines it).
    `client` is who sent it ({"ip", "ua", "clock_offset_s"}; see client_of)."""
    items = batch.read_items(body, current_app.config["SYNC_PUSH_MAX"])
    uploads = [ingest.Upload("json", item.payload, "application/json", {},
                             item=item.value if item.problem is None else _envelope(item.value), problem=item.problem,
                             client=client)
               for item in items]
    return [_push_result(o) for o in ingest.ingest(actor, device, uploads)]


def _envelope(value):
    """What of a refused item names it (its instance_id, when that is plain text)."""
    if isinstance(value, dict) and isinstance(value.get("instance_id"), str):
        return {"instance_id": value["instance_id"]}
    return None


def quarantine_body(actor, device, body: bytes, problem) -> None:
    """Keep a push body that is not a batch at all, with its reason."""
    ingest.quarantine_upload(actor, device, ingest.Upload("json", body, "application/json"), problem)


def client_of(request) -> dict:
    """Who sent a request: address, browser, and the device's clock offset (seconds, device clock
    minus server time): X-Clock-Offset as given, or from X-Device-Time (the field app's clock when sending)."""
    offset = None
    try:
        if request.headers.get("X-Clock-Offset"):
            offset = float(request.headers["X-Clock-Offset"])
        elif request.headers.get("X-Device-Time"):
            sent = datetime.fromisoformat(request.headers["X-Device-Time"].strip().replace("Z", "+00:00"))
            if sent.tzinfo is not None:
                offset = round((sent - utcnow()).total_seconds(), 1)
    except ValueError:
        offset = None
    return {"ip": request.remote_addr, "ua": (request.headers.get("User-Agent") or "")[:300],
            "clock_offset_s": offset}


def _push_result(outcome) -> dict:
    errors = []
    if outcome.problem is not None:
        listed = (outcome.problem.details or {}).get("errors")
        errors = [{**e, "problem": outcome.problem.problem} for e in listed] if listed else [
            {"path": "", "message": localized(outcome.problem), "problem": outcome.problem.problem}]
    geo = outcome.geo
    return {"instance_id": outcome.instance_id, "status": outcome.status,
            "submission_id": outcome.submission.id if outcome.submission is not None else None,
            "errors": errors, "missing_attachments": outcome.missing_attachments,
            "geo": {"status": geo.status, "distance_m": geo.distance_m} if geo is not None else None}
