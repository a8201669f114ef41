"""/api/v1/forms/<form_id>.svc: the OData v4 feed (Excel, Power BI, ruODK, pyodk-style clients).

HTTP Basic (a password, or a device token as the password; HTTPS outside development), a bearer token
or the web session; every read is scoped as the submissions API's."""
import json

from flask import Blueprint, Response, request, stream_with_context, url_for

from ..auth.services import authenticate_basic, current_actor
from ..coverage.periods import zone
from ..errors import NotFound
from ..extensions import csrf
from . import odata
from .tables import form_and_tables

bp = Blueprint("odata", __name__, url_prefix="/api/v1/forms")
JSON_TYPE = "application/json;odata.metadata=minimal;charset=utf-8"
HEADERS = {"OData-Version": "4.0"}


@bp.before_request
def sign_in():
    authenticate_basic()


@bp.after_request
def headers(response):
    response.headers.update(HEADERS)
    if response.status_code == 401:  # so Excel and Power BI ask for a username and password
        response.headers["WWW-Authenticate"] = 'Basic realm="Lianhu", charset="UTF-8"'
    return response


def _feed(form_id):
    actor = current_actor()
    form, tables = form_and_tables(actor, form_id)
    return actor, form, odata.entity_sets(tables)


def _json(body) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), content_type=JSON_TYPE)


def _base(form_id) -> str:
    return url_for("odata.service", form_id=form_id, _external=True)


@bp.get("/<form_id>.svc", endpoint="service")
@bp.get("/<form_id>.svc/", endpoint="service_slash")
def service(form_id):
    """The service document: the entity sets."""
    _, form, sets = _feed(form_id)
    return _json(odata.service_document(_base(form.form_id), sets))


@bp.get("/<form_id>.svc/$metadata")
def metadata(form_id):
    """The CSDL of the feed."""
    _, form, sets = _feed(form_id)
    return Response(odata.metadata_xml(form, sets), content_type="application/xml;charset=utf-8")


def _entity_set(form_id, name):
    actor, form, sets = _feed(form_id)
    if name not in sets:
        raise NotFound(f"No entity set {name!r}; this feed has {', '.join(sets)}.")
    return actor, form, sets[name]


@bp.get("/<form_id>.svc/<name>")
def entities(form_id, name):
    """A page of an entity set; @odata.nextLink when there is more."""
    actor, form, entity = _entity_set(form_id, name)
    tz = zone()
    options = odata.parse_options(request.args, tz)
    rows, token, count = odata.read_set(actor, form, entity, options, tz)
    base = _base(form.form_id)
    body = {"@odata.context": f"{base}/$metadata#{entity.name}"}
    if count is not None:
        body["@odata.count"] = count
    body["value"] = rows
    if token is not None:
        args = {k: v for k, v in request.args.items() if k not in ("$skip", "$skiptoken", "$top")}
        if options.top is not None:
            args["$top"] = str(options.top - len(rows))
        args["$skiptoken"] = token
        body["@odata.nextLink"] = url_for("odata.entities", form_id=form.form_id, name=entity.name,
                                          _external=True, **args)
    return Response(stream_with_context(_chunks(body)), content_type=JSON_TYPE)


def _chunks(body):
    """The body written a row at a time (@odata.context and .count first, .nextLink last)."""
    rows, next_link = body.pop("value"), body.pop("@odata.nextLink", None)
    yield (json.dumps(body, ensure_ascii=False)[:-1] + ', "value": [').encode("utf-8")
    for number, row in enumerate(rows):
        yield (("," if number else "") + json.dumps(row, ensure_ascii=False, default=str)).encode("utf-8")
    tail = "]" if next_link is None else "], " + json.dumps({"@odata.nextLink": next_link})[1:-1]
    yield (tail + "}").encode("utf-8")


@bp.get("/<form_id>.svc/<name>/$count")
def entity_count(form_id, name):
    """How many entities match the filter, as plain text."""
    actor, form, entity = _entity_set(form_id, name)
    tz = zone()
    count = odata.count_set(actor, form, entity, odata.parse_options(request.args, tz), always=True)
    return Response(str(count), content_type="text/plain;charset=utf-8")


# Wrong passwords over Basic count against the sign-in limits (server/auth/throttle.py, via authenticate).


def register(app):
    app.register_blueprint(bp)
    csrf.exempt(bp)
