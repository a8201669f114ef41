"""An OData v4 feed per form, shaped as ODK Central's: entity set Submissions (key __id, metadata in the
__system complex type) and one set per repeat, Submissions.<repeat>, joined by __Submissions-id.

Supported: $top, $skip, $count, $select, $skiptoken (server paging) and $filter on __system/submissionDate
or __system/capturedAt (gt, ge, lt, le), __system/reviewState or __system/geoStatus (eq), joined by 'and'."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time
from xml.sax.saxutils import quoteattr

from sqlalchemy import func

from ..errors import BadRequest, ODataUnsupported
from ..extensions import db
from ..submissions.models import GEO_STATUSES, REVIEW_STATES, Submission
from .columns import field_columns, local_iso, row_values
from .tables import Filters, main_select, repeat_rows, stream, submissions_select

PAGE_SIZE = 1000
MAIN = "Submissions"
EDM = {"integer": "Edm.Int64", "decimal": "Edm.Double", "range": "Edm.Double", "date": "Edm.Date",
       "datetime": "Edm.DateTimeOffset", "start": "Edm.DateTimeOffset", "end": "Edm.DateTimeOffset"}
SYSTEM = (("submissionDate", "Edm.DateTimeOffset"), ("capturedAt", "Edm.DateTimeOffset"),
          ("submitterName", "Edm.String"), ("formVersion", "Edm.String"), ("householdCode", "Edm.String"),
          ("areaCode", "Edm.String"), ("geoStatus", "Edm.String"), ("geoDistance", "Edm.Double"),
          ("reviewState", "Edm.String"))
UNSUPPORTED = ("$orderby", "$expand", "$apply", "$search", "$compute")
_TERM = re.compile(r"^\(*\s*__system/(\w+)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*\)*$", re.IGNORECASE)
_FILTER_COLUMNS = {"submissiondate": "received_at", "capturedat": "captured_at"}
_FILTER_EQUALS = {"reviewstate": ("review_state", REVIEW_STATES), "geostatus": ("geo_status", GEO_STATUSES)}


@dataclass
class EntitySet:
    """One entity set: its table, its columns (codes), and its parent's key property."""

    name: str
    table: object
    columns: list
    parent_key: str | None = None


@dataclass
class Options:
    top: int | None = None
    skip: int = 0
    count: bool = False
    select: list | None = None
    token: tuple = (0, 0)
    filters: Filters = field(default_factory=Filters)


def entity_sets(tables) -> dict:
    """Entity sets by name: Submissions, then Submissions.<repeat path, dotted> for each repeat."""
    sets, names = {}, {None: MAIN}
    for table in tables:
        if table.path is None:
            sets[MAIN] = EntitySet(MAIN, table, field_columns(table))
            continue
        parent = names[_parent_path(table, names)]
        name = f"{MAIN}.{table.path.replace('/', '.')}"
        names[table.path] = name
        sets[name] = EntitySet(name, table, field_columns(table), parent_key=f"__{parent.replace('.', '-')}-id")
    return sets


def _parent_path(table, names):
    """The nearest enclosing repeat of a table that has a set (None: the submission)."""
    parents = [p for p in names if p is not None and table.path.startswith(p + "/")]
    return max(parents, key=len) if parents else None


def _edm(column) -> str:
    return "Edm.Double" if column.part is not None else EDM.get(column.type, "Edm.String")


def metadata_xml(form, sets) -> str:
    """The CSDL ($metadata) of a form's feed."""
    namespace = f"org.opendatakit.user.{form.form_id}"
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           '<edmx:Edmx xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx" Version="4.0">',
           "<edmx:DataServices>",
           '<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace="org.opendatakit.submission">',
           '<ComplexType Name="metadata">']
    out += [f'<Property Name="{name}" Type="{edm}"/>' for name, edm in SYSTEM]
    out += ["</ComplexType>", "</Schema>",
            f'<Schema xmlns="http://docs.oasis-open.org/odata/ns/edm" Namespace={quoteattr(namespace)}>']
    for entity in sets.values():
        out += [f"<EntityType Name={quoteattr(entity.name)}>", '<Key><PropertyRef Name="__id"/></Key>',
                '<Property Name="__id" Type="Edm.String" Nullable="false"/>']
        if entity.parent_key is None:
            out.append('<Property Name="__system" Type="org.opendatakit.submission.metadata"/>')
        else:
            out.append(f'<Property Name={quoteattr(entity.parent_key)} Type="Edm.String"/>')
        out += [f"<Property Name={quoteattr(c.code)} Type=\"{_edm(c)}\"/>" for c in entity.columns]
        out.append("</EntityType>")
    out.append(f"<EntityContainer Name={quoteattr(form.form_id)}>")
    out += [f"<EntitySet Name={quoteattr(e.name)} EntityType={quoteattr(namespace + '.' + e.name)}/>"
            for e in sets.values()]
    out += ["</EntityContainer>", "</Schema>", "</edmx:DataServices>", "</edmx:Edmx>"]
    return "\n".join(out)


def service_document(base_url: str, sets) -> dict:
    return {"@odata.context": f"{base_url}/$metadata",
            "value": [{"name": name, "kind": "EntitySet", "url": name} for name in sets]}


# ---- query options -----------------------------------------------------------

def parse_options(args, tz) -> Options:
    """Options from the query string; a bad one is a 400, an unsupported one a 501."""
    for name in UNSUPPORTED:
        if args.get(name):
            raise ODataUnsupported(f"{name} is not supported by this feed.")
    options = Options(top=_number(args, "$top"), skip=_number(args, "$skip") or 0,
                      count=(args.get("$count") or "").lower() == "true")
    if args.get("$select"):
        options.select = [s.strip() for s in args["$select"].split(",") if s.strip()]
    if args.get("$skiptoken"):
        try:
            sid, _, index = args["$skiptoken"].partition(":")
            options.token = (int(sid), int(index or 0))
        except ValueError:
            raise BadRequest("$skiptoken is not one this feed gave.") from None
    if args.get("$filter"):
        options.filters = parse_filter(args["$filter"], tz)
    return options


def _number(args, name):
    value = args.get(name)
    if value is None:
        return None
    if not value.isdigit() or len(value) > 12:
        raise BadRequest(f"{name} must be a whole number, 0 or more.")
    return int(value)


def parse_filter(text: str, tz) -> Filters:
    """$filter terms joined by 'and' on the submission or capture date, review state or geo status."""
    filters = Filters()
    for term in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _TERM.match(term.strip())
        if match is None:
            raise ODataUnsupported("$filter supports __system/submissionDate or __system/capturedAt compared "
                                   "(gt, ge, lt, le) with a date or time, and __system/reviewState or "
                                   "__system/geoStatus eq 'value', joined by 'and'.")
        prop, op, literal = match.group(1).lower(), match.group(2).lower(), match.group(3)
        if prop in _FILTER_COLUMNS and op in ("gt", "ge", "lt", "le"):
            filters.bounds.append((_FILTER_COLUMNS[prop], op, _moment(literal, tz)))
        elif prop in _FILTER_EQUALS and op == "eq":
            attribute, allowed = _FILTER_EQUALS[prop]
            value = literal.strip("'")
            if value not in allowed:
                raise BadRequest(f"{match.group(1)} is one of {', '.join(allowed)}.")
            setattr(filters, attribute, value)
        else:
            raise ODataUnsupported(f"__system/{match.group(1)} {op} is not supported.")
    return filters


def _moment(text: str, tz) -> datetime:
    """A DateTimeOffset or Date literal; a date or a time without offset is local."""
    text = text.strip().strip("'")
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), time(), tz)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{text!r} is not a date or a date and time.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


# ---- rows --------------------------------------------------------------------

def _coerce(column, value):
    """A cell as its Edm type: numbers as numbers, the rest as text; None when empty or unreadable."""
    if value is None or value == "":
        return None
    edm = _edm(column)
    try:
        if edm == "Edm.Int64":
            return int(value)
        if edm == "Edm.Double":
            return float(value)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, str) else str(value)


def _properties(columns, item):
    return zip((c.code for c in columns), map(_coerce, columns, row_values(columns, item)))


def _main_entity(row, columns, tz):
    (sid, instance_id, received_at, captured_at, version, username, household, area, geo_status,
     distance, review_state, answers) = row
    system = {"submissionDate": local_iso(received_at, tz), "capturedAt": local_iso(captured_at, tz),
              "submitterName": username, "formVersion": version, "householdCode": household, "areaCode": area,
              "geoStatus": geo_status, "geoDistance": distance, "reviewState": review_state}
    entity = {"__id": instance_id, "__system": system}
    entity.update(_properties(columns, answers or {}))
    return sid, entity


def _select(entity, wanted):
    if wanted is None:
        return entity
    return {k: v for k, v in entity.items() if k == "__id" or k in wanted}


def read_set(actor, form, entity: EntitySet, options: Options, tz):
    """(page of entities, the next page's skiptoken or None, the total count or None)."""
    limit = min(options.top, PAGE_SIZE) if options.top is not None else PAGE_SIZE
    start_id, start_index = options.token
    if entity.parent_key is None:
        after = Submission.id > start_id if start_index else Submission.id >= start_id  # a row has one entity
        query = main_select(actor, form, options.filters).where(after)
        query = query.order_by(Submission.id).offset(options.skip).limit(limit + 1)
        rows = [_main_entity(r, entity.columns, tz) for r in stream(query)]
        page = [(sid, 0, e) for sid, e in rows]
    else:
        query = submissions_select(actor, form, options.filters, Submission.id, Submission.instance_id,
                                   Submission.answers).where(Submission.id >= start_id).order_by(Submission.id)
        page = list(_repeat_page(entity, stream(query), options.token, options.skip, limit + 1))
    more = len(page) > limit
    page = page[:limit]
    token = f"{page[-1][0]}:{page[-1][1] + 1}" if more and page else None
    if options.top is not None and options.top <= limit:
        token = None  # the client asked for this many and gets them
    return [_select(e, options.select) for _, _, e in page], token, count_set(actor, form, entity, options)


def _repeat_page(entity, rows, token, skip, wanted):
    last_sid, index, taken = None, 0, 0
    for sid, key, parent_key, item in repeat_rows(entity.table, rows):
        index = index + 1 if sid == last_sid else 0
        last_sid = sid
        if (sid, index) < token:
            continue
        if skip:
            skip -= 1
            continue
        row = {"__id": key, entity.parent_key: parent_key}
        row.update(_properties(entity.columns, item))
        yield sid, index, row
        taken += 1
        if taken == wanted:
            return


def count_set(actor, form, entity: EntitySet, options: Options, always=False):
    """How many entities the filter matches ($count), or None when not asked for."""
    if not (options.count or always):
        return None
    if entity.parent_key is None:
        query = submissions_select(actor, form, options.filters, func.count())
        return db.session.scalar(query)
    rows = submissions_select(actor, form, options.filters, Submission.id, Submission.instance_id,
                              Submission.answers)
    return sum(1 for _ in repeat_rows(entity.table, stream(rows)))

