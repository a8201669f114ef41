"""A problem's message (server/errors.py) in a device's language: the refusals a phone is given.

Where a problem is raised its message is written in English, often with the facts filled in ("You may not
submit for household HH01-001."). The response is rendered through `localized(problem)`, which gives it in
the language the device asks for by Accept-Language (Flask-Babel, server.select_locale): the message itself
when the catalogue has it; else the text of its problem id with the facts taken from its details; else the
default text of its class; else a text for its HTTP status. An English request gets the message as it was raised;
one that names no language (ODK Collect sends none) gets Chinese, the server's language. The stable `problem`
id never changes, so a client may also show its own text for it (the field app does, in its own language).
"""
from flask import has_request_context, request
from flask_babel import get_locale, gettext


def _l(msgid: str) -> str:
    """Marks a msgid for the catalogue (pybabel extracts _l); it is translated where it is used."""
    return msgid


#: fixed messages raised on the device paths (OpenRosa, JSON sync, the field app, cases): exact texts
FIXED = (
    _l("The request is not valid."), _l("Some fields are not valid."), _l("Sign in or send a valid token."),
    _l("Wrong username or password."), _l("This token is not valid or was revoked."),
    _l("Too many failed sign-ins; try again later."), _l("Your role may not do this."), _l("Not found."),
    _l("This conflicts with existing data."), _l("The request body is too large."),
    _l("No such form or form version."), _l("This form is closed and accepts no submissions."),
    _l("The submission could not be read."), _l("A different submission with this instanceID exists."),
    _l("The attachment does not match its declared hash or size."),
    _l("This case cannot move to that status."), _l("No such submission."),
    _l("The submission names no known household."), _l("You may not submit for this household."),
    _l("The submission does not say which household it is about."), _l("Some answers are missing or not valid."),
    _l("The item is not a valid submission."), _l("household_id and the household answer disagree."),
    _l("Sign in with your username and password, or use your device link."),
    _l("HTTP Basic sign-in needs HTTPS; use your device link (/key/<token>/openrosa)."),
    _l("HTTP Basic sign-in needs HTTPS."),
    _l("Send the submission as multipart/form-data (xml_submission_file + attachments)."),
    _l("The multipart body is incomplete (no closing boundary)."), _l("A multipart part has no header block."),
    _l("A multipart part has no name."), _l("The request has no xml_submission_file part."),
    _l("The cursor is not valid; pull without one."), _l("Give a plain file name."),
    _l("The body is not UTF-8 JSON."), _l("Send a JPEG, PNG or WebP photo."), _l("The photo is empty."),
    _l("No such photo."), _l("No such device."), _l("Only managers reassign or edit cases."),
    _l("This version was replaced by an edit; review the current version."),
    _l("This is a draft's test link: drafts take no submissions. Publish the form to collect data."),
    _l("A value is out of range or cannot be stored (a number too large, or text that is not valid Unicode)."),
)

#: by problem id: texts with the facts of the problem's details, the first whose facts are all given
BY_PROBLEM = {
    "submission.household_forbidden": ((_l("You may not submit for household %(household)s."), ("household",)),),
    "submission.household_unknown": ((_l("No household with code %(household)s."), ("household",)),
                                     (_l("No household %(household_id)s."), ("household_id",))),
    "form.not_found": ((_l("No form %(form_id)s version %(version)s."), ("form_id", "version")),
                       (_l("No form %(form_id)s."), ("form_id",))),
    "form.closed": ((_l("The form %(form_id)s is closed."), ("form_id",)),),
    "submission.conflict": ((_l("A different submission with instanceID %(instance_id)s exists."), ("instance_id",)),
                            (_l("Submission %(deprecated_id)s was already replaced by an edit."), ("deprecated_id",))),
    "submission.not_found": ((_l("No submission %(deprecated_id)s to edit (deprecatedID)."), ("deprecated_id",)),),
    "submission.invalid": ((_l("The instanceID is too long to be stored."), ("instance_id",)),),
    "request.too_large": ((_l("At most %(limit)s submissions per push; send %(given)s in several batches."),
                           ("limit", "given")),),
    "auth.throttled": ((_l("Too many failed sign-ins; try again in %(retry_after)s seconds."), ("retry_after",)),),
}

#: when nothing else fits: by HTTP status
BY_STATUS = {
    400: _l("The request is not valid."), 401: _l("Sign in or send a valid token."),
    403: _l("Your role may not do this."), 404: _l("Not found."), 405: _l("This method is not allowed here."),
    409: _l("This conflicts with existing data."), 410: _l("This is no longer available."),
    413: _l("The request body is too large."), 415: _l("This content type is not accepted."),
    422: _l("Some fields are not valid."), 429: _l("Too many requests; try again later."),
    501: _l("This is not supported."),
}
SERVER_ERROR = _l("Something went wrong on the server; the phone keeps the item and tries again later.")


def is_device_request() -> bool:
    """A phone or ODK client rather than a browser page: a token or Basic credentials, a device link, or
    the sign-in of a device."""
    return ("Authorization" in request.headers or request.path.startswith("/key/")
            or request.path == "/api/v1/devices")


def _english() -> bool:
    """A device's refusals are in the server's language, Chinese, unless it asks for English by
    Accept-Language: ODK Collect names no language, and its cadre reads the message it shows. Web pages
    render their own texts; commands (no request) speak English."""
    if not has_request_context() or not is_device_request():
        return True
    return str(get_locale() or "en").startswith("en")


def _raised_in_chinese(message: str) -> bool:
    """Translated where it was raised (gettext in the request's locale), with its facts: kept as it is."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in message or "")


def localized(problem) -> str:
    """The problem's message in the request's language."""
    if _english() or _raised_in_chinese(problem.message):
        return problem.message
    text = gettext(problem.message)
    if text != problem.message:
        return text
    details = problem.details or {}
    for template, needed in BY_PROBLEM.get(problem.problem, ()):
        if all(details.get(name) not in (None, "") for name in needed):
            return gettext(template, **{name: details[name] for name in needed})
    for cls in type(problem).__mro__:
        default = cls.__dict__.get("message")
        if isinstance(default, str) and gettext(default) != default:
            return gettext(default)
    return status_text(problem.http_status)


def status_text(status: int | None, fallback: str = "") -> str:
    """A text for an HTTP status in the request's language (English: the fallback when given)."""
    if _english() and fallback:
        return fallback
    if status is not None and status >= 500:
        return gettext(SERVER_ERROR)
    return gettext(BY_STATUS.get(status or 400, BY_STATUS[400]))
