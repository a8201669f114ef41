"""/api/v1/cases: requests and micro-wishes, their states and history."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..extensions import api, csrf, db
from ..pagination import page_of
from . import services
from .schemas import CaseCreateSchema, CaseDetailSchema, CaseQueryArgsSchema, CaseSchema, CaseUpdateSchema

blp = Blueprint("cases", __name__, url_prefix="/api/v1", description="Requests (诉求) and micro-wishes (微心愿)")


@blp.route("/cases")
class Cases(MethodView):
    @blp.arguments(CaseQueryArgsSchema, location="query")
    @blp.response(200, CaseSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Cases in your scope, overdue first."""
        query = services.list_cases(current_actor(), status=args.get("status"), overdue=args.get("overdue"),
                                    area_id=args.get("area"), owner_id=args.get("owner"),
                                    category=args.get("category"), household_id=args.get("household_id"),
                                    is_micro_wish=args.get("is_micro_wish"))
        return page_of(query, pagination_parameters)

    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseDetailSchema)
    def post(self, data):
        """Open a case by hand (managers)."""
        case = services.create_case(current_actor(), data)
        db.session.commit()
        return case


@blp.route("/cases/<int:case_id>")
class CaseById(MethodView):
    @blp.response(200, CaseDetailSchema)
    def get(self, case_id):
        """One case with its history."""
        return services.get_case(current_actor(), case_id)

    @blp.arguments(CaseUpdateSchema)
    @blp.response(200, CaseDetailSchema)
    @blp.alt_response(409, description="The status change is not allowed from the current status")
    def patch(self, data, case_id):
        """Claim, resolve, confirm, reopen; reassign or edit (managers)."""
        actor = current_actor()
        case = services.update_case(actor, services.get_case(actor, case_id), data)
        db.session.commit()
        return case


def register(app):
    """Register the API and the pages."""
    from .pages import bp
    api.register_blueprint(blp)
    csrf.exempt(blp)
    app.register_blueprint(bp)
