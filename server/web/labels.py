"""Display names of stored codes (categories, geo statuses, roles ...), translated per request."""
import re

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
        "source_label": lambda c: label(LOCATION_SOURCES, c), "reason_text": reason_text,
        "filter_label": lambda c: label(FILTERS, c), "audit_label": lambda c: label(AUDIT_ACTIONS, c),
        "target_label": lambda c: label(TARGETS, c),
    }


#: Why a location check came out as it did: one row per reason, (code, how geo.py words it, what the
#: page shows). A stored reason is either the code itself or geo.py's English sentence; the named groups
#: of the pattern fill the message. Add a row for each new kind of flag.
GEO_REASONS = [
    ("no_fix", r"no location was captured", _l("No location was captured.")),
    ("no_household", r"no household to compare with", _l("No household to compare the location with.")),
    ("no_accuracy", r"the accuracy was not reported", _l("The phone did not report the accuracy.")),
    ("low_accuracy", r"accuracy (?P<accuracy>[\d.]+) m is worse than (?P<limit>[\d.]+) m",
     _l("Accuracy %(accuracy)s m is worse than the %(limit)s m allowed.")),
    ("anchored", r"the household had no reference location; this visit sets it",
     _l("The household had no reference location; this visit set it.")),
    ("far", r"(?P<distance>[\d.]+) m from the household \(accuracy (?P<accuracy>[\d.]+) m\)",
     _l("%(distance)s m from the household (accuracy %(accuracy)s m).")),
    ("mock_location", r"the device reported a mock location", _l("The phone reported a mock (fake) location.")),
    ("zero_accuracy", r"accuracy exactly 0 \(a mock location provider\)",
     _l("Accuracy exactly 0 m, as a fake-location app reports it.")),
    ("future_clock", r"captured_at is in the future \(device clock\)",
     _l("The capture time is in the future (the phone's clock is wrong).")),
    ("late_entry", r"captured_at is more than (?P<days>\d+) days before it was received",
     _l("Captured more than %(days)s days before it was received.")),
    ("speed", r"(?P<km>[\d.]+) km from the previous visit in (?P<minutes>\d+) min \((?P<speed>\d+) km/h\)",
     _l("%(km)s km from the previous visit in %(minutes)s min (%(speed)s km/h): faster than possible on the road.")),
]
_REASON_PATTERNS = [(code, re.compile(pattern), message) for code, pattern, message in GEO_REASONS]


def reason_text(reason) -> str:
    """A stored geo reason (code or geo.py's sentence; several joined by '; ') in the page's language."""
    if not reason:
        return ""
    out = []
    for part in str(reason).split("; "):
        for code, pattern, message in _REASON_PATTERNS:
            match = pattern.fullmatch(part.strip())
            if part.strip() == code or match:
                out.append(str(message) % (match.groupdict() if match else {}) if match else
                           str(message).split("%(")[0].rstrip(" ,:") or part)
                break
        else:
            out.append(part)
    return " ".join(out)


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
