"""Settings for the DTI assessment platform, read from the environment.

Every variable is documented in README.md ("Environment variables"). The
defaults give the embedded demo: SQLite under var/, Celery tasks run eagerly
in-process, e-mail printed to the console. Production sets DATABASE_URL and
REDIS_URL to PostgreSQL and Redis (see docker-compose.yml).
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


RATE_PERIODS = {
    "s": 1,
    "sec": 1,
    "min": 60,
    "m": 60,
    "hour": 3600,
    "h": 3600,
    "day": 86400,
    "d": 86400,
}


def env_rate(name: str, default: str) -> str | None:
    """A rate limit "<requests>/<period>" from the environment; "off" (or "0") for none.

    A malformed value stops the settings from loading, naming the variable.
    """
    value = (os.environ.get(name) or default).strip().lower()
    if value in {"off", "none", "0"}:
        return None
    count, _sep, period = value.partition("/")
    if not count.isdigit() or int(count) < 1 or period not in RATE_PERIODS:
        raise ImproperlyConfigured(
            f"{name}={value!r}: write <requests>/<period>, the period one of "
            f"{', '.join(RATE_PERIODS)}, or off"
        )
    return value


DEBUG = env_bool("DEBUG", False)

# With DEBUG off and no SECRET_KEY the settings still load, so that commands that
# sign nothing (makemigrations --check, migrate, compilemessages) run anywhere.
# Whatever serves refuses to start without one (dti/startup.py, called by wsgi.py
# and asgi.py), and Django itself refuses to sign with an empty key.
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-only-for-debug"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "guardian",
    "simple_history",
    "axes",
    "dti",
    "indicators",
    "assessments",
    "councils",
    "rankings",
    "providers",
    "api",
    # django-ninja's templates and static files: the API docs page serves Swagger UI
    # from here (no CDN), and only when "ninja" is installed as an app.
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "dti.middleware.VietnameseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "dti.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a locked-out sign-in into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "dti.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dti.context_processors.navigation",
            ],
        },
    },
]

WSGI_APPLICATION = "dti.wsgi.application"

# --- Database -------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'dti.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60"))
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # WAL lets the demo serve pages while a background save runs.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and not env_bool(
    "POSTGRES_JIT", False
):
    # PostgreSQL compiles a query it guesses costly before running it; for a page's
    # queries the compiling is the cost: 0.6 of the 1.3 s of the campaign page at
    # 300 units (EXPLAIN ANALYZE, make bench). POSTGRES_JIT=1 gives it back.
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = "-c jit=off"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ---------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Redis down or unreachable: a cache read fails in seconds, never hangs a page.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # No broker: the embedded demo runs every task in-process, at once.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = "cache+memory://"
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
# Acknowledged after it ran: a task whose worker was killed is delivered again.
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis down: queuing fails within about a second instead of retrying for 20 s
# (the result backend's default); the callers say so and the work is queued
# again later (rankings.services.recompute_queue, the hourly beat below).
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": CELERY_TASK_PUBLISH_RETRY_POLICY}
# A ranking computation still "running" after this long was abandoned (its
# worker was killed): it counts as failed, and a new one may start.
RANKING_RUN_STALE_MINUTES = int(os.environ.get("RANKING_RUN_STALE_MINUTES", "30"))
CELERY_BEAT_SCHEDULE: dict = {  # hourly; the tasks are idempotent
    "self-assessment-reminders": {
        "task": "assessments.tasks.send_self_assessment_reminders",
        "schedule": 3600.0,
    },
    "open-due-explanations": {
        "task": "assessments.tasks.open_due_explanations",
        "schedule": 3600.0,
    },
    "council-reminders": {
        "task": "councils.tasks.send_council_reminders",
        "schedule": 3600.0,
    },
    "ranking-computations-waiting": {
        "task": "rankings.tasks.requeue_waiting_computations",
        "schedule": 3600.0,
    },
}

# --- Accounts -------------------------------------------------------------
AUTH_USER_MODEL = "assessments.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out (username, address) before the password is checked.
    "dti.auth.LoginAttemptsBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ["username", "full_name", "email"]},
    },
    {
        # Django's, with its refusal in Vietnamese (see the class).
        "NAME": "dti.auth.MinimumLengthValidator",
        "OPTIONS": {"min_length": int(os.environ.get("PASSWORD_MIN_LENGTH", "10"))},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A session ends at the first of: the browser closing, SESSION_COOKIE_AGE after
# signing in (absolute), SESSION_IDLE_TIMEOUT without a request (idle). Both
# limits are enforced on the server by dti.middleware.SessionTimeoutMiddleware.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_COOKIE_AGE", str(8 * 60 * 60)))
SESSION_IDLE_TIMEOUT = int(os.environ.get("SESSION_IDLE_TIMEOUT", str(30 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
GUARDIAN_RAISE_403 = False
GUARDIAN_RENDER_403 = False
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; the public sees published data only

# Sign-in throttling (django-axes): AXES_FAILURE_LIMIT wrong passwords for one
# username from one address lock that pair out for AXES_COOLOFF_MINUTES; a
# successful sign-in clears the count. An administrator unlocks at once with
# ``manage.py axes_reset`` (or axes_reset_username). The wrong password typed
# when confirming or publishing (dti.auth.ReauthenticationForm) counts too.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "dti.auth.lockout_response"  # templates/registration/locked_out.html
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
# Behind reverse proxies the client's address is the one the nearest proxies
# appended to X-Forwarded-For: TRUSTED_PROXY_COUNT says how many there are (0:
# none, the address is REMOTE_ADDR). Never more than there really are: the
# header's other entries are whatever the client wrote.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "dti.auth.client_ip"

# --- Language, time and numbers -------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Vietnamese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True
# Off, so that years and codes never read "2.024"; figures are grouped
# explicitly by the templates' number filters (1.000 in Vietnamese).
USE_THOUSAND_SEPARATOR = False
FORMAT_MODULE_PATH = ["dti.formats"]

# --- Static files and private evidence storage ----------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
# Evidence files never live under STATIC_ROOT or any public media URL: they are
# served only through permission-checked views. There is deliberately no MEDIA_URL.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", BASE_DIR / "var" / "private"))
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_STORAGE_ROOT), "base_url": None},
    },
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # larger uploads stream to a temporary file
DATA_UPLOAD_MAX_MEMORY_SIZE = 10_485_760
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
EVIDENCE_ALLOWED_TYPES = env_list(
    "EVIDENCE_ALLOWED_TYPES", ["pdf", "docx", "doc", "xlsx", "xls", "jpg", "png"]
)
INDICATOR_SET_IMPORT_MAX_BYTES = 5 * 1024 * 1024
ASSIGNMENT_IMPORT_MAX_BYTES = 2 * 1024 * 1024

# --- E-mail ---------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "DTI <no-reply@localhost>")

# --- JSON API (api/) -------------------------------------------------------
# Rate limits of /api/v1/, "<requests>/<period>" (period s, min, hour or day;
# "off" for none): anonymous callers per client address (TRUSTED_PROXY_COUNT
# decides which), each token apart, and the bulk submission per token on top.
# Counted in the cache named by API_THROTTLE_CACHE: Redis when REDIS_URL is set,
# so that every gunicorn worker counts together; per process without it.
API_THROTTLE_ANON = env_rate("API_THROTTLE_ANON", "60/min")
API_THROTTLE_TOKEN = env_rate("API_THROTTLE_TOKEN", "600/min")
API_THROTTLE_BULK = env_rate("API_THROTTLE_BULK", "120/hour")
API_THROTTLE_CACHE = "default"
# Rows of one bulk submission of figures (answered in the request: 1,000 rows took
# 15-40 s on PostgreSQL, within gunicorn's 120 s timeout; raise it only with the
# timeout), and rows of one page of a list.
API_MAX_ROWS = int(os.environ.get("API_MAX_ROWS", "1000"))
API_PAGE_SIZE = int(os.environ.get("API_PAGE_SIZE", "100"))
API_MAX_PAGE_SIZE = int(os.environ.get("API_MAX_PAGE_SIZE", "1000"))

# --- Security -------------------------------------------------------------
# With DEBUG off, ``manage.py check --deploy`` reports nothing (tests/test_settings.py);
# each setting can still be turned off from the environment, e.g. for a plain-HTTP
# intranet test machine (SECURE_SSL_REDIRECT=0 SECURE_COOKIES=0 SECURE_HSTS_SECONDS=0).
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    # The header only allows preloading; the domain is listed only if someone submits it.
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # WeasyPrint logs every rendering step at INFO; keep its warnings only.
    "loggers": {"weasyprint.progress": {"level": "WARNING"}},
}
