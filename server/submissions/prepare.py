"""Turning one upload (OpenRosa XML or a JSON push item) into a candidate submission, without writes."""
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from lxml import etree

from forms import encryption
from forms.answers import parse_geopoint, parse_instance, validate_answers
from forms.errors import AnswerError, InstanceError
from server.errors import HouseholdUnknown, Problem, SubmissionInvalid, ValidationFailed

from ..surveys import formspec
from . import storage

#: what submissions.instance_id holds; a longer one is refused, never cut
MAX_INSTANCE_ID = 100
_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")
INSTANCE_ID_RE = re.compile(rb"<(?:\w+:)?instanceID>\s*([^<]{1,100}?)\s*</(?:\w+:)?instanceID>")
TRUE = ("true", "1", "yes")


@dataclass
class FilePart:
    data: bytes
    content_type: str | None = None


@dataclass
class Upload:
    """What a device sent: raw XML (openrosa) or one JSON push item (json), with files by name."""
    protocol: str
    payload: bytes
    content_type: str | None = "text/xml"
    files: dict = field(default_factory=dict)
    item: dict | None = None
    #: why the upload was refused before it could be read (the JSON batch reader found it unfit)
    problem: Problem | None = None
    #: who sent it: {"ip", "ua", "clock_offset_s"} (the field app's device clock minus server time)
    client: dict | None = None


@dataclass
class Candidate:
    upload: Upload
    version: formspec.VersionRow
    spec: formspec.FormSpec
    instance_id: str
    deprecated_id: str | None
    answers: dict
    content_hash: str
    captured_at: datetime
    raw_xml: str | None = None
    point: dict | None = None
    is_mock: bool = False
    household_code: str | None = None
    household_id: int | None = None
    attachments: list = field(default_factory=list)
    needs_xml: bool = False
    #: the new submission's column values, once decided
    values: dict | None = None


def prepare(upload: Upload, now: datetime, known, versions: dict) -> Candidate:
    """Parse and check one upload; raises a Problem when it cannot be accepted.

    `versions` caches form version look-ups for the batch (a refusal is cached too).
    """
    if upload.problem is not None:
        raise upload.problem
    try:
        if upload.protocol == "json":
            return _prepare_json(upload, now, known, versions)
        return _prepare_xml(upload, now, versions)
    except (ValueError, TypeError, UnicodeError, RecursionError, OverflowError) as exc:
        # whatever else in a payload the XML and JSON libraries refuse: this item alone is refused
        raise SubmissionInvalid(f"The submission cannot be read: {exc}"[:500]) from exc


def _version(versions: dict, form_id: str, version: str | None) -> formspec.VersionRow:
    key = (form_id, version)
    if key not in versions:
        try:
            versions[key] = formspec.find_version(form_id, version)
        except Problem as exc:
            versions[key] = exc
    found = versions[key]
    if isinstance(found, Problem):
        raise found
    return found


def guess_instance_id(upload: Upload) -> str | None:
    """The instanceID of a payload that could not be parsed, when it can be seen at all."""
    if upload.item is not None:
        value = upload.item.get("instance_id") if isinstance(upload.item, dict) else None
        return value if isinstance(value, str) else None
    match = INSTANCE_ID_RE.search(upload.payload[:65536] if upload.payload else b"")
    return match.group(1).decode("utf-8", "replace") if match else None


def _prepare_xml(upload: Upload, now, versions) -> Candidate:
    # parse once with the fields this form had last time (repeats answered once stay lists);
    # only when the version turns out to have other fields is the payload parsed again
    hint = formspec.spec_hint(upload.payload)
    given = hint.fields if hint is not None and hint.has_repeats else None
    try:
        instance = parse_instance(upload.payload, given)
    except InstanceError as exc:
        raise SubmissionInvalid(exc.message) from exc
    version = _version(versions, instance.form_id, instance.version)
    spec = formspec.spec_for(version)
    formspec.remember_hint(instance.form_id, spec)
    wanted = spec.fields if spec.has_repeats else None
    if wanted is not given:
        instance = parse_instance(upload.payload, wanted)
    answers = instance.answers
    if not 0 < len(instance.instance_id) <= MAX_INSTANCE_ID:
        raise SubmissionInvalid(f"The instanceID is {len(instance.instance_id)} characters long; at most "
                                f"{MAX_INSTANCE_ID} can be stored.", instance_id=instance.instance_id[:200])
    if upload.protocol == "resident":
        _check_resident(version, spec, answers)
    manifest = encryption.read_manifest(upload.payload) if encryption.is_encrypted(upload.payload) else None
    if manifest is not None:  # stored whole: answers stay sealed until a manager decrypts them
        answers = {}
    try:
        point = parse_geopoint(answers.get(spec.geopoint), spec.geopoint or "") if spec.geopoint else None
    except AnswerError as exc:
        raise SubmissionInvalid(exc.message) from exc
    mock = str(answers.get("mock") or answers.get("location_mock") or "").strip().lower() in TRUE
    code = answers.get(spec.household_path) if spec.household_path else None
    return Candidate(
        upload=upload, version=version, spec=spec, instance_id=instance.instance_id,
        deprecated_id=instance.deprecated_id, answers=answers,
        content_hash=hashlib.sha256(upload.payload).hexdigest(),
        captured_at=_captured_at(spec, answers) or now, raw_xml=decode_xml(upload.payload),
        point=point, is_mock=mock, household_code=code.strip() if isinstance(code, str) else None,
        attachments=[{"name": n} for n in _plain_names(manifest.files if manifest else spec.media_names(answers))],
    )


def decode_xml(payload: bytes) -> str:
    """The text of an XML payload, decoded by the encoding its declaration names (UTF-8 by default).

    When that text's UTF-8 bytes differ from the payload (GB18030 and the like), ingest also keeps the
    exact bytes, addressed by the content hash."""
    match = _DECLARED_ENCODING.match(payload[:200])
    encoding = match.group(1).decode("ascii") if match else "utf-8"
    try:
        return payload.decode(encoding)
    except (LookupError, UnicodeDecodeError) as exc:
        raise SubmissionInvalid(f"The XML is not valid {encoding}: {exc}"[:300]) from exc


def _check_resident(version, spec, answers) -> None:
    """A resident's link takes the satisfaction form, answered in full."""
    if version.kind != "satisfaction":
        raise SubmissionInvalid(f"This link takes the satisfaction form, not {version.form_id!r}.")
    try:
        validate_answers(spec.fields, answers)
    except AnswerError as exc:
        raise ValidationFailed("Some answers are missing or not valid.", errors=exc.errors) from exc


def _prepare_json(upload: Upload, now, known, versions) -> Candidate:
    item = upload.item
    errors = _shape_errors(item)
    if errors:
        raise ValidationFailed("The item is not a valid submission.", errors=errors)
    version = _version(versions, item["form_id"], item.get("form_version"))
    spec = formspec.spec_for(version)
    answers = dict(item["answers"])
    household = None
    if item.get("household_id") is not None:
        household = known.by_id(item["household_id"])
        if household is None:
            raise HouseholdUnknown(f"No household {item['household_id']}.", household_id=item["household_id"])
        if spec.household_path:
            given = answers.get(spec.household_path)
            if given not in (None, "", household.code):
                raise ValidationFailed("household_id and the household answer disagree.",
                                       errors=[{"path": spec.household_path, "message": "not this household"}])
            answers[spec.household_path] = household.code
    location = item.get("location")
    try:
        point = parse_geopoint(location, "location") if location else None
        if point is None and spec.geopoint and answers.get(spec.geopoint):
            point = parse_geopoint(answers[spec.geopoint], spec.geopoint)
    except AnswerError as exc:
        raise ValidationFailed(exc.message, errors=exc.errors) from exc
    if point is not None and spec.geopoint and not answers.get(spec.geopoint):
        answers[spec.geopoint] = {k: point[k] for k in ("lat", "lon", "altitude", "accuracy")}
    try:
        validate_answers(spec.fields, answers)
    except AnswerError as exc:
        raise ValidationFailed(exc.message, errors=exc.errors) from exc
    declared = {a["name"]: a for a in item.get("attachments") or []}
    names = list(dict.fromkeys(_plain_names(spec.media_names(answers)) + list(declared)))
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    code = answers.get(spec.household_path) if spec.household_path else None
    return Candidate(
        upload=upload, version=version, spec=spec, instance_id=item["instance_id"],
        deprecated_id=item.get("deprecated_id"), answers=answers,
        content_hash=hashlib.sha256(canonical.encode()).hexdigest(), captured_at=_parse_time(item["captured_at"]),
        point=point, is_mock=bool(isinstance(location, dict) and location.get("mock")),
        household_code=code if isinstance(code, str) and household is None else None,
        household_id=household.id if household else None,
        attachments=[{**{"name": n}, **_declared(declared.get(n))} for n in names], needs_xml=True,
    )


def finish_json(c: Candidate, household) -> None:
    """Build the XML a device would have sent, and flatten it back so both protocols look alike."""
    flat: dict = {}  # what parse_instance(raw_xml) gives, without parsing again
    root = c.spec.build_tree(c.answers, c.instance_id, c.deprecated_id, flat)
    c.raw_xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8").decode("utf-8")
    c.answers = flat
    c.needs_xml = False


def _declared(spec: dict | None) -> dict:
    if not spec:
        return {}
    return {"size": spec.get("size"), "sha256": (spec.get("sha256") or "").lower() or None,
            "content_type": spec.get("content_type")}


def _plain_names(names: list) -> list:
    for name in names:
        if not storage.is_plain_name(name):
            raise SubmissionInvalid(f"Attachment name {name!r} is not a plain file name.")
    return list(names)


def _shape_errors(item) -> list[dict]:
    """Problems with a JSON item's envelope (answers are validated against the form later)."""
    if not isinstance(item, dict):
        return [{"path": "", "message": "Each submission must be an object."}]
    errors = []

    def need(key, kinds, required=True):
        value = item.get(key)
        if value is None:
            if required:
                errors.append({"path": key, "message": "Missing."})
        elif not isinstance(value, kinds) or isinstance(value, bool):
            errors.append({"path": key, "message": "Wrong type."})
    need("instance_id", str)
    need("form_id", str)
    need("form_version", str, False)
    need("deprecated_id", str, False)
    need("household_id", int, False)
    need("captured_at", str)
    need("location", dict, False)
    need("answers", dict)
    need("attachments", list, False)
    if isinstance(item.get("instance_id"), str) and not 0 < len(item["instance_id"]) <= MAX_INSTANCE_ID:
        errors.append({"path": "instance_id", "message": f"1 to {MAX_INSTANCE_ID} characters."})
    for key in ("form_id", "form_version", "deprecated_id"):
        if isinstance(item.get(key), str) and not 0 < len(item[key]) <= 255:
            errors.append({"path": key, "message": "1 to 255 characters."})
    if isinstance(item.get("household_id"), int) and not 0 < item["household_id"] < 2**63:
        errors.append({"path": "household_id", "message": "Not a household id."})
    need("clock_offset_s", (int, float), False)
    if isinstance(item.get("captured_at"), str):
        try:
            _parse_time(item["captured_at"])
        except ValueError:
            errors.append({"path": "captured_at", "message": "Give an ISO 8601 date and time."})
    for index, spec in enumerate(item.get("attachments") or [] if isinstance(item.get("attachments"), list) else []):
        if not isinstance(spec, dict) or not storage.is_plain_name(spec.get("name")):
            errors.append({"path": f"attachments[{index}]/name", "message": "Give a plain file name."})
        elif spec.get("sha256") is not None and not storage.SHA256_RE.match(str(spec["sha256"]).lower()):
            errors.append({"path": f"attachments[{index}]/sha256", "message": "Give a sha256 hex digest."})
        elif spec.get("size") is not None and (not isinstance(spec["size"], int) or isinstance(spec["size"], bool)
                                               or not 0 <= spec["size"] < 2**53):
            errors.append({"path": f"attachments[{index}]/size", "message": "Give the size in bytes."})
    return errors


def _parse_time(text: str) -> datetime:
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(current_app.config["TIMEZONE"]))
    return value.astimezone(timezone.utc)


def _captured_at(spec, answers) -> datetime | None:
    """The device's time from the form's end (or start) answer."""
    for path in spec.time_paths:
        value = answers.get(path)
        if isinstance(value, str) and value.strip():
            try:
                return _parse_time(value)
            except ValueError:
                continue
    return None
