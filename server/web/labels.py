"""Display names of stored codes (categories, geo statuses, roles ...), translated per request."""

from flask_babel import lazy_gettext as _l

from ..submissions.reasons import geo_reason_text

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
        "source_label": lambda c: label(LOCATION_SOURCES, c), "reason_text": geo_reason_text,
        "filter_label": lambda c: label(FILTERS, c), "audit_label": lambda c: label(AUDIT_ACTIONS, c),
        "target_label": lambda c: label(TARGETS, c),
    }


FILTERS = {
    "form": _l("Form"), "kind": _l("Kind"), "area": _l("Area"), "cadre": _l("Cadre"), "household": _l("Household"),
    "household_code": _l("Household code"), "from": _l("From"), "to": _l("To"), "geo_status": _l("Location check"),
    "review_state": _l("Review"), "flagged": _l("Flagged only"), "q": _l("Search"), "category": _l("Category"),
}

#: audit entries' actions as the audit page names them (an unknown action shows its code)
AUDIT_ACTIONS = {
    "area.create": _l("Area added"), "area.update": _l("Area edited"), "area.delete": _l("Area removed"),
    "device.create": _l("Phone signed in"), "device.provision": _l("Phone set up"), "device.revoke": _l("Phone revoked"),
    "form.publish": _l("Form published"), "form.state": _l("Form opened or closed"),
    "household.create": _l("Household added"), "household.import": _l("Households imported"),
    "household.link": _l("Household linked to a cadre"), "household.update": _l("Household edited"),
    "policy.update": _l("Visit interval changed"), "quarantine.reprocess": _l("Quarantined record reprocessed"),
    "satisfaction.links_issue": _l("Satisfaction QR codes printed"), "scorecard.weights": _l("Score weights changed"),
    "submission.create": _l("Record received"), "submission.review": _l("Record reviewed"),
    "submission.edit": _l("Record edited"), "user.create": _l("User added"), "user.update": _l("User edited"),
    "user.password_reset": _l("Password reset"), "case.create": _l("Request opened"), "case.claim": _l("Request claimed"),
    "case.resolve": _l("Request resolved"), "case.confirm": _l("Request confirmed"), "case.reopen": _l("Request reopened"),
    "case.reassign": _l("Request reassigned"), "case.edit": _l("Request edited"), "case.note": _l("Note on a request"),
}
TARGETS = {"area": _l("Area"), "device": _l("Phone"), "form": _l("Form"), "import": _l("Import file"),
           "visit_policy": _l("Visit interval"), "quarantine": _l("Quarantine"), "satisfaction_links": _l("QR codes"),
           "scorecard_weights": _l("Score weights")}
