"""Imports every area's models so SQLAlchemy and Alembic see the whole schema."""
from .areas.models import Area  # noqa: F401
from .audit.models import AuditEntry  # noqa: F401
from .auth.models import Device, SignInFailure, User  # noqa: F401
from .cases.models import Case, CaseEvent  # noqa: F401
from .households.models import Assignment, Household, VisitPolicy  # noqa: F401
from .satisfaction.models import SatisfactionLink  # noqa: F401
from .scorecards.models import ScorecardWeight  # noqa: F401
from .submissions.models import Attachment, QuarantineItem, Submission  # noqa: F401
from .surveys.models import Form, FormMedia, FormVersion  # noqa: F401
from .coverage.models import CoverageAreaHousehold, CoverageAreaKey, CoverageAreaSize, CoverageMonth  # noqa: F401
from .epochs import CacheEpoch  # noqa: F401
