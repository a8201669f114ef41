"""Residents rate their cadre: one-time links per household and period, and the ingest hook."""
import secrets
import uuid
from dataclasses import dataclass

from forms.answers import build_instance_xml, validate_answers
from forms.errors import AnswerError

from ..areas import services as areas
from ..audit import services as audit
from ..auth.services import hash_token, require_role
from ..errors import LinkGone, NotFound, ValidationFailed
from ..extensions import db
from ..households.models import Household
from ..models_base import utcnow
from ..submissions import ingest
from ..surveys import services as surveys
from .models import SatisfactionLink
from .periods import period_of

FORM_ID = "satisfaction"
#: questions the resident page does not ask (filled by the server or the device)
SERVER_FIELDS = ("household", "start", "end")
#: links issued in one request (one village's sheet)
MAX_LINKS = 5000


def issue_links(actor, area_id: int, period_key: str) -> dict:
    """New links for every active household of an area's subtree; unused older links of the period stop working.

    Households that already answered for the period get no new link.
    """
    require_role(actor, "admin", "manager")
    area = areas.get_in_scope(actor, area_id)
    period = period_of(period_key)
    if period.end <= utcnow():
        raise ValidationFailed(f"Period {period.label} has ended.", field="period")
    in_area = db.select(Household.id).where(Household.area_id.in_(areas.subtree_ids(area)),
                                            Household.is_active.is_(True))
    count = db.session.scalar(db.select(db.func.count()).select_from(in_area.subquery()))
    if count > MAX_LINKS:
        raise ValidationFailed(f"{area.name} has {count} households; issue links for a village "
                               f"(at most {MAX_LINKS} at a time).", field="area_id")
    answered = db.select(SatisfactionLink.household_id).where(
        SatisfactionLink.period == period.label, SatisfactionLink.used_at.is_not(None),
        SatisfactionLink.household_id.in_(in_area))
    now = utcnow()
    revoked = db.session.execute(
        db.update(SatisfactionLink)
        .where(SatisfactionLink.household_id.in_(in_area), SatisfactionLink.period == period.label,
               SatisfactionLink.used_at.is_(None), SatisfactionLink.revoked_at.is_(None))
        .values(revoked_at=now).execution_options(synchronize_session=False)).rowcount
    rows = db.session.execute(
        db.select(Household.id, Household.code, Household.head_name, Household.address, Household.area_id)
        .where(Household.id.in_(in_area), Household.id.not_in(answered)).order_by(Household.code)).all()
    links = []
    for row in rows:
        token = secrets.token_urlsafe(24)
        db.session.add(SatisfactionLink(token_hash=hash_token(token), household_id=row.id, area_id=row.area_id,
                                        period=period.label, expires_at=period.end, issued_at=now,
                                        issued_by_id=actor.id))
        links.append({"household_id": row.id, "code": row.code, "head_name": row.head_name,
                      "address": row.address, "token": token, "path": f"/s/{token}"})
    db.session.flush()
    skipped = db.session.scalar(db.select(db.func.count()).select_from(answered.subquery()))
    audit.record(actor, "satisfaction.links_issue", "area", area.id, period=period.label, issued=len(links),
                 revoked=revoked, already_answered=skipped)
    return {"area": area, "period": period.label, "expires_at": period.end, "links": links,
            "revoked": revoked, "already_answered": skipped}


def find_link(token: str) -> SatisfactionLink:
    """The link for a token, or 404 (whatever its state)."""
    link = db.session.scalar(db.select(SatisfactionLink).filter_by(token_hash=hash_token(token or "")))
    if link is None:
        raise NotFound("This link is not valid.")
    return link


def check_usable(link: SatisfactionLink) -> SatisfactionLink:
    """LinkGone (410) when the link was used, replaced by a newer sheet, or has expired."""
    if link.used_at is not None:
        raise LinkGone("This household has already answered. Thank you!", reason="used")
    if link.revoked_at is not None:
        raise LinkGone("This link was replaced by a newer one.", reason="replaced")
    if link.expires_at <= utcnow():
        raise LinkGone("This survey has closed.", reason="expired")
    return link


def resident_questions():
    """(form version, the fields a resident answers)."""
    version = surveys.current_version(FORM_ID)
    fields = [f for f in surveys.fields_for(version)
              if f.path not in SERVER_FIELDS and f.type not in ("group", "repeat", "note") and f.repeat is None]
    return version, fields


@dataclass
class ResidentActor:
    """Who answers through a one-time link: no account, and the link's household only (access.py)."""
    household_id: int
    role: str = "resident"
    id: None = None
    area_id: None = None
    display_name: str = "resident"


def submit_resident_answer(token: str, form: dict, client: dict | None = None):
    """A resident's answers from the link's page: checked like a form (errors shown, nothing kept),
    then stored through ingest as instance XML. Returns ingest's outcome."""
    link = check_usable(find_link(token))
    version, questions = resident_questions()
    household = db.session.get(Household, link.household_id)
    answers = {f.path: form.get(f.path, "").strip() for f in questions if str(form.get(f.path, "")).strip()}
    answers["household"] = household.code
    _validate(version, answers)
    return _ingest(link, build_instance_xml(version.xml, answers, f"uuid:{uuid.uuid4()}"), client)


def submit_resident_xml(token: str, xml: bytes, client: dict | None = None):
    """A resident's answer sent as XForm instance XML (the field app's form engine, in resident mode),
    through the one ingest pipeline: parse, version, idempotency, audit; a refusal is quarantined.
    Returns ingest's outcome (the caller commits, then raises outcome.problem when there is one)."""
    return _ingest(check_usable(find_link(token)), xml, client)


def _ingest(link: SatisfactionLink, xml: bytes, client: dict | None = None):
    """`client` is the answer's fingerprint ({"ip", "ua", "browser", "opened_at"}; checks.py judges it)."""
    outcome = ingest.ingest(ResidentActor(link.household_id), None,
                            [ingest.Upload("resident", xml, client=client)])[0]
    if outcome.status == "accepted":
        _consume(link)
        link.submission_id = outcome.submission.id
    return outcome


def _validate(version, answers: dict) -> None:
    try:
        validate_answers(surveys.fields_for(version), answers)
    except AnswerError as exc:
        raise ValidationFailed("Some answers are missing or not valid.", errors=exc.errors) from exc


def _consume(link: SatisfactionLink) -> None:
    """Mark the link used, atomically: of two concurrent answers only one gets through."""
    taken = db.session.execute(
        db.update(SatisfactionLink).where(SatisfactionLink.id == link.id, SatisfactionLink.used_at.is_(None),
                                          SatisfactionLink.revoked_at.is_(None))
        .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
    if taken != 1:
        raise LinkGone("This household has already answered. Thank you!", reason="used")
