"""/api/v1/fieldapp: small reads for the cadres' field app (bearer token)."""
from flask import request, send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..extensions import csrf, db
from . import services
from .schemas import PhotoSchema, VerdictArgsSchema, VerdictSchema

blp = Blueprint("fieldapp_api", __name__, url_prefix="/api/v1/fieldapp", description="Field app helpers")


@blp.route("/verdicts")
class Verdicts(MethodView):
    @blp.arguments(VerdictArgsSchema, location="query")
    @blp.response(200, VerdictSchema(many=True))
    def get(self, args):
        """The review state and location verdict of your own submissions, by instanceID."""
        return services.verdicts(current_actor(), args["instance_id"])


@blp.route("/cases/<int:case_id>/photo")
class CasePhotoUpload(MethodView):
    @blp.response(201, PhotoSchema)
    def put(self, case_id):
        """Send the photo of a case's result (raw JPEG/PNG/WebP body) before resolving it."""
        ref = services.store_case_photo(current_actor(), case_id, request.get_data(), request.content_type)
        db.session.commit()
        return {"photo": ref}


@blp.route("/case-photos/<name>")
class CasePhoto(MethodView):
    @blp.response(200)
    def get(self, name):
        """A photo on the history of a case you see."""
        photo, kind = services.open_case_photo(current_actor(), name)
        return send_file(photo, mimetype=kind, max_age=86400)


def register(app) -> None:
    from ..extensions import api
    api.register_blueprint(blp)
    csrf.exempt(blp)
