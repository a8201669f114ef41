"""/api/v1/households, assignments, import, visit policies."""
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..errors import BadRequest
from ..extensions import db
from ..pagination import page_of
from . import importer, services
from .schemas import (AssignmentCreateSchema, AssignmentSchema, HouseholdCreateSchema,
                      HouseholdQueryArgsSchema, HouseholdSchema, HouseholdUpdateSchema,
                      ImportArgsSchema, ImportResultSchema, VisitPolicySchema)

blp = Blueprint("households", __name__, url_prefix="/api/v1", description="Households and links to cadres")


@blp.route("/households")
class Households(MethodView):
    @blp.arguments(HouseholdQueryArgsSchema, location="query")
    @blp.response(200, HouseholdSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Households in your scope."""
        return page_of(services.list_households(current_actor(), **args), pagination_parameters)

    @blp.arguments(HouseholdCreateSchema)
    @blp.response(201, HouseholdSchema)
    def post(self, data):
        """Create a household."""
        household = services.create_household(current_actor(), data)
        db.session.commit()
        return household


@blp.route("/households/<int:household_id>")
class HouseholdById(MethodView):
    @blp.response(200, HouseholdSchema)
    def get(self, household_id):
        """One household."""
        return services.get_in_scope(current_actor(), household_id)

    @blp.arguments(HouseholdUpdateSchema)
    @blp.response(200, HouseholdSchema)
    def patch(self, data, household_id):
        """Edit a household (its version goes up)."""
        actor = current_actor()
        household = services.update_household(actor, services.get_in_scope(actor, household_id), data)
        db.session.commit()
        return household


@blp.route("/households/<int:household_id>/assignment")
class HouseholdAssignment(MethodView):
    @blp.arguments(AssignmentCreateSchema)
    @blp.response(200, AssignmentSchema)
    def put(self, data, household_id):
        """Link the household to a cadre; the previous link is closed and kept."""
        actor = current_actor()
        household = services.get_in_scope(actor, household_id)
        assignment = services.link_cadre(household, data["cadre_id"], actor=actor)
        db.session.commit()
        return assignment or {}

    @blp.response(200, AssignmentSchema(many=True))
    def get(self, household_id):
        """The household's link history, newest first."""
        household = services.get_in_scope(current_actor(), household_id)
        return services.list_assignments(household)


@blp.route("/households/import")
class HouseholdImport(MethodView):
    @blp.arguments(ImportArgsSchema, location="query")
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(400, description="Rows with errors; nothing imported")
    def post(self, args):
        """Import households from CSV or XLSX (multipart field `file`); all or nothing unless skip_errors."""
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            raise BadRequest("Send the file as multipart field 'file'.", field="file")
        result = importer.import_households(current_actor(), upload.filename, upload.read(),
                                            skip_errors=args["skip_errors"])
        db.session.commit()
        return result


@blp.route("/visit-policies")
class VisitPolicies(MethodView):
    @blp.response(200, VisitPolicySchema(many=True))
    def get(self):
        """Max days between counted visits, per household category."""
        current_actor()
        return [{"category": c, "max_days": d} for c, d in services.policy_days().items()]

    @blp.arguments(VisitPolicySchema)
    @blp.response(200, VisitPolicySchema)
    def put(self, data):
        """Set one category's interval (admins)."""
        policy = services.set_policy(current_actor(), data["category"], data["max_days"])
        db.session.commit()
        return policy
