"""Residents rate their cadre: one-time links per household and period, and the ingest hook."""
import hashlib
import secrets
import uuid

from forms.answers import build_instance_xml, parse_instance, validate_answers
from forms.errors import AnswerError, InstanceError

from ..areas import services as areas
from ..audit import services as audit
from ..auth.services import hash_token, require_role
from ..errors import LinkGone, NotFound, SubmissionConflict, SubmissionInvalid, ValidationFailed
from ..extensions import db
from ..households import services as households
from ..households.models import Household
from ..models_base import utcnow
from ..submissions.models import Submission
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


def submit_resident_answer(token: str, form: dict) -> Submission:
    """Store a resident's answers from the link's page as a satisfaction submission (source 'resident')."""
    link = check_usable(find_link(token))
    version, questions = resident_questions()
    household = db.session.get(Household, link.household_id)
    answers = {f.path: form.get(f.path, "").strip() for f in questions if str(form.get(f.path, "")).strip()}
    answers["household"] = household.code
    _validate(version, answers)
    _consume(link)
    return _store(link, version, household, build_instance_xml(version.xml, answers, f"uuid:{uuid.uuid4()}"))


def submit_resident_xml(token: str, xml: bytes) -> Submission:
    """Store a resident's answer sent as XForm instance XML (the field app's form engine, in resident mode)."""
    link = check_usable(find_link(token))
    household = db.session.get(Household, link.household_id)
    try:
        instance = parse_instance(xml)
        if instance.form_id != FORM_ID:
            raise SubmissionInvalid(f"This link takes the {FORM_ID} form, not {instance.form_id!r}.")
        version = surveys.find_version(FORM_ID, instance.version)
        if version is None:
            raise SubmissionInvalid(f"Unknown version {instance.version!r} of the {FORM_ID} form.")
        instance = parse_instance(xml, surveys.fields_for(version))
    except InstanceError as exc:
        raise SubmissionInvalid(exc.message) from exc
    if instance.answers.get("household") != household.code:
        raise ValidationFailed("The answer names another household than the link's.", field="household")
    if db.session.scalar(db.select(Submission.id).filter_by(instance_id=instance.instance_id)) is not None:
        raise SubmissionConflict("A submission with this instanceID exists.")
    _validate(version, instance.answers)
    _consume(link)
    return _store(link, version, household, xml)


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


def _store(link: SatisfactionLink, version, household: Household, xml: bytes) -> Submission:
    """Store the resident's XML as a submission, tie it to the link, and run the ingest hooks."""
    instance = parse_instance(xml, surveys.fields_for(version))
    now = utcnow()
    submission = Submission(instance_id=instance.instance_id, form_version_id=version.id, kind=FORM_ID,
                            household_id=household.id, area_id=household.area_id, source="resident",
                            captured_at=now, received_at=now, answers=instance.answers,
                            raw_xml=xml.decode("utf-8", errors="replace"), content_hash=hashlib.sha256(xml).hexdigest(),
                            geo_status="no_fix")
    db.session.add(submission)
    db.session.flush()
    link.submission_id = submission.id
    for hook in _after_ingest_hooks():
        hook(submission)
    db.session.flush()
    return submission


def _after_ingest_hooks():
    try:
        from ..submissions import ingest
        hooks = list(getattr(ingest, "AFTER_INGEST", None) or [])
    except ImportError:
        hooks = []
    if rate_submission not in hooks:
        hooks.insert(0, rate_submission)
    return hooks


def rate_submission(submission) -> None:
    """Ingest hook: link a satisfaction answer to the cadre it rates; 不满意 opens a case for the manager."""
    if submission.kind != "satisfaction" or submission.household_id is None:
        return
    if submission.rated_cadre_id is None:
        submission.rated_cadre_id = households.current_cadre_id(submission.household_id)
        submission.is_self_rated = bool(submission.submitter_id and submission.submitter_id == submission.rated_cadre_id)
    if (submission.answers or {}).get("overall") == "unsatisfied" and not submission.is_self_rated:
        _follow_up(submission)


def _follow_up(submission) -> None:
    from ..cases import services as cases
    from ..cases.models import Case
    key = f"sat:{cases.root_instance_id(submission)}"
    if db.session.scalar(db.select(Case.id).filter_by(source_key=key)) is not None:
        return
    household = db.session.get(Household, submission.household_id)
    comment = str((submission.answers or {}).get("comment") or "").strip()
    cases.open_case(submission.submitter_id, household, category=cases.FOLLOW_UP_CATEGORY,
                    text=f"满意度测评：不满意{'：' + comment if comment else ''}", raised_at=submission.captured_at,
                    submission=submission, source_key=key, to_manager=True)

