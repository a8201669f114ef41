"""Checking answers (as a JSON client sends them) against a form's fields."""

import datetime
import math
import re

from forms.errors import AnswerError

INTEGER_RE = re.compile(r"^[+-]?\d+$")
DECIMAL_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
INT32 = (-(2**31), 2**31 - 1)
MEDIA_TYPES = {"image", "audio", "video", "file"}
DATETIME_TYPES = {"datetime", "start", "end"}
MAX_CHOICES_SHOWN = 10


def validate_answers(fields: list, answers: dict) -> None:
    """Check answers against a form's fields; raise AnswerError listing every problem.

    Paths in errors are answer keys; inside a repeat they read `demands[0]/text`
    (0-based item index). Required fields with a relevance condition are not
    enforced, as relevance is not evaluated here.
    """
    if not isinstance(answers, dict):
        raise AnswerError([{"path": "", "message": "Answers must be an object keyed by field path."}])
    errors: list[dict] = []
    _check_scope(fields, None, answers, "", errors)
    if errors:
        raise AnswerError(errors)


def parse_geopoint(value, path: str = "") -> dict | None:
    """Parse 'lat lon [altitude [accuracy]]' into floats; None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("lat", "lon", "altitude", "accuracy")]
    elif isinstance(value, str) and 2 <= len(value.split()) <= 4:
        parts = (value.split() + [None, None])[:4]
    else:
        raise AnswerError([{"path": path, "message": f"Not a geopoint ('lat lon altitude accuracy'): {value!r}."}])
    try:
        lat, lon, altitude, accuracy = [None if p is None else _finite(p) for p in parts]
    except (TypeError, ValueError):
        raise AnswerError([{"path": path, "message": f"Not a geopoint: {value!r}."}]) from None
    if lat is None or lon is None:
        raise AnswerError([{"path": path, "message": "A geopoint needs a latitude and a longitude."}])
    if not -90 <= lat <= 90:
        raise AnswerError([{"path": path, "message": f"Latitude {lat} is out of range (-90..90)."}])
    if not -180 <= lon <= 180:
        raise AnswerError([{"path": path, "message": f"Longitude {lon} is out of range (-180..180)."}])
    if accuracy is not None and accuracy < 0:
        raise AnswerError([{"path": path, "message": f"Accuracy {accuracy} is negative."}])
    return {"lat": lat, "lon": lon, "altitude": altitude, "accuracy": accuracy}


def _check_scope(fields, repeat, answers, prefix, errors, known_relevant=None):
    """Check the answers of the top level (repeat=None) or of one repeat item.

    Inside a repeat item that was sent, the repeat's own condition held, so a field whose only
    condition is the repeat's (known_relevant) is checked as required too."""
    base = f"{repeat}/" if repeat else ""
    scope = {f.path[len(base):]: f for f in fields if f.repeat == repeat}
    for key, value in answers.items():
        field = scope.get(key)
        where = f"{prefix}{key}"
        if field is None:
            errors.append({"path": where, "message": "There is no such field in this form."})
        elif field.type == "group":
            errors.append({"path": where, "message": f"This is a group: give its fields as '{key}/<name>'."})
        elif field.type == "repeat":
            _check_repeat(fields, field, value, where, errors)
        elif not _is_empty(value):
            message = _check_value(field, value)
            if message:
                errors.append({"path": where, "message": message})
    for key, field in scope.items():
        unconditional = not field.relevant or field.relevant == known_relevant
        if field.required and unconditional and _is_empty(answers.get(key)):
            if field.type not in ("group", "repeat"):
                errors.append({"path": f"{prefix}{key}", "message": "This answer is required."})


def _check_repeat(fields, field, value, where, errors):
    if value is None:
        return
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append({"path": where, "message": "A repeat must be a list of objects."})
        return
    for index, item in enumerate(value):
        _check_scope(fields, field.path, item, f"{where}[{index}]/", errors, field.relevant)


def _check_value(field, value) -> str | None:
    """Why this non-empty value does not fit the field, or None when it fits."""
    kind = field.type
    if isinstance(value, bool):
        return "A true/false value is not a valid answer here."
    if kind == "select_one":
        if not isinstance(value, (str, int)):
            return "Give the name of one choice."
        return _check_choices(field, [str(value).strip()])
    if kind == "select_multiple":
        if isinstance(value, str):
            return _check_choices(field, value.split())
        if isinstance(value, list) and all(
            isinstance(v, (str, int)) and not isinstance(v, bool) for v in value
        ):
            return _check_choices(field, [str(v).strip() for v in value])
        return "Give choice names, space-separated or as a list."
    if isinstance(value, (list, dict)) and kind != "geopoint":
        return "Give a single value."
    if kind == "integer":
        return _check_integer(value)
    if kind in ("decimal", "range"):
        return _check_decimal(value)
    if kind == "date":
        return _check_time(value, datetime.date, "a date (YYYY-MM-DD)")
    if kind in DATETIME_TYPES:
        return _check_time(value, datetime.datetime, "a date and time (ISO 8601)")
    if kind == "time":
        return _check_time(value, datetime.time, "a time (HH:MM:SS)")
    if kind == "geopoint":
        return _check_geo([value])
    if kind in ("geotrace", "geoshape"):
        if not isinstance(value, str):
            return "Give points as 'lat lon alt acc; lat lon alt acc; ...'."
        return _check_geo([p for p in value.split(";") if p.strip()])
    if kind in MEDIA_TYPES:
        return _check_file_name(value)
    return None  # text, barcode, calculate, note, ...: strings and numbers are fine


def _check_choices(field, names):
    if field.choices is None:  # from households.csv or from other answers
        return None
    allowed = [c["name"] for c in field.choices]
    bad = [n for n in names if n not in allowed]
    if not bad:
        return None
    shown = ", ".join(allowed[:MAX_CHOICES_SHOWN]) + (", ..." if len(allowed) > MAX_CHOICES_SHOWN else "")
    return f"{', '.join(map(repr, bad))} is not a choice of this question ({shown})."


def _check_integer(value):
    if isinstance(value, float):
        if not value.is_integer():
            return "Give a whole number."
        value = int(value)
    elif isinstance(value, str):
        if not INTEGER_RE.match(value.strip()):
            return "Give a whole number."
        value = int(value)
    elif not isinstance(value, int):
        return "Give a whole number."
    if not INT32[0] <= value <= INT32[1]:
        return "The number is too large."
    return None


def _check_decimal(value):
    if isinstance(value, (int, float)):
        return None if math.isfinite(value) else "Give a number."
    if isinstance(value, str) and DECIMAL_RE.match(value.strip()):
        return None
    return "Give a number."


def _check_time(value, kind, described):
    if not isinstance(value, str):
        return f"Give {described}."
    text = value.strip()
    if kind is datetime.date and not DATE_RE.match(text):
        return f"Give {described}."
    if kind is datetime.datetime and not (text[10:11] == "T" and DATE_RE.match(text[:10])):
        return f"Give {described}."
    try:
        kind.fromisoformat(text)
    except ValueError:
        return f"Give {described}."
    return None


def _check_geo(points):
    try:
        for point in points:
            parse_geopoint(point)
    except AnswerError as err:
        return err.errors[0]["message"]
    return None


def _check_file_name(value):
    if not isinstance(value, str):
        return "Give the attachment's file name."
    name = value.strip()
    if not name or len(name) > 255 or name in (".", "..") or any(c in name for c in "/\\\0"):
        return "Give a plain file name (no folders)."
    return None


def _is_empty(value) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def _finite(value) -> float:
    if isinstance(value, bool):
        raise TypeError("bool")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not finite")
    return number
