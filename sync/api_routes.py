"""/api/v1/sync (pull, push, attachments) and /api/v1/quarantine."""
from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.exceptions import RequestEntityTooLarge

from server.auth.services import current_actor
from server.errors import BadRequest, TooLarge
from server.extensions import db
from server.pagination import page_of

from server.submissions import quarantine

from . import services
from .schemas import (SyncAttachmentSchema, PullArgsSchema, PullSchema, PushResultsSchema, PushSchema,
                      QuarantineArgsSchema, QuarantineDetailSchema, QuarantineItemSchema)

blp = Blueprint("sync", __name__, url_prefix="/api/v1/sync", description="Device sync (bearer token)")
quarantine_blp = Blueprint("quarantine", __name__, url_prefix="/api/v1/quarantine",
                           description="Payloads that could not be accepted")


@blp.route("/pull")
class Pull(MethodView):
    @blp.arguments(PullArgsSchema, location="query")
    @blp.response(200, PullSchema)
    def get(self, args):
        """Forms and the households that changed for you since the cursor."""
        result = services.pull(current_actor(), args.get("cursor"))
        db.session.commit()
        return result


@blp.route("/push")
class Push(MethodView):
    @blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": PushSchema}}})
    @blp.response(200, PushResultsSchema)
    def post(self):
        """Up to 100 submissions; one result per item, in order. A retried batch adds nothing.

        An item that cannot be taken is `rejected` with its reasons and quarantined alone; the body as
        a whole is refused (400, 413) only when it is not a batch at all, and it is quarantined too."""
        actor, device = current_actor(), g.get("device")
        body = _body()
        try:
            results = services.push_body(actor, device, body, services.client_of(request))
        except (BadRequest, TooLarge) as exc:
            services.quarantine_body(actor, device, body, exc)
            db.session.commit()
            raise
        db.session.commit()
        return {"results": results}


def _body() -> bytes:
    try:
        return request.get_data(cache=False)
    except RequestEntityTooLarge:
        limit = current_app.config["MAX_CONTENT_LENGTH"]
        problem = TooLarge(f"The body ({request.content_length or 'chunked'} bytes) is over the {limit} byte limit.")
        services.quarantine_body(current_actor(), g.get("device"), b"", problem)
        db.session.commit()
        raise problem from None


@blp.route("/attachments/<path:instance_id>/<name>")
class AttachmentUpload(MethodView):
    @blp.response(201, SyncAttachmentSchema)
    @blp.alt_response(200, schema=SyncAttachmentSchema, description="already stored")
    def put(self, instance_id, name):
        """The raw bytes of a declared attachment (its sha256 must match)."""
        row, created = services.store_attachment(current_actor(), instance_id, name, request.get_data())
        db.session.commit()
        return row, 201 if created else 200


@quarantine_blp.route("")
class QuarantineList(MethodView):
    @quarantine_blp.arguments(QuarantineArgsSchema, location="query")
    @quarantine_blp.response(200, QuarantineItemSchema(many=True))
    @quarantine_blp.paginate()
    def get(self, args, pagination_parameters):
        """Quarantined payloads, newest first (admins)."""
        return page_of(quarantine.list_quarantined(current_actor(), **args), pagination_parameters)


@quarantine_blp.route("/<int:item_id>")
class QuarantineById(MethodView):
    @quarantine_blp.response(200, QuarantineDetailSchema)
    def get(self, item_id):
        """One quarantined payload with its raw content (admins)."""
        return quarantine.get_quarantined(current_actor(), item_id)


@quarantine_blp.route("/<int:item_id>/reprocess")
class QuarantineReprocess(MethodView):
    @quarantine_blp.response(200, QuarantineItemSchema)
    def post(self, item_id):
        """Run the payload through ingest again (e.g. after publishing the missing form version)."""
        item, _ = quarantine.reprocess_quarantined(current_actor(), item_id)
        db.session.commit()
        return item
