"""A form as tables, as ODK Central exports it: one for the submission, one per repeat at any depth.

Rows are joined by keys: a submission's KEY is its instanceID; a repeat item's KEY is its parent's
KEY + '/<repeat name>[n]' (1-based), and its PARENT_KEY the parent's KEY. Answers are read in the
flat shape forms.answers gives: top-level keys are full paths, keys inside a repeat item are paths
relative to that repeat, repeats are lists of item dicts."""

import json
from dataclasses import dataclass, field as dataclass_field

from forms.xform import Field

#: field types that hold no answer of their own
NO_VALUE_TYPES = ("group", "repeat", "note")
GEOPOINT_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")


@dataclass
class Table:
    """The main table (path None) or one repeat's: its columns are the fields it holds directly."""

    name: str
    path: str | None
    fields: list = dataclass_field(default_factory=list)
    #: keys from the root to this table's items, each relative to the table above (empty for main)
    chain: tuple = ()
    labels: dict = dataclass_field(default_factory=dict)

    def key_of(self, f: Field) -> str:
        """A field's key inside this table's items."""
        return f.path if self.path is None else f.path[len(self.path) + 1:]


def merge_fields(versions) -> list[Field]:
    """Fields over several versions' field lists (first wins), each path once, in first-seen order."""
    seen, out = set(), []
    for fields in versions:
        for f in fields:
            if f.path not in seen:
                seen.add(f.path)
                out.append(f)
    return out


def form_tables(fields, main_name: str = "Submissions") -> list[Table]:
    """The main table then each repeat's, in form order (a parent before its nested repeats)."""
    repeats = {f.path: f for f in fields if f.type == "repeat"}
    main = Table(name=main_name, path=None)
    tables = {None: main}
    order = [main]
    for f in fields:
        if f.type == "repeat":
            parent = tables[f.repeat]
            relative = f.path if parent.path is None else f.path[len(parent.path) + 1:]
            table = Table(name=f.name, path=f.path, chain=parent.chain + (relative,), labels=f.labels)
            tables[f.path] = table
            order.append(table)
    for f in fields:
        if f.type not in NO_VALUE_TYPES and (f.repeat is None or f.repeat in repeats):
            tables[f.repeat].fields.append(f)
    return order


def items(table: Table, instance_id: str, answers: dict):
    """(KEY, PARENT_KEY, item answers) of a submission's rows in this table, in order."""
    if not table.chain:
        yield instance_id, None, answers or {}
        return
    yield from _walk(table.chain, instance_id, answers or {})


def _walk(chain, key, item):
    step, rest = chain[0], chain[1:]
    children = item.get(step) if isinstance(item, dict) else None
    if not isinstance(children, list):
        return
    name = step.rsplit("/", 1)[-1]
    for number, child in enumerate(children, start=1):
        child_key = f"{key}/{name}[{number}]"
        child = child if isinstance(child, dict) else {}
        if rest:
            yield from _walk(rest, child_key, child)
        else:
            yield child_key, key, child


def split_geopoint(value) -> tuple:
    """(latitude, longitude, altitude, accuracy) as floats from 'lat lon alt acc' text or a
    {lat, lon, altitude, accuracy} dict; Nones for what is missing or unreadable."""
    if type(value) is str and not value.startswith("{"):  # 'lat lon alt acc', as devices send it
        parts = value.split()
        if 2 <= len(parts) <= 4:
            try:
                return tuple([float(part) for part in parts] + [None] * (4 - len(parts)))
            except ValueError:
                pass  # a part that is not a number: read part by part below
    if isinstance(value, str) and value.startswith("{"):  # a JSON object read out of the answers
        try:
            value = json.loads(value)
        except ValueError:
            return (None,) * 4
    if isinstance(value, dict):
        parts = [value.get(k) for k in ("lat", "lon", "altitude", "accuracy")]
    elif isinstance(value, str):
        parts = value.split()[:4]
    else:
        return (None,) * 4
    numbers = []
    for part in parts:
        try:
            numbers.append(float(part))
        except (TypeError, ValueError):
            numbers.append(None)
    if len(numbers) < 2 or numbers[0] is None or numbers[1] is None:
        return (None,) * 4
    return tuple(numbers + [None] * (4 - len(numbers)))
