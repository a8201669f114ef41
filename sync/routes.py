"""OpenRosa at /openrosa and /key/<token>/openrosa (ODK Collect, Enketo, the field app); registers sync."""
from flask import Blueprint, current_app, g, request, url_for
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from server.auth.services import authenticate, device_for_token
from server.errors import BadRequest, Forbidden, NotFound, Problem, TooLarge, Unauthenticated
from server.extensions import api, csrf, db
from server.problem_texts import localized, status_text

from server.submissions import ingest

from . import multipart, openrosa, services

bp = Blueprint("openrosa", __name__)
PREFIXES = {"": "/openrosa", "key_": "/key/<token>/openrosa"}
REALM = {"WWW-Authenticate": 'Basic realm="Lianhu", charset="UTF-8"'}


def route(rule, endpoint, **options):
    """Register a view under both prefixes (the key_ endpoint carries the token)."""
    def decorator(view):
        for name, prefix in PREFIXES.items():
            bp.add_url_rule(prefix + rule, name + endpoint, view, **options)
        return view
    return decorator


def _authenticate(token=None):
    """The acting user and device: path token (403 when bad), bearer token, or HTTP Basic."""
    header = request.headers.get("Authorization", "")
    if token is not None or header[:7].lower() == "bearer ":
        device = device_for_token(token if token is not None else header[7:].strip())
        g.actor, g.device = device.user, device
        return g.actor, g.device
    auth = request.authorization
    if auth is None or auth.type != "basic":
        raise Unauthenticated("Sign in with your username and password, or use your device link.")
    if not (current_app.config.get("DEVELOPMENT") or request.is_secure):
        raise Forbidden("HTTP Basic sign-in needs HTTPS; use your device link (/key/<token>/openrosa).")
    g.actor, g.device = authenticate(auth.username or "", auth.password or "", request.remote_addr), None
    return g.actor, None


def _url(endpoint, token, **values):
    if token is not None:
        return url_for(f"openrosa.key_{endpoint}", token=token, _external=True, **values)
    return url_for(f"openrosa.{endpoint}", _external=True, **values)


@route("/formList", "form_list", methods=["GET"])
def form_list(token=None):
    actor, _ = _authenticate(token)
    wanted = request.args.get("formID")
    verbose = (request.args.get("verbose") or "").lower() in ("true", "1", "yes")
    forms = [{"form_id": v.form.form_id, "name": v.title or v.form.title, "version": v.version, "md5": v.md5,
              "download_url": _url("form_xml", token, form_id=v.form.form_id),
              "manifest_url": _url("manifest", token, form_id=v.form.form_id) if services.media_of(v) else None,
              "description": (v.title or v.form.title) if verbose else None}
             for v in services.list_fillable_forms(actor) if wanted is None or v.form.form_id == wanted]
    db.session.commit()  # the device's last_seen_at
    return openrosa.xml_response(openrosa.form_list(forms))


@route("/forms/<form_id>.xml", "form_xml", methods=["GET"])
def form_xml(form_id, token=None):
    actor, _ = _authenticate(token)
    xml = services.get_fillable_form(actor, form_id).xml
    db.session.commit()
    return openrosa.xml_response(xml)


@route("/forms/<form_id>/manifest", "manifest", methods=["GET"])
def manifest(form_id, token=None):
    actor, _ = _authenticate(token)
    files = [{**f, "download_url": _url("media", token, form_id=form_id, filename=f["filename"])}
             for f in services.manifest_files(actor, services.get_fillable_form(actor, form_id))]
    db.session.commit()
    return openrosa.xml_response(openrosa.manifest(files))


@route("/forms/<form_id>/media/<filename>", "media", methods=["GET"])
def media(form_id, filename, token=None):
    actor, _ = _authenticate(token)
    data, content_type, md5 = services.media_file(actor, services.get_fillable_form(actor, form_id), filename)
    db.session.commit()
    return openrosa.xml_response(data, content_type=content_type, headers={"ETag": f'"{md5}"'})


@route("/submission", "submission_head", methods=["HEAD", "GET"])
def submission_head(token=None):
    _authenticate(token)
    db.session.commit()
    return openrosa.xml_response(b"", 204, headers={
        "X-OpenRosa-Accept-Content-Length": str(current_app.config["MAX_CONTENT_LENGTH"])})


@route("/submission", "submission", methods=["POST"])
def submission(token=None):
    actor, device = _authenticate(token)
    upload = _read_upload(actor, device)
    try:
        outcome = ingest.ingest(actor, device, [upload])[0]
    except Exception as exc:  # a bug must not lose what the device sent
        _quarantine(actor, device, upload, _server_error(exc))
        raise
    response = openrosa.success(_success_message(outcome, upload)) if outcome.problem is None else None
    db.session.commit()  # a refusal commits only its quarantine entry
    if outcome.problem is not None:
        raise outcome.problem
    return response


def _read_upload(actor, device) -> ingest.Upload:
    """The multipart body: xml_submission_file plus attachments with plain names; refusals are quarantined."""
    upload = ingest.Upload("openrosa", b"", request.content_type, client=services.client_of(request))
    try:
        body = request.get_data(cache=False)
    except RequestEntityTooLarge:
        _quarantine(actor, device, upload, TooLarge(
            f"The body ({request.content_length or 'chunked'} bytes) is over the "
            f"{current_app.config['MAX_CONTENT_LENGTH']} byte limit; send attachments in several requests."))
        raise
    if (request.mimetype or "") in ("text/xml", "application/xml"):
        upload.payload = body  # a bare XML body: a submission without attachments
        return upload
    try:
        parts = multipart.parse(body, request.content_type)
        xml, files = multipart.submission_parts(parts)
    except BadRequest as exc:
        upload.payload = body  # the whole body, every part of it, is kept with the reason
        _quarantine(actor, device, upload, exc)
        raise
    upload.payload, upload.content_type = xml.data, xml.content_type or "text/xml"
    upload.files = {name: ingest.FilePart(part.data, part.content_type) for name, part in files.items()}
    return upload


def _server_error(exc) -> Problem:
    problem = Problem(f"Unexpected server error: {exc!r}"[:500])
    problem.problem = "server.error"
    return problem


def _quarantine(actor, device, upload, problem):
    db.session.rollback()
    ingest.quarantine_upload(actor, device, upload, problem)
    db.session.commit()


def _success_message(outcome, upload) -> str:
    extra = sorted(a.name for a in outcome.submission.attachments if a.is_extra and a.name in upload.files)
    text = "Already received." if outcome.status == "duplicate" else "Received."
    if outcome.missing_attachments:
        text += f" Waiting for {len(outcome.missing_attachments)} attachment(s)."
    if extra:
        text += f" Kept files the form does not name: {', '.join(extra)}."
    return text


@route("/", "not_found_root", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
@route("/<path:rest>", "not_found", methods=["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH"])
def not_found(rest="", token=None):
    """Unknown OpenRosa paths still answer in OpenRosa XML."""
    raise NotFound(f"No OpenRosa resource /{rest}.")


@bp.errorhandler(Problem)
def problem_as_xml(problem: Problem):
    headers = {**problem.headers(), **(REALM if problem.http_status == 401 else {}), "X-Lianhu-Problem": problem.problem}
    return openrosa.error(localized(problem), problem.http_status, headers)


@bp.errorhandler(HTTPException)
def http_error_as_xml(exc: HTTPException):
    if exc.code == 413:
        message = (f"The request is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes; "
                   "send attachments in several requests.")
        return openrosa.error(status_text(413, message), 413, {"X-Lianhu-Problem": "request.too_large"})
    return openrosa.error(status_text(exc.code, exc.description or exc.name), exc.code or 400,
                          {"X-Lianhu-Problem": f"http.{exc.code}"})


def register(app):
    """OpenRosa (plain blueprint), JSON sync and quarantine (flask-smorest); all token-authenticated."""
    from . import draft_routes
    from .api_routes import blp as sync_blp, quarantine_blp
    csrf.exempt(bp)
    app.register_blueprint(bp)
    draft_routes.register(app)
    for blp in (sync_blp, quarantine_blp):
        api.register_blueprint(blp)
        csrf.exempt(blp)
