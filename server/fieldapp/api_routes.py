"""/api/v1/fieldapp: small reads for the cadres' field app (bearer token)."""
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from ..auth.services import current_actor
from ..extensions import csrf
from . import services

blp = Blueprint("fieldapp_api", __name__, url_prefix="/api/v1/fieldapp", description="Field app helpers")


class VerdictArgsSchema(Schema):
    instance_id = fields.List(fields.String(), load_default=list,
                              metadata={"description": "repeat for each instanceID (at most 200)"})


class VerdictSchema(Schema):
    instance_id = fields.String()
    review_state = fields.String()
    geo_status = fields.String()
    distance_m = fields.Float(allow_none=True)
    reason = fields.String(allow_none=True)
    received_at = fields.DateTime()


@blp.route("/verdicts")
class Verdicts(MethodView):
    @blp.arguments(VerdictArgsSchema, location="query")
    @blp.response(200, VerdictSchema(many=True))
    def get(self, args):
        """The review state and location verdict of your own submissions, by instanceID."""
        return services.verdicts(current_actor(), args["instance_id"])


def register(app) -> None:
    from ..extensions import api
    api.register_blueprint(blp)
    csrf.exempt(blp)
