"""Display names of stored codes (categories, geo statuses, roles ...), translated per request."""
from flask_babel import lazy_gettext as _l

CATEGORIES = {
    "ordinary": _l("Ordinary"), "low_income": _l("Low income"), "elderly_alone": _l("Elderly living alone"),
    "disabled": _l("Disabled"), "left_behind": _l("Left behind"),
}
GEO_STATUSES = {
    "verified": _l("Verified"), "far": _l("Too far"), "low_accuracy": _l("Low accuracy"),
    "no_fix": _l("No location"), "anchored": _l("Anchored"), "suspect": _l("Suspect"),
}
COVERAGE_STATUSES = {
    "visited": _l("Visited"), "unvisited": _l("Unvisited"), "overdue": _l("Overdue"), "flagged": _l("Flagged"),
}
REVIEW_STATES = {
    "received": _l("Received"), "has_issues": _l("Has issues"), "approved": _l("Approved"),
    "rejected": _l("Rejected"), "edited": _l("Edited"),
}
ROLES = {"admin": _l("Administrator"), "manager": _l("Manager"), "cadre": _l("Cadre"), "surveyor": _l("Surveyor")}
FORM_STATES = {"draft": _l("Draft"), "published": _l("Published"), "closed": _l("Closed")}
LOCATION_SOURCES = {"surveyed": _l("Surveyed"), "first_visit": _l("First visit"), "imported": _l("Imported")}


def label(table: dict, code) -> str:
    """The translated name of a code, or the code itself when unknown."""
    return str(table.get(code, code if code is not None else ""))


def context() -> dict:
    """Jinja helpers: {{ category_label(h.category) }} and friends."""
    return {
        "category_label": lambda c: label(CATEGORIES, c), "geo_label": lambda c: label(GEO_STATUSES, c),
        "status_label": lambda c: label(COVERAGE_STATUSES, c), "review_label": lambda c: label(REVIEW_STATES, c),
        "role_label": lambda c: label(ROLES, c), "form_state_label": lambda c: label(FORM_STATES, c),
        "source_label": lambda c: label(LOCATION_SOURCES, c),
    }
