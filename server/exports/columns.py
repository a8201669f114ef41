"""What every export shares: local times, geopoints in four columns, and headers and choice values
as codes or as the form's labels in a language (`labels=zh|en`)."""
from dataclasses import dataclass
from datetime import timezone

from flask_babel import force_locale, gettext

from forms.tables import GEOPOINT_PARTS, Table, split_geopoint

from ..coverage.periods import zone

LANGUAGES = ("zh", "en")
CHOICE_TYPES = ("select_one", "select_multiple", "rank")
#: how a language joins several chosen labels
JOINERS = {"zh": "、", "en": ", "}


def local_text(moment, tz=None) -> str:
    """A datetime in the deployment's time zone as 'YYYY-MM-DD HH:MM:SS' (what Excel reads); '' for None."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz or zone()).strftime("%Y-%m-%d %H:%M:%S")


def local_iso(moment, tz=None) -> str | None:
    """A datetime in the deployment's time zone as ISO 8601 with its offset; None for None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(tz or zone()).isoformat(timespec="seconds")


def label_in(labels: dict, lang: str | None, fallback: str) -> str:
    """A label in the language, else the form's default or first one, else the fallback (the code)."""
    if not lang or not labels:
        return fallback
    return labels.get(lang) or labels.get("default") or next(iter(labels.values()), "") or fallback


def meta_header(code: str, lang: str | None) -> str:
    """A metadata column's header: the code, or its translation (METADATA_LABELS) in the language."""
    if not lang:
        return code
    with force_locale(lang):
        return gettext(METADATA_LABELS.get(code, code))


def code_labels(table: dict, lang: str | None) -> dict | None:
    """{code: its display name in the language} for a table of stored codes (web.labels), None for codes."""
    if not lang:
        return None
    with force_locale(lang):
        return {code: str(name) for code, name in table.items()}


def geopoint_part_header(header: str, part: str, lang: str | None) -> str:
    return f"{header}-{part}" if not lang else f"{header}-{meta_header(part, lang)}"


@dataclass
class Column:
    """One column of a table: a field's value, or one part of a geopoint."""

    code: str
    header: str
    key: str
    type: str
    part: int | None = None
    choices: dict | None = None


def field_columns(table: Table, lang: str | None = None) -> list[Column]:
    """The field columns of a table: headers as codes (path within the table, '/' as '-') or labels."""
    out, seen = [], set()
    for f in table.fields:
        key = table.key_of(f)
        code = key.replace("/", "-")
        header = label_in(f.labels, lang, code)
        if header in seen:
            header = f"{header} ({code})"
        seen.add(header)
        choices = None
        if lang and f.type in CHOICE_TYPES and f.choices:
            choices = {c["name"]: label_in(c.get("labels") or {}, lang, c["name"]) for c in f.choices}
        if f.type == "geopoint":
            out += [Column(f"{code}-{part}", geopoint_part_header(header, part, lang), key, f.type, i)
                    for i, part in enumerate(GEOPOINT_PARTS)]
        else:
            out.append(Column(code, header, key, f.type, None, choices))
    return out


def column_value(column: Column, item: dict, lang: str | None = None):
    """A cell: the answer, one geopoint part, or the chosen labels; None when unanswered."""
    value = item.get(column.key)
    if column.part is not None:
        return split_geopoint(value)[column.part]
    if value is None or isinstance(value, (list, dict)):
        return None if value in (None, [], {}) else str(value)
    if column.choices is not None:
        codes = str(value).split() if column.type != "select_one" else [str(value)]
        return JOINERS.get(lang, " ").join(column.choices.get(c, c) for c in codes)
    return value


def row_values(columns: list[Column], item: dict, lang: str | None = None) -> list:
    """The cells of one row, each geopoint split once."""
    out, points = [], {}
    for column in columns:
        if column.part is None:
            out.append(column_value(column, item, lang))
            continue
        if column.key not in points:
            points[column.key] = split_geopoint(item.get(column.key))
        out.append(points[column.key][column.part])
    return out


def _(text: str) -> str:  # marks a string for extraction; translated later under the wanted locale
    return text


#: headers of the metadata columns, translated in the catalogue (English here)
METADATA_LABELS = {
    "KEY": _("Key"), "PARENT_KEY": _("Parent key"), "SubmissionDate": _("Submitted at"),
    "CapturedAt": _("Captured at"), "FormVersion": _("Form version"), "SubmitterName": _("Submitter"),
    "HouseholdCode": _("Household code"), "AreaCode": _("Area code"), "GeoStatus": _("Location check"),
    "GeoDistance": _("Distance to household (m)"), "ReviewState": _("Review state"),
    "instance_id": _("Instance ID"), "form_version": _("Form version"), "captured_at": _("Captured at"),
    "received_at": _("Received at"), "household_code": _("Household code"), "area_code": _("Area code"),
    "submitter": _("Submitter"), "lat": _("Latitude"), "lon": _("Longitude"), "accuracy": _("Accuracy"),
    "geo_status": _("Location check"), "geo_distance_m": _("Distance to household (m)"),
    "review_state": _("Review state"), "code": _("Household code"), "head_name": _("Head of household"),
    "address": _("Address"), "category": _("Category"), "area_name": _("Area name"),
    "cadre_username": _("Cadre username"), "cadre_name": _("Cadre"), "last_visit_at": _("Last counted visit"),
    "due_at": _("Due"), "visited": _("Visited"), "overdue": _("Overdue"), "flagged": _("Flagged"),
    "status": _("Status"),
    "Latitude": _("latitude"), "Longitude": _("longitude"), "Altitude": _("altitude"), "Accuracy": _("accuracy"),
}
