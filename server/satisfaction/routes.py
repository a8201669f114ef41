"""/api/v1/satisfaction: links, aggregates, individual answers (managers); plus the resident and sheet pages."""
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..extensions import api, csrf, db
from ..pagination import page_of
from . import queries, services
from .schemas import (AnswerSchema, AnswersArgsSchema, LinksIssuedSchema, LinksIssueSchema, SummaryArgsSchema,
                      SummarySchema)

blp = Blueprint("satisfaction", __name__, url_prefix="/api/v1/satisfaction",
                description="Residents rate their cadre (群众考干部)")


@blp.route("")
class Summary(MethodView):
    @blp.arguments(SummaryArgsSchema, location="query")
    @blp.response(200, SummarySchema)
    def get(self, args):
        """Aggregates by area or cadre, with the trend; a cadre gets only their own, from 5 responses."""
        return queries.summarize(current_actor(), period_key=args.get("period"), area_id=args.get("area"),
                                 by=args["by"])


@blp.route("/links")
class Links(MethodView):
    @blp.arguments(LinksIssueSchema)
    @blp.response(201, LinksIssuedSchema)
    def post(self, data):
        """Issue one-time links for every active household of an area; unused older ones stop working."""
        issued = services.issue_links(current_actor(), data["area_id"], data["period"])
        db.session.commit()
        return issued


@blp.route("/answers")
class Answers(MethodView):
    @blp.arguments(AnswersArgsSchema, location="query")
    @blp.response(200, AnswerSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Individual answers in your scope (managers and admins only)."""
        query = queries.list_answers(current_actor(), period_key=args.get("period"), area_id=args.get("area"),
                                     cadre_id=args.get("cadre"), include_self_rated=args["include_self_rated"])
        return page_of(query, pagination_parameters)


def register(app):
    """Register the API, the resident and sheet pages."""
    from .pages import bp
    api.register_blueprint(blp)
    csrf.exempt(blp)
    app.register_blueprint(bp)
