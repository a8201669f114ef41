"""Configuration classes; secrets and the database URL come from the environment."""
import os
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("LIANHU_INSTANCE", ROOT / "instance"))


def database_url(default: str) -> str:
    """Normalise DATABASE_URL so plain postgresql:// URLs use psycopg 3."""
    url = os.environ.get("DATABASE_URL") or default
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


DEV_SECRET_KEY = "dev-only-not-secret"


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY", DEV_SECRET_KEY)
    SQLALCHEMY_DATABASE_URI = database_url(f"sqlite:///{INSTANCE / 'lianhu.db'}")
    #: no pool_pre_ping: a connection leaving the pool is checked by reading the cache epochs
    #: (server/epochs.py, install), one statement that does both
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    ATTACHMENT_DIR = os.environ.get("ATTACHMENT_DIR", str(INSTANCE / "attachments"))
    #: development mode allows HTTP Basic over plain HTTP
    DEVELOPMENT = os.environ.get("LIANHU_ENV", "development") == "development"

    API_TITLE = "Lianhu 联户 API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "/docs"
    OPENAPI_SWAGGER_UI_URL = "/static/vendor/swagger-ui/"
    API_SPEC_OPTIONS = {"info": {"description": "Household visits, coverage and satisfaction."}}

    BABEL_DEFAULT_LOCALE = "zh"
    LANGUAGES = ["zh", "en"]
    TIMEZONE = os.environ.get("TIMEZONE", "Asia/Shanghai")

    MAX_CONTENT_LENGTH = int(os.environ.get("MAX_CONTENT_LENGTH", 20 * 1024 * 1024))
    PASSWORD_HASH_METHOD = "scrypt"
    #: where failed sign-ins are counted: memory:// (per worker) means the database instead; or redis://...
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    SIGNIN_LIMITS_ENABLED = True
    SIGNIN_WINDOW_S = int(os.environ.get("SIGNIN_WINDOW_S", 15 * 60))
    SIGNIN_MAX_FAILURES_PER_ACCOUNT = int(os.environ.get("SIGNIN_MAX_FAILURES_PER_ACCOUNT", 10))
    SIGNIN_MAX_FAILURES_PER_ADDRESS = int(os.environ.get("SIGNIN_MAX_FAILURES_PER_ADDRESS", 100))
    WTF_CSRF_TIME_LIMIT = None

    #: web sessions: a working day at most, ended after an hour unused; cookie Secure outside development
    PERMANENT_SESSION_LIFETIME = timedelta(hours=int(os.environ.get("SESSION_HOURS", 10)))
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", 60))
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = not DEVELOPMENT
    SESSION_REFRESH_EACH_REQUEST = False
    HSTS_SECONDS = int(os.environ.get("HSTS_SECONDS", 31536000))
    #: proxies in front of the app (nginx: 1) whose X-Forwarded-For / -Proto are believed
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", 0))

    #: per worker: the map rows kept per village (coverage.map_cache); a 100,000-household township's
    #: compact map is about 10 MB, its GeoJSON 25 MB
    #: SQLite: writers of this app queue on a file lock beside the database (server/sqlite_writes.py)
    SQLITE_WRITE_QUEUE = os.environ.get("SQLITE_WRITE_QUEUE", "1") == "1"
    MAP_CACHE_BYTES = int(os.environ.get("MAP_CACHE_BYTES", 64 * 2**20))
    #: maps of more households than this are not cached (they stream straight from the database)
    MAP_CACHE_HOUSEHOLDS = int(os.environ.get("MAP_CACHE_HOUSEHOLDS", 200_000))

    GEO_RADIUS_M = float(os.environ.get("GEO_RADIUS_M", 100))
    GEO_MAX_ACCURACY_M = float(os.environ.get("GEO_MAX_ACCURACY_M", 50))
    #: straight-line speed between two visits (after their accuracies) above which both are suspect;
    #: honest motorbike days on village roads stay under ~45 km/h straight-line (README, "Truthfulness")
    GEO_MAX_SPEED_KMH = float(os.environ.get("GEO_MAX_SPEED_KMH", 80))
    #: a poor (indoor) fix still counts when its whole uncertainty circle lies this close to the house
    GEO_NEAR_M = float(os.environ.get("GEO_NEAR_M", 150))
    #: the visit form's own start/end must be at least this far apart
    VISIT_MIN_SECONDS = int(os.environ.get("VISIT_MIN_SECONDS", 120))
    #: more than BURST_MAX_HOUSEHOLDS households within BURST_WINDOW_MIN minutes and BURST_RADIUS_M metres
    BURST_WINDOW_MIN = int(os.environ.get("BURST_WINDOW_MIN", 15))
    BURST_RADIUS_M = float(os.environ.get("BURST_RADIUS_M", 50))
    BURST_MAX_HOUSEHOLDS = int(os.environ.get("BURST_MAX_HOUSEHOLDS", 3))
    #: a visit received this long after its month closed is a late entry (补录) until approved
    LATE_GRACE_DAYS = int(os.environ.get("LATE_GRACE_DAYS", 5))
    #: the field app's reported clock offset beyond which a visit is suspect
    CLOCK_SKEW_MAX_S = int(os.environ.get("CLOCK_SKEW_MAX_S", 600))
    #: this many fixes in a row with the very same accuracy look generated
    CONSTANT_ACCURACY_RUN = 6
    #: a first-visit anchor must lie this close to another located household of its village (no boundary)
    ANCHOR_MAX_M = float(os.environ.get("ANCHOR_MAX_M", 800))
    #: resident answers: more than RESIDENT_BURST_MAX from one browser within RESIDENT_BURST_MIN minutes
    RESIDENT_BURST_MIN = 30
    RESIDENT_BURST_MAX = 2
    RESIDENT_MIN_SECONDS = 15
    MAX_OFFLINE_DAYS = int(os.environ.get("MAX_OFFLINE_DAYS", 14))
    COUNTED_GEO_STATUSES = ("verified", "anchored")
    SYNC_PUSH_MAX = 100

    TILE_URL = os.environ.get("TILE_URL", "https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    TILE_ATTRIBUTION = os.environ.get("TILE_ATTRIBUTION", "© OpenStreetMap")
    TILE_CRS = os.environ.get("TILE_CRS", "wgs84")  # or gcj02


class TestConfig(Config):
    TESTING = True
    SQLALCHEMY_DATABASE_URI = database_url("sqlite://")
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    WTF_CSRF_ENABLED = True
    DEVELOPMENT = False
    SESSION_COOKIE_SECURE = False  # the test client and live server speak plain HTTP
