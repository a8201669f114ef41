"""A submission's answers as a reader sees them: the form's questions and choices in the page's language.

Uses the fields of the stored form version (surveys.fields_for, the one parsed-XForm cache)."""
from dataclasses import dataclass, field as dataclass_field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

from ..surveys import services as surveys

SKIPPED = ("group", "note")
#: questions pyxform adds without a label, named here
UNLABELLED = {"start": _l("Started"), "end": _l("Finished"), "today": _l("Date"), "deviceid": _l("Device"),
              "username": _l("Username"), "phonenumber": _l("Phone number")}
TIME_TYPES = ("datetime", "start", "end")


@dataclass
class Row:
    label: str
    value: str = ""
    #: a repeat: column labels and one list of values per item
    columns: list = dataclass_field(default_factory=list)
    items: list = dataclass_field(default_factory=list)
    path: str = ""


def pick(labels: dict, lang: str) -> str:
    """A label in the language, else the form's default, else any."""
    if not labels:
        return ""
    return labels.get(lang) or labels.get("default") or next(iter(labels.values()))


def local_moment(text, tz: str) -> str:
    """An ISO datetime answer shown in the deployment's time zone; other text unchanged."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M:%S")


def show_value(field, value, lang: str, tz: str) -> str:
    """One answer as text: choice labels, a geopoint's numbers, local times."""
    if value is None or value == "":
        return ""
    if isinstance(value, (dict, list)):
        return ", ".join(f"{v}" for v in (value.values() if isinstance(value, dict) else value))
    choices = {c["name"]: pick(c["labels"], lang) or c["name"] for c in (field.choices or [])}
    if field.type == "select_multiple":
        return "、".join(choices.get(v, v) for v in str(value).split())
    if field.type in ("select_one", "rank") and choices:
        return choices.get(str(value), str(value))
    if field.type == "geopoint":
        parts = str(value).split()
        if len(parts) >= 2:
            accuracy = f" ± {float(parts[3]):.0f} m" if len(parts) > 3 else ""
            return f"{float(parts[0]):.6f}, {float(parts[1]):.6f}{accuracy}"
    if field.type in TIME_TYPES or field.name in ("start", "end"):
        return local_moment(value, tz)
    return str(value)


def label_of(field, lang: str) -> str:
    return pick(field.labels, lang) or str(UNLABELLED.get(field.name, "")) or ""


def readable_answers(version, answers: dict, lang: str, tz: str) -> list[Row]:
    """The answers in form order; a repeat as a table; answers the form does not name at the end."""
    fields = surveys.fields_for(version) if version is not None else ()
    answers = answers or {}
    shown, rows = set(), []
    by_repeat: dict = {}
    for f in fields:
        if f.repeat:
            by_repeat.setdefault(f.repeat, []).append(f)
    for f in fields:
        if f.repeat or f.type in SKIPPED:
            continue
        label = label_of(f, lang)
        if f.type == "repeat":
            shown.add(f.path)
            children = [c for c in by_repeat.get(f.path, []) if c.type not in SKIPPED and label_of(c, lang)]
            items = answers.get(f.path) or []
            if not isinstance(items, list):
                items = [items]
            rel = len(f.path) + 1
            rows.append(Row(label or f.name, columns=[label_of(c, lang) for c in children], path=f.path,
                            items=[[show_value(c, item.get(c.path[rel:]), lang, tz) if isinstance(item, dict) else ""
                                    for c in children] for item in items]))
            continue
        if f.path not in answers:
            continue
        shown.add(f.path)
        if not label:
            continue  # calculations and other unlabelled helpers
        rows.append(Row(label, show_value(f, answers[f.path], lang, tz), path=f.path))
    for path, value in answers.items():
        if path not in shown:
            rows.append(Row(path, value if isinstance(value, str) else str(value), path=path))
    return rows
