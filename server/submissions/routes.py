"""/api/v1/submissions: scoped lists, detail, attachment downloads, review."""
from flask import send_file
from flask.views import MethodView
from flask_smorest import Blueprint

from ..auth.services import current_actor
from ..extensions import api, csrf, db
from ..pagination import page_of
from . import review, services
from .schemas import (BulkReviewSchema, FlaggedArgsSchema, SubmissionDetailSchema, SubmissionQueryArgsSchema,
                      SubmissionReviewSchema, SubmissionSchema)

blp = Blueprint("submissions", __name__, url_prefix="/api/v1/submissions",
                description="Submissions: review what cadres and surveyors sent")


@blp.route("")
class Submissions(MethodView):
    @blp.arguments(SubmissionQueryArgsSchema, location="query")
    @blp.response(200, SubmissionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """Submissions you may read, newest captured first."""
        query = services.list_submissions(current_actor(), **args)
        return services.summarise(page_of(query, pagination_parameters))


@blp.route("/flagged")
class Flagged(MethodView):
    @blp.arguments(FlaggedArgsSchema, location="query")
    @blp.response(200, SubmissionSchema(many=True))
    @blp.paginate()
    def get(self, args, pagination_parameters):
        """The review queue: suspect visits and held resident answers, with reasons in Chinese and English."""
        return services.summarise(page_of(review.flagged_query(current_actor(), **args), pagination_parameters))


@blp.route("/review")
class BulkReview(MethodView):
    @blp.arguments(BulkReviewSchema)
    @blp.response(200, SubmissionSchema(many=True))
    def post(self, data):
        """Approve (it counts) or reject many flagged submissions at once; audited."""
        decided = review.decide(current_actor(), data["ids"], data["decision"], data.get("comment"))
        db.session.commit()
        return services.summarise(decided)


@blp.route("/<int:submission_id>")
class SubmissionById(MethodView):
    @blp.response(200, SubmissionDetailSchema)
    def get(self, submission_id):
        """One submission with answers, attachments, versions and audit history."""
        return services.get_detail(current_actor(), submission_id)

    @blp.arguments(SubmissionReviewSchema)
    @blp.response(200, SubmissionDetailSchema)
    def patch(self, data, submission_id):
        """Set the review state (managers and admins), with an optional comment; audited."""
        actor = current_actor()
        services.review_submission(actor, submission_id, data["review_state"], data.get("comment"))
        db.session.commit()
        return services.get_detail(actor, submission_id)


@blp.route("/<int:submission_id>/attachments/<name>")
class SubmissionAttachment(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    def get(self, submission_id, name):
        """The attachment's bytes (404 until it has been received)."""
        attachment, path = services.attachment_file(current_actor(), submission_id, name)
        mimetype = services.safe_content_type(attachment)
        response = send_file(path, mimetype=mimetype, as_attachment=mimetype == "application/octet-stream",
                             download_name=attachment.name, etag=attachment.sha256, max_age=0)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        response.headers["Cache-Control"] = "private, max-age=0"
        return response


def register(app):
    """Wire the blueprint (token or session authenticated; session writes check CSRF themselves)."""
    api.register_blueprint(blp)
    csrf.exempt(blp)
