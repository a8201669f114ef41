"""Configuration classes; secrets and the database URL come from the environment."""
import os
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
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
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
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    LOGIN_RATE_LIMIT = "10 per minute"
    WTF_CSRF_TIME_LIMIT = None

    GEO_RADIUS_M = float(os.environ.get("GEO_RADIUS_M", 100))
    GEO_MAX_ACCURACY_M = float(os.environ.get("GEO_MAX_ACCURACY_M", 50))
    GEO_MAX_SPEED_KMH = 150.0
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
    RATELIMIT_ENABLED = False
    WTF_CSRF_ENABLED = True
    DEVELOPMENT = False
