"""What the field app asks besides the device sync: the verdicts on the visits this user sent."""
from ..extensions import db
from ..submissions.models import Submission

#: at most this many instanceIDs per request
MAX_IDS = 200


def verdicts(actor, instance_ids: list[str]) -> list[dict]:
    """For each of the user's own submissions among instance_ids: its review state and geo verdict.

    Unknown ids and other users' submissions are left out (the app asks again later)."""
    ids = [i for i in dict.fromkeys(instance_ids) if i][:MAX_IDS]
    if not ids:
        return []
    rows = db.session.execute(
        db.select(Submission.instance_id, Submission.review_state, Submission.geo_status,
                  Submission.geo_distance_m, Submission.geo_reason, Submission.received_at)
        .where(Submission.instance_id.in_(ids), Submission.submitter_id == actor.id)).all()
    return [{"instance_id": i, "review_state": state, "geo_status": geo, "distance_m": distance,
             "reason": reason, "received_at": received}
            for i, state, geo, distance, reason, received in rows]
