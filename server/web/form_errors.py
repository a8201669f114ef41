"""Form errors shown beside the fields, in the page's language (marshmallow's own messages are English)."""
from flask_babel import lazy_gettext as _l

#: what each field expects, said once per field
FIELD_HINTS = {
    "code": _l("A code is 1-64 characters without spaces, commas or control characters."),
    "area_id": _l("Choose an area in your scope."), "size": _l("A number of people from 0 to 100."),
    "lat": _l("A latitude from -90 to 90, given with the longitude."),
    "lon": _l("A longitude from -180 to 180, given with the latitude."),
    "category": _l("Choose a category."), "phone": _l("At most 32 characters."),
    "address": _l("At most 255 characters."), "head_name": _l("At most 100 characters."),
    "username": _l("2-64 letters, digits, dots, dashes or underscores."),
    "password": _l("A password has at least 8 characters."), "role": _l("Choose a role."),
    "display_name": _l("At most 100 characters."),
}
REQUIRED = _l("This field is required.")


def field_errors(messages: dict) -> dict:
    """{field: [marshmallow messages]} -> {field: [a message in the page's language]}."""
    out = {}
    for field, problems in messages.items():
        text = " ".join(problems) if isinstance(problems, list) else str(problems)
        if "required" in text.lower() or "null" in text.lower():
            out[field] = [str(REQUIRED)]
        else:
            out[field] = [str(FIELD_HINTS.get(field, _l("Not a valid value.")))]
    return out

#: problems (server/errors.py ids) as a manager's page says them; the service's own words follow in details
PROBLEMS = {
    "request.invalid": _l("The request is not valid."), "request.validation": _l("Some fields are not valid."),
    "auth.forbidden": _l("Your role may not do this."), "resource.not_found": _l("Not found, or outside your area."),
    "resource.conflict": _l("This conflicts with existing data."),
    "request.too_large": _l("The file is too large."),
    "import.rows_invalid": _l("Some rows are not valid; nothing was imported."),
    "form.invalid": _l("The XLSForm could not be converted. Check the sheet names, question types and choices."),
    "form.unchanged": _l("This form version is already published."),
    "form.not_found": _l("No such form or form version."),
    "form.closed": _l("This form is closed and accepts no submissions."),
    "case.transition_invalid": _l("This request cannot move to that status."),
    "period.invalid": _l("The period is not valid."),
}


def problem_text(problem) -> str:
    """A service's problem in the page's language: its own message when translated, else the catalogue's."""
    from flask_babel import get_locale
    own = str(problem.message or "")
    if str(get_locale() or "zh").startswith("en") or not own.isascii():
        return own  # English pages, or a message already in Chinese
    return str(PROBLEMS.get(problem.problem, own))
