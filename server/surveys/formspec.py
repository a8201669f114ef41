"""What ingest needs to know about a form version, parsed once per XForm md5 and cached."""
import re
from dataclasses import dataclass, field

from lxml import etree
from sqlalchemy import bindparam

from forms import answers as answers_lib
from forms.xform import form_info, parse_fields, parse_xform, primary_instance_root
from server import epochs
from server.errors import FormClosed, FormNotFound
from server.extensions import db
from server.surveys.models import Form, FormVersion

MEDIA_TYPES = {"image", "audio", "video", "file"}
_CACHE: dict[str, "FormSpec"] = {}
_CACHE_MAX = 128


@dataclass
class VersionRow:
    id: int
    form_id: str
    version: str
    kind: str
    md5: str


@dataclass
class FormSpec:
    """A form's fields and the paths ingest reads, plus a cached instance template."""
    md5: str
    fields: tuple
    media: list = field(default_factory=list)
    has_repeats: bool = False
    media_paths: dict = field(default_factory=dict)   # repeat path (or None) -> {relative name}
    geopoint: str | None = None
    time_paths: tuple = ()
    household_path: str | None = None
    _template: object = None
    _repeats: frozenset = frozenset()
    _media_full: frozenset = frozenset()
    _nsmap: dict = field(default_factory=dict)
    _plan: tuple = ()

    def media_names(self, answers: dict) -> list[str]:
        """File names the answers name in media questions, at any repeat depth, in order, without repeats."""
        names: list = []
        if self.media_paths:
            self._collect_media(answers, "", names)
        return list(dict.fromkeys(n.strip() for n in names if isinstance(n, str) and n.strip()))

    def _collect_media(self, answers, prefix: str, names: list) -> None:
        """Walk answers (keys relative to the enclosing repeat, repeats as lists of items) for media values."""
        if not isinstance(answers, dict):
            return
        for key, value in answers.items():
            path = prefix + key
            if isinstance(value, list) and path in self._repeats:
                for item in value:
                    self._collect_media(item, path + "/", names)
            elif path in self._media_full and isinstance(value, str):
                names.append(value)

    def build_xml(self, answers: dict, instance_id: str, deprecated_id: str | None = None) -> bytes:
        """forms.answers.build_instance_xml, with the XForm parsed once (same bytes out)."""
        return etree.tostring(self.build_tree(answers, instance_id, deprecated_id), xml_declaration=True,
                              encoding="UTF-8")

    def build_tree(self, answers: dict, instance_id: str, deprecated_id: str | None = None, flat=None):
        """The instance element build_xml serialises; with `flat` (a dict), the answers it holds are
        added to it too, as forms.answers.parse_instance would read them from its XML."""
        return answers_lib.build_instance(self._template, self._plan, self._nsmap, answers, instance_id,
                                          deprecated_id, flat)


def spec_for(row: VersionRow) -> FormSpec:
    """The cached spec of a version (its XML is read only on a cache miss)."""
    spec = _CACHE.get(row.md5)
    if spec is None:
        xml = db.session.scalar(db.select(FormVersion.xml).where(FormVersion.id == row.id))
        spec = build_spec(row.md5, xml)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[row.md5] = spec
    return spec


def spec_of(version: FormVersion) -> FormSpec:
    """The cached spec of a FormVersion object (its XML is at hand)."""
    spec = _CACHE.get(version.md5)
    if spec is None:
        spec = build_spec(version.md5, version.xml)
        if len(_CACHE) >= _CACHE_MAX:
            _CACHE.clear()
        _CACHE[version.md5] = spec
    return spec


#: the spec last used for each form id, so a submission can be parsed once with its form's repeats
_HINTS: dict[str, FormSpec] = {}
_ROOT_ID = re.compile(rb"<(?![?!])[^<>]{0,300}?\sid=[\"']([^\"'<>]{1,64})[\"']")


def spec_hint(payload: bytes) -> FormSpec | None:
    """A guess at the spec of a submission's form, from its root id (callers check it afterwards)."""
    match = _ROOT_ID.search(payload, 0, 4096) if isinstance(payload, bytes) else None
    return _HINTS.get(match.group(1).decode("utf-8", "replace")) if match else None


def remember_hint(form_id: str, spec: FormSpec) -> None:
    if _HINTS.get(form_id) is not spec:
        if len(_HINTS) >= _CACHE_MAX:
            _HINTS.clear()
        _HINTS[form_id] = spec


def build_spec(md5: str, xml: str) -> FormSpec:
    fields = tuple(parse_fields(xml))
    spec = FormSpec(md5=md5, fields=fields, media=form_info(xml)["media"])
    spec.has_repeats = any(f.type == "repeat" for f in fields)
    for f in fields:
        if f.type in MEDIA_TYPES:
            rel = f.path[len(f.repeat) + 1:] if f.repeat else f.path
            spec.media_paths.setdefault(f.repeat, set()).add(rel)
        elif f.type == "geopoint" and f.repeat is None and spec.geopoint is None:
            spec.geopoint = f.path
        elif f.path == "household" and f.repeat is None:
            spec.household_path = f.path
    spec.time_paths = tuple(f.path for t in ("end", "start") for f in fields if f.type == t and f.repeat is None)
    html = parse_xform(xml)
    spec._template = primary_instance_root(html)
    spec._repeats = frozenset(f.path for f in fields if f.type == "repeat")
    spec._plan = answers_lib.fill_plan(spec._template, spec._repeats)
    spec._media_full = frozenset(f.path for f in fields if f.type in MEDIA_TYPES)
    spec._nsmap = {p: uri for p, uri in html.nsmap.items() if p in answers_lib.SUBMISSION_PREFIXES}
    return spec


_VERSION_COLUMNS = (FormVersion.id, Form.form_id, FormVersion.version, Form.kind, FormVersion.md5, Form.state,
                    FormVersion.state)
#: built once: executing a prebuilt statement reuses its cache key and compiled SQL
_BY_VERSION = (db.select(*_VERSION_COLUMNS).join(Form, Form.id == FormVersion.form_pk)
               .where(Form.form_id == bindparam("form_id"), FormVersion.version == bindparam("version")))
_CURRENT = (db.select(*_VERSION_COLUMNS).join(Form, Form.id == FormVersion.form_pk)
            .where(Form.form_id == bindparam("form_id"), FormVersion.is_current.is_(True)))


def find_version(form_id: str, version: str | None, *, closed_ok: bool = False) -> VersionRow:
    """The version a submission names (current when none): 404 unknown, 409 closed."""
    found = epochs.cached("forms.versions", (form_id, version or None), lambda: _load_version(form_id, version))
    if found is None:
        raise FormNotFound(f"No form {form_id!r} version {version!r}." if version else f"No form {form_id!r}.",
                           form_id=form_id, version=version)
    if not closed_ok and ("closed" in (found[5], found[6]) or found[6] == "draft"):
        raise FormClosed(f"The form {form_id!r} is closed.", form_id=form_id)
    return VersionRow(*found[:5])


def _load_version(form_id: str, version: str | None) -> tuple | None:
    """The row find_version decides on (None: no such form or version), as a plain tuple to cache."""
    if version:
        found = db.session.connection().execute(_BY_VERSION, {"form_id": form_id, "version": version}).first()
    else:
        found = db.session.connection().execute(_CURRENT, {"form_id": form_id}).first()
    return tuple(found) if found is not None else None
