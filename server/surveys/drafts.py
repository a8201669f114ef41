"""Form drafts (tested on a phone through their own link before anyone gets them) and form audiences."""
import secrets

from ..areas.models import Area
from ..auth.models import User
from ..audit import services as audit
from ..auth.services import require_role
from ..errors import BadRequest, Conflict, NotFound, TokenInvalid
from ..extensions import db
from . import media
from .models import KINDS, Form, FormMedia, FormVersion
from .services import convert_upload

ROLES = ("admin", "manager", "cadre", "surveyor")


def upload_draft(actor, data: bytes, kind: str | None = None, filename: str | None = None,
                 files: list | None = None) -> FormVersion:
    """Store an XLSForm as the form's draft (replacing an earlier draft); phones get it only once published."""
    require_role(actor, "admin", "manager")
    converted = convert_upload(data, filename)
    form = db.session.scalar(db.select(Form).filter_by(form_id=converted.form_id))
    if form is None:
        guessed = converted.form_id if converted.form_id in KINDS else "other"
        form = Form(form_id=converted.form_id, kind=kind or guessed, title=converted.title, state="draft")
        db.session.add(form)
        db.session.flush()
    _drop_draft(form)
    if db.session.scalar(db.select(FormVersion.id).filter_by(form_pk=form.id, version=converted.version)):
        raise Conflict(f"Version {converted.version} of {form.form_id} exists; raise the version in the "
                       "settings sheet.", field="version")
    draft = FormVersion(form=form, version=converted.version, title=converted.title, xlsform=converted.sheets,
                        xml=converted.xml, md5=converted.md5, state="draft", is_current=False,
                        created_by_id=getattr(actor, "id", None), draft_token=secrets.token_urlsafe(24))
    db.session.add(draft)
    db.session.flush()
    media.carry_media(_current(form), draft)
    for name, content, content_type in files or []:
        media.attach_media(draft, name, content, content_type)
    draft.warnings = list(converted.warnings)
    audit.record(actor, "form.draft", "form", form.form_id, version=converted.version, md5=converted.md5)
    return draft


def get_draft(form_id: str) -> FormVersion:
    draft = db.session.scalar(db.select(FormVersion).join(Form).where(Form.form_id == form_id,
                                                                      FormVersion.state == "draft"))
    if draft is None:
        raise NotFound(f"The form {form_id!r} has no draft.")
    return draft


def draft_for_token(token: str) -> FormVersion:
    """The draft a test link opens; 403 once it is published or replaced."""
    draft = db.session.scalar(db.select(FormVersion).filter_by(draft_token=token, state="draft")) if token else None
    if draft is None:
        raise TokenInvalid("This test link is no longer valid (the draft was published or replaced).")
    return draft


def tester_of(draft: FormVersion):
    """Whose households.csv a draft's test link shows: the uploader's."""
    user = db.session.get(User, draft.created_by_id) if draft.created_by_id else None
    if user is None:
        raise NotFound("This draft has no uploader to test it as.")
    return user


def publish_draft(actor, form_id: str) -> FormVersion:
    """The draft becomes the current version that devices get; its test link stops working."""
    require_role(actor, "admin", "manager")
    draft = get_draft(form_id)
    form = draft.form
    db.session.execute(db.update(FormVersion).where(FormVersion.form_pk == form.id).values(is_current=False))
    draft.state, draft.is_current, draft.draft_token = "published", True, None
    form.title, form.state = draft.title, "published"
    db.session.flush()
    audit.record(actor, "form.publish", "form", form.form_id, version=draft.version, md5=draft.md5)
    return draft


def set_audience(actor, form: Form, roles: list | None, area_ids: list | None) -> Form:
    """Who gets the form: roles and areas (None for either: no limit)."""
    require_role(actor, "admin", "manager")
    if roles is not None and not set(roles) <= set(ROLES):
        raise BadRequest(f"Roles are {', '.join(ROLES)}.", field="roles")
    if area_ids:
        found = set(db.session.scalars(db.select(Area.id).where(Area.id.in_(area_ids))))
        if found != set(area_ids):
            raise BadRequest(f"No areas {sorted(set(area_ids) - found)}.", field="area_ids")
    form.audience_roles = sorted(set(roles)) if roles is not None else None
    form.audience_area_ids = sorted(set(area_ids)) if area_ids is not None else None
    audit.record(actor, "form.audience", "form", form.form_id, roles=form.audience_roles,
                 area_ids=form.audience_area_ids)
    return form


def in_audience(actor, form: Form, areas_by_id: dict) -> bool:
    """Whether the form's audience includes this user (areas_by_id: {id: Area} of the audience areas)."""
    if actor.role == "admin":
        return True
    if form.audience_roles is not None and actor.role not in form.audience_roles:
        return False
    if form.audience_area_ids is None:
        return True
    home = getattr(actor, "area", None)
    return home is not None and any(home.path.startswith(areas_by_id[i].path)
                                    for i in form.audience_area_ids if i in areas_by_id)


def audience_areas(forms) -> dict:
    ids = {i for f in forms for i in (f.audience_area_ids or [])}
    return {a.id: a for a in db.session.scalars(db.select(Area).where(Area.id.in_(ids)))} if ids else {}


def _current(form: Form) -> FormVersion | None:
    return db.session.scalar(db.select(FormVersion).filter_by(form_pk=form.id, is_current=True))


def _drop_draft(form: Form) -> None:
    old = db.session.scalar(db.select(FormVersion).filter_by(form_pk=form.id, state="draft"))
    if old is not None:
        db.session.execute(db.delete(FormMedia).where(FormMedia.form_version_id == old.id))
        db.session.delete(old)
        db.session.flush()
