"""/api/v1/scorecards: cadre scorecards per period (JSON and XLSX) and the composite's weights."""
from flask import Response, jsonify
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..coverage.periods import parse_period
from ..extensions import api, csrf, db
from . import export, services
from .schemas import ScorecardArgsSchema, WeightsSchema

blp = Blueprint("scorecards", __name__, url_prefix="/api/v1", description="Cadre scorecards (考核)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/scorecards")
class Scorecards(MethodView):
    @blp.arguments(ScorecardArgsSchema, location="query")
    @blp.response(200)
    def get(self, args):
        """One scorecard per cadre (visits, coverage, verified share, satisfaction, cases, score) and per area."""
        report = services.scorecards(current_actor(), parse_period(args.get("period")), area_id=args.get("area"))
        return jsonify(report)


@blp.route("/scorecards.xlsx")
class ScorecardsXlsx(MethodView):
    @blp.arguments(ScorecardArgsSchema, location="query")
    @blp.response(200, content_type=XLSX)
    def get(self, args):
        """The same scorecards as an XLSX workbook (one row per cadre)."""
        report = services.scorecards(current_actor(), parse_period(args.get("period")), area_id=args.get("area"))
        return Response(export.workbook(report), mimetype=XLSX, headers={
            "Content-Disposition": f'attachment; filename="scorecards-{report["period"]}.xlsx"'})


@blp.route("/scorecards/weights")
class Weights(MethodView):
    @blp.response(200, WeightsSchema)
    def get(self):
        """The composite score's weights."""
        current_actor()
        return services.get_weights()

    @blp.arguments(WeightsSchema)
    @blp.response(200, WeightsSchema)
    def put(self, data):
        """Set the weights (admins)."""
        weights = services.set_weights(current_actor(), data)
        db.session.commit()
        return weights


def register(app):
    """Register the API and the page."""
    from .pages import bp
    api.register_blueprint(blp)
    csrf.exempt(blp)
    app.register_blueprint(bp)
