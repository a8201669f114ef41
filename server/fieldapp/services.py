"""What the field app asks besides the device sync: the verdicts on the visits this user sent, and the
photos of a case's result."""
import re

from ..submissions import storage

from ..cases import services as cases
from ..cases.models import Case, CaseEvent
from ..errors import BadRequest, NotFound
from ..extensions import db
from ..submissions.models import Submission

#: at most this many instanceIDs per request
MAX_IDS = 200


def verdicts(actor, instance_ids: list[str]) -> list[dict]:
    """For each of the user's own submissions among instance_ids: its review state and geo verdict.

    Unknown ids and other users' submissions are left out (the app asks again later)."""
    ids = [i for i in dict.fromkeys(instance_ids) if i][:MAX_IDS]
    if not ids:
        return []
    rows = db.session.execute(
        db.select(Submission.instance_id, Submission.review_state, Submission.geo_status,
                  Submission.geo_distance_m, Submission.geo_reason, Submission.received_at)
        .where(Submission.instance_id.in_(ids), Submission.submitter_id == actor.id)).all()
    return [{"instance_id": i, "review_state": state, "geo_status": geo, "distance_m": distance,
             "reason": reason, "received_at": received}
            for i, state, geo, distance, reason, received in rows]


# ---- photos of a case's result (sent by the app before it resolves the case) -----------------------

PHOTO_PREFIX = "/api/v1/fieldapp/case-photos/"
PHOTO_TYPES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
PHOTO_NAME = re.compile(r"^([0-9a-f]{64})\.(jpg|png|webp)$")


def store_case_photo(actor, case_id: int, data: bytes, content_type: str | None) -> str:
    """Keep the bytes of a photo for a case the actor sees; returns the reference for CaseEvent.photo."""
    cases.get_case(actor, case_id)  # 404 outside the actor's cases
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind not in PHOTO_TYPES:
        kind = _sniff(data)
    if kind not in PHOTO_TYPES:
        raise BadRequest("Send a JPEG, PNG or WebP photo.", field="photo")
    if not data:
        raise BadRequest("The photo is empty.", field="photo")
    digest = storage.store_bytes(data)
    return f"{PHOTO_PREFIX}{digest}.{PHOTO_TYPES[kind]}"


def _sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def open_case_photo(actor, name: str):
    """(binary file, content type) of a case photo the actor may see (it is on a visible case's history)."""
    match = PHOTO_NAME.match(name or "")
    if not match:
        raise NotFound("No such photo.")
    visible = cases.visible_cases(actor).with_only_columns(Case.id)
    found = db.session.scalar(db.select(CaseEvent.id).where(CaseEvent.photo == PHOTO_PREFIX + name,
                                                            CaseEvent.case_id.in_(visible)).limit(1))
    if found is None or not storage.exists(match.group(1)):
        raise NotFound("No such photo.")
    kind = next(k for k, ext in PHOTO_TYPES.items() if ext == match.group(2))
    return storage.open_bytes(match.group(1)), kind
