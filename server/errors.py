"""The problem catalogue: every expected failure has a class, a status and a stable id."""
from flask import jsonify
from werkzeug.exceptions import HTTPException


class Problem(Exception):
    """Base problem; subclasses set http_status, problem and a default message."""

    http_status = 400
    problem = "request.invalid"
    message = "The request is not valid."

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details

    def headers(self) -> dict:
        """Extra response headers this problem carries (Retry-After, ...)."""
        return {}

    def to_dict(self) -> dict:
        body = {"status": self.http_status, "problem": self.problem, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class BadRequest(Problem):
    problem, message = "request.invalid", "The request is not valid."


class ValidationFailed(Problem):
    http_status, problem, message = 422, "request.validation", "Some fields are not valid."


class Unauthenticated(Problem):
    http_status, problem, message = 401, "auth.required", "Sign in or send a valid token."


class BadCredentials(Problem):
    http_status, problem, message = 401, "auth.bad_credentials", "Wrong username or password."


class TokenInvalid(Problem):
    http_status, problem, message = 403, "auth.token_invalid", "This token is not valid or was revoked."


class SignInThrottled(Problem):
    http_status, problem, message = 429, "auth.throttled", "Too many failed sign-ins; try again later."

    def headers(self) -> dict:
        return {"Retry-After": str(self.details.get("retry_after", 60))}


class Forbidden(Problem):
    http_status, problem, message = 403, "auth.forbidden", "Your role may not do this."


class NotFound(Problem):
    http_status, problem, message = 404, "resource.not_found", "Not found."


class Conflict(Problem):
    http_status, problem, message = 409, "resource.conflict", "This conflicts with existing data."


class TooLarge(Problem):
    http_status, problem, message = 413, "request.too_large", "The request body is too large."


class ImportRejected(Problem):
    http_status, problem, message = 400, "import.rows_invalid", "Some rows are not valid; nothing was imported."


class FormInvalid(Problem):
    problem, message = "form.invalid", "The XLSForm could not be converted."


class FormUnchanged(Problem):
    http_status, problem, message = 409, "form.unchanged", "This form version is already published."


class FormNotFound(NotFound):
    problem, message = "form.not_found", "No such form or form version."


class FormClosed(Problem):
    http_status, problem, message = 409, "form.closed", "This form is closed and accepts no submissions."


class SubmissionInvalid(Problem):
    problem, message = "submission.invalid", "The submission could not be read."


class SubmissionConflict(Problem):
    http_status, problem, message = 409, "submission.conflict", "A different submission with this instanceID exists."


class AttachmentMismatch(Problem):
    problem, message = "attachment.mismatch", "The attachment does not match its declared hash or size."


def problem_response(problem: Problem):
    """Render a problem as a JSON response, its message in the request's language."""
    from .problem_texts import localized
    response = jsonify({**problem.to_dict(), "message": localized(problem)})
    response.status_code = problem.http_status
    response.headers.update(problem.headers())
    return response


def unstorable_value(exc):
    """A value the database cannot hold (an integer beyond 64 bits, text that is not valid Unicode)
    is the client's mistake: 422, never a 500. The failed statement's transaction is rolled back."""
    from .extensions import db
    db.session.rollback()
    return problem_response(ValidationFailed(
        "A value is out of range or cannot be stored (a number too large, or text that is not valid Unicode)."))


def register_error_handlers(app):
    """JSON for API problems and HTTP errors; OpenRosa blueprints override with XML."""
    from sqlalchemy.exc import DataError, StatementError

    app.register_error_handler(Problem, problem_response)
    for error in (OverflowError, UnicodeEncodeError, DataError):
        app.register_error_handler(error, unstorable_value)

    @app.errorhandler(StatementError)
    def statement_error(exc: StatementError):
        if isinstance(exc.orig, (OverflowError, UnicodeEncodeError)):
            return unstorable_value(exc)
        raise exc

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code and exc.code < 400:
            return exc
        data = getattr(exc, "data", None) or {}
        from .problem_texts import status_text
        body = {"status": exc.code, "problem": f"http.{exc.code}", "message": status_text(exc.code, exc.description)}
        if data.get("messages"):
            body["problem"] = "request.validation"
            body["errors"] = data["messages"]
        response = jsonify(body)
        response.status_code = exc.code or 500
        return response


class CaseTransitionInvalid(Problem):
    http_status, problem, message = 409, "case.transition_invalid", "This case cannot move to that status."


class LinkGone(Problem):
    http_status, problem, message = 410, "satisfaction.link_gone", "This link was already used, replaced or has expired."


class PeriodInvalid(Problem):
    http_status, problem, message = 422, "period.invalid", "The period is not valid."


class SubmissionNotFound(NotFound):
    problem, message = "submission.not_found", "No such submission."


class HouseholdUnknown(Problem):
    http_status, problem, message = 422, "submission.household_unknown", "The submission names no known household."


class HouseholdForbidden(Problem):
    http_status, problem, message = 403, "submission.household_forbidden", "You may not submit for this household."


class ODataUnsupported(Problem):
    http_status, problem, message = 501, "odata.unsupported", "This OData query option is not supported."
