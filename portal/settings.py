"""Settings for the task-supervision portal.

Everything that differs between a developer's laptop and production comes from
the environment (see README, "Configuration"). The defaults are the embedded
ones: SQLite under var/, Celery tasks run in-process, e-mail written to files
under var/mail/.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy

from portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("PORTAL_VAR_DIR", str(BASE_DIR / "var")))

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-never-used-when-DEBUG-is-off"
SECRET_KEY = env_str("SECRET_KEY") or (_DEV_SECRET_KEY if DEBUG else None)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off (set DEBUG=1 for development).")
if not DEBUG and (SECRET_KEY == _DEV_SECRET_KEY or SECRET_KEY.startswith("change-me")):
    raise ImproperlyConfigured("SECRET_KEY is the development key or .env.example's placeholder: set a random one.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "import_export",
    "simple_history",
    "axes",  # login lockout: before "portal", whose signal receivers follow axes' own
    "accounts",  # the account profile: mobile, must-change-password flag (accounts/models.py)
    "agencies",
    "tasklist",
    "audit",
    "supervision",
    "importers",
    "portal.api",  # the hashed API tokens (portal/api/models.py)
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Serves collected static files under gunicorn (no CDN, no internet on a government intranet).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "portal.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "portal.middleware.SessionExpiryMiddleware",
    # A first or office-reset password is changed before any other page opens (accounts/first_password.py).
    "accounts.middleware.PasswordChangeRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "portal.middleware.ContentSecurityPolicyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as axes asks: turns a locked-out login into the lockout page (accounts/lockout.py).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.roles",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user@host:5432/name), SQLite under var/ by default.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0, minimum=0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Wait for a competing writer instead of failing at once with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "supervision:todo"  # agency staff land on 我的待办; the others go on to the plans
LOGOUT_REDIRECT_URL = "login"

# Login protection (docs/security.md). Axes' backend comes first: it refuses a locked-out login
# before any password is checked. LOGIN_FAILURE_LIMIT failures for one username from one address
# lock that pair for LOGIN_LOCKOUT_MINUTES (attempts while locked do not extend it); a successful
# login clears the count.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# The admin's import/export files pass the importer's checks (importers/admin_formats.py).
ADMIN_FILE_FORMATS = ["importers.admin_formats.PortalXLSX", "importers.admin_formats.PortalCSV"]
ADMIN_IMPORT_FORM = "importers.admin_formats.PortalImportForm"

AXES_DISABLE_ACCESS_LOG = True  # logins are audited in the trail (accounts/auth_audit.py → audit)
# The client's address: REMOTE_ADDR, or behind this many reverse proxies (nginx in front of gunicorn:
# 1) the address the outermost one appended to X-Forwarded-For (accounts/lockout.py).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
# Sessions end after SESSION_IDLE_MINUTES without a request and SESSION_MAX_HOURS after the login
# at the latest (portal/middleware.py, SessionExpiryMiddleware).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30, minimum=1)
SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12, minimum=1)
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600

# Internationalisation: Chinese by default, English through the language switch.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The filters' "any" choice reads 全部, not a row of dashes (django-filter).
FILTERS_EMPTY_CHOICE_LABEL = gettext_lazy("All")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
if DEBUG:
    # Development serves static files from the apps through WhiteNoise too, without collectstatic.
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# Celery. Without REDIS_URL / CELERY_BROKER_URL tasks run in-process (eager),
# so the embedded default needs no broker.
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL)
CELERY_TASK_ALWAYS_EAGER = CELERY_BROKER_URL is None
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

# Cache: the dashboards' figures (supervision/figure_cache.py). Every process that serves pages or
# writes data must share it, so a deployment with more than one process sets CACHE_URL (redis://…);
# the default is this process's memory, right for the embedded single process.
CACHE_URL = env_str("CACHE_URL")
if CACHE_URL:
    if not CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"CACHE_URL={CACHE_URL!r}: only redis://, rediss:// and unix:// are supported.")
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "OPTIONS": {"MAX_ENTRIES": 1000}}}
# How long a dashboard's figures may be served from the cache at most (they are dropped at once
# when the data under them changes); 0 works them out on every request.
DASHBOARD_CACHE_SECONDS = env_int("DASHBOARD_CACHE_SECONDS", 600, minimum=0)

# E-mail: SMTP when EMAIL_HOST is set, otherwise files under var/mail/ for a reader to open.
EMAIL_HOST = env_str("EMAIL_HOST")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = VAR_DIR / "mail"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "督查室 <duchashi@localhost>")

# Security headers that cost nothing in development.
SECURE_CONTENT_TYPE_NOSNIFF = True
# Scripts only from the portal's own files (no inline script, no CDN: an intranet has no internet);
# inline styles stay allowed for the charts' tooltips. Empty turns the header off.
# How the supervising office signs what it issues (通报, 督办通知单) and registers items.
SUPERVISING_OFFICE_NAME = env_str("SUPERVISING_OFFICE_NAME", "督查室")

CONTENT_SECURITY_POLICY = env_str(
    "CONTENT_SECURITY_POLICY",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'",
)
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Monitoring asks the web process directly, over plain HTTP inside the host or the compose network.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Largest task-table upload accepted, in bytes (checked by the import form).
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024, minimum=1024)
# Larger uploads are read and applied by a Celery task, with progress shown, instead of in the request.
IMPORT_ASYNC_BYTES = env_int("IMPORT_ASYNC_BYTES", 1024 * 1024, minimum=0)

# Reminders (催办): one sweep a day at REMINDER_HOUR:REMINDER_MINUTE (Asia/Shanghai), run by the single beat.
REMINDER_HOUR = env_int("REMINDER_HOUR", 9, minimum=0)
REMINDER_MINUTE = env_int("REMINDER_MINUTE", 0, minimum=0)
REMINDER_DUE_SOON_DAYS = env_int("REMINDER_DUE_SOON_DAYS", 3, minimum=0)  # "due soon" this many days ahead
REMINDER_REPEAT_DAYS = env_int("REMINDER_REPEAT_DAYS", 3, minimum=1)  # "overdue" again every this many days
REMINDER_ESCALATE_DAYS = env_int("REMINDER_ESCALATE_DAYS", 7, minimum=1)  # then to the head and the office
REMINDER_LOOKBACK_DAYS = env_int("REMINDER_LOOKBACK_DAYS", 90, minimum=1)  # older ones: the overdue list
REMINDER_CLAIM_TIMEOUT_MINUTES = env_int("REMINDER_CLAIM_TIMEOUT_MINUTES", 15, minimum=1)
REMINDER_MAX_ATTEMPTS = env_int("REMINDER_MAX_ATTEMPTS", 5, minimum=1)
REMINDER_SEND_INTERVAL_SECONDS = env_int("REMINDER_SEND_INTERVAL_SECONDS", 0, minimum=0)
REMINDER_DIGEST_MAX_ITEMS = env_int("REMINDER_DIGEST_MAX_ITEMS", 200, minimum=1)  # then "… and N more" + link
if REMINDER_HOUR > 23 or REMINDER_MINUTE > 59:
    raise ImproperlyConfigured("REMINDER_HOUR must be 0–23 and REMINDER_MINUTE 0–59.")
CELERY_BEAT_SCHEDULE = {
    "reminder-sweep": {
        "task": "supervision.sweep_reminders",
        "schedule": crontab(hour=REMINDER_HOUR, minute=REMINDER_MINUTE),
    },
}
# /healthz: the beat and the workers write a heartbeat to the broker's Redis; older than these, they
# are reported stale (the beat ticks at least every CELERY_BEAT_MAX_LOOP_INTERVAL seconds).
CELERY_BEAT_MAX_LOOP_INTERVAL = 60
CELERY_BEAT_SCHEDULER = "portal.celery:HeartbeatScheduler"
HEALTH_BEAT_MAX_AGE_SECONDS = env_int("HEALTH_BEAT_MAX_AGE_SECONDS", 180, minimum=1)
HEALTH_WORKER_MAX_AGE_SECONDS = env_int("HEALTH_WORKER_MAX_AGE_SECONDS", 90, minimum=1)
HEALTH_WORKER_INTERVAL_SECONDS = 30
# Links in e-mails point here.
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# Largest attachment a progress report may carry, and how many per report.
ATTACHMENT_MAX_BYTES = env_int("ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024, minimum=1024)
ATTACHMENT_MAX_COUNT = env_int("ATTACHMENT_MAX_COUNT", 10, minimum=1)
# Behind nginx: the attachment view checks who may read the file, then hands it to nginx's internal
# location with this prefix (X-Accel-Redirect; docs/deploy.md). Unset: the view sends the file itself.
ATTACHMENT_ACCEL_REDIRECT = env_str("ATTACHMENT_ACCEL_REDIRECT", "")
if ATTACHMENT_ACCEL_REDIRECT and not (ATTACHMENT_ACCEL_REDIRECT[:1] == ATTACHMENT_ACCEL_REDIRECT[-1:] == "/"):
    raise ImproperlyConfigured("ATTACHMENT_ACCEL_REDIRECT must start and end with '/', e.g. /_attachments/.")

# The read API (portal/api/, docs/api.md): a token (Authorization: Token <key>) or the browser's
# session, read-only, scoped like the pages, paginated; its OpenAPI schema at /api/v1/schema/.
# Tokens (portal/api/tokens.py) are stored as SHA-256 digests and expire API_TOKEN_DAYS after they
# are made. Each user (token or session) may send API_THROTTLE_USER requests, each address without
# a valid token API_THROTTLE_ANON ("number/second|minute|hour|day"); past it, 429 with Retry-After.
API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90, minimum=1)


def _throttle_rate(name: str, default: str) -> str:
    rate = env_str(name, default).strip()
    number, _, period = rate.partition("/")
    if not (number.isdigit() and int(number) > 0 and period in {"second", "minute", "hour", "day"}):
        raise ImproperlyConfigured(f"{name}={rate!r} is not a rate such as 120/minute (second, minute, hour or day).")
    return rate


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First: an anonymous request gets 401 with "WWW-Authenticate: Token", not a login page.
        "portal.api.tokens.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api.throttles.AnonThrottle", "portal.api.throttles.UserThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "anon": _throttle_rate("API_THROTTLE_ANON", "60/minute"),
        "user": _throttle_rate("API_THROTTLE_USER", "300/minute"),
    },
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.PagePagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Task-supervision portal API",
    "DESCRIPTION": "Read-only: plans, tasks, assignments, progress reports and dashboard figures (docs/api.md).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.document_errors",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
