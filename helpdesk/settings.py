"""One settings module, driven by environment variables (see .env.example).

The embedded default needs no server: SQLite in WAL mode and Celery's filesystem broker.
Set DATABASE_URL and CELERY_BROKER_URL to run on PostgreSQL and Redis.
"""

import ipaddress
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from kombu import Exchange, Queue

from helpdesk.env import (
    base_url_from_env,
    env_bool,
    env_float,
    env_hosts,
    env_int,
    env_list,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("HELPDESK_VAR_DIR", str(BASE_DIR / "var")))
# The embedded database, queue and collected static files live here; WhiteNoise wants it to exist.
(VAR_DIR / "staticfiles").mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DJANGO_DEBUG", False)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and env_bool("DJANGO_REQUIRE_SECRET_KEY", False):
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    # An insecure key is only acceptable for the embedded default and tests.
    SECRET_KEY = "insecure-dev-key-change-me-" + "x" * 40
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# The links in emails and the address `make run` prints: HELPDESK_BASE_URL, by default
# http://HOST:PORT (the ones `make run` / `run_all` serve on). SITE_URL is its older name.
HELPDESK_BASE_URL = base_url_from_env()
SITE_URL = HELPDESK_BASE_URL

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",  # its widget templates, overridable in templates/ (FORM_RENDERER below)
    "rest_framework",
    "axes",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "helpdesk",
    "accounts",
    "escalation",
    "tickets",
    "sla",
    "ola",
    "notifications",
    "integrations",
    "breaches",
    "mailin",
    "incidents",
    "knowledge",
    "kb",
    "csat",
    "reports",
    "idempotency",
    "ops",
    "chat",
    "savedviews",
]

MIDDLEWARE = [
    # Operations (ops/middleware.py): the request id, request metrics, then /healthz, /readyz and
    # /metrics answered before anything below (no HTTPS redirect, host check, session or user).
    "ops.middleware.RequestIdMiddleware",
    "ops.middleware.RequestMetricsMiddleware",
    "ops.middleware.ProbeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outermost but security: every /api/ answer (errors and 404s too) gets no-store.
    "helpdesk.middleware.ApiNoStoreMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # NULs in the path and the headers: refused before the session is read from a cookie.
    "helpdesk.middleware.RejectNulBytesMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",
    # NULs in query parameters and form fields: refused on a page with the user's menu.
    "helpdesk.middleware.RejectNulFieldsMiddleware",
    # Heavy read-only pages on the read replica when DATABASE_REPLICA_URL is set (ops/dbrouter.py).
    "ops.middleware.ReplicaMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # A blank 405 for a GET of a form's address becomes a page with the way back.
    "helpdesk.middleware.FormAddressMiddleware",
    "helpdesk.middleware.DatabaseUnavailableMiddleware",
    # The API's Idempotency-Key header on POST (after authentication and CSRF; see the module).
    "idempotency.middleware.IdempotencyKeyMiddleware",
    # Last: turns a lockout flagged by the authentication backend into a 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "helpdesk.urls"
WSGI_APPLICATION = "helpdesk.wsgi.application"

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
            ],
        },
    },
]

# Widgets render through the project's templates, so templates/django/forms/ can add
# dir="auto" to every text input and textarea (user-written text in any script).
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'helpdesk.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
_engine = DATABASES["default"]["ENGINE"]
if _engine == "django.db.backends.sqlite3":
    # Django's SQLite backend, answering out-of-range numbers as PostgreSQL does (see there).
    DATABASES["default"]["ENGINE"] = "helpdesk.embedded_sqlite"
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets the web server, the worker and beat read while one of them writes.
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"
        ),
        "transaction_mode": "IMMEDIATE",
    }
elif _engine == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {})
    if env_bool("DATABASE_POOL", True):
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env_int("DATABASE_POOL_MIN", 2),
            "max_size": env_int("DATABASE_POOL_MAX", 10),
            "timeout": env_int("DATABASE_POOL_TIMEOUT", 10),
        }
        # With the pool, Django then tests each connection as it leaves the pool (one empty round
        # trip): one killed by a restart or pg_terminate_backend is discarded, never handed out.
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    else:
        DATABASES["default"]["CONN_MAX_AGE"] = env_int("DATABASE_CONN_MAX_AGE", 0)
    test_name = env_str("DATABASE_TEST_NAME", "")
    if test_name:
        DATABASES["default"]["TEST"] = {"NAME": test_name}
# A PostgreSQL streaming replica for the heavy read-only pages (ops/dbrouter.py, docs/deploy.md):
# their URL pattern names, how long a user who wrote reads the primary, how long a connection
# attempt may take, and how long a replica that failed is left alone.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL", "")
HELPDESK_REPLICA_STICKY_S = env_int("HELPDESK_REPLICA_STICKY_S", 10)
HELPDESK_REPLICA_CONNECT_TIMEOUT_S = env_int("HELPDESK_REPLICA_CONNECT_TIMEOUT_S", 2)
HELPDESK_REPLICA_RETRY_S = env_int("HELPDESK_REPLICA_RETRY_S", 30)
HELPDESK_REPLICA_ROUTES = env_list("HELPDESK_REPLICA_ROUTES", []) or [
    "reports:dashboard",
    "reports:export",
    "reports:queue_health",
    "api-reports-dashboard",
    "api-reports-queues",
    "kb-list",
    "kb-suggest",
    "kb-ticket-similar",
    "api-kb-suggest",
    "api-kb-similar",
]
DATABASE_ROUTERS: list[str] = []
if DATABASE_REPLICA_URL:
    if _engine != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_REPLICA_URL needs DATABASE_URL on PostgreSQL")
    _replica = dj_database_url.parse(DATABASE_REPLICA_URL)
    _replica["OPTIONS"] = {
        **_replica.get("OPTIONS", {}),
        "connect_timeout": HELPDESK_REPLICA_CONNECT_TIMEOUT_S,
    }
    if "pool" in DATABASES["default"]["OPTIONS"]:
        _replica["OPTIONS"]["pool"] = {
            **DATABASES["default"]["OPTIONS"]["pool"],
            "timeout": HELPDESK_REPLICA_CONNECT_TIMEOUT_S,
        }
        _replica["CONN_HEALTH_CHECKS"] = True
    # Tests read the primary through this alias (no second test database).
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
    DATABASE_ROUTERS = ["ops.dbrouter.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses a locked-out username+address before the password is checked.
    "accounts.backends.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    # Not a rule: Django's one hook on every password change: tokens revoked, holder told.
    {"NAME": "accounts.validators.PasswordChangeHook"},
]
# How long a password-reset or sign-up link works (Django's token generator).
PASSWORD_RESET_TIMEOUT = env_int("HELPDESK_PASSWORD_RESET_HOURS", 24) * 3600
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# --- Languages and time ---------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("es", _("Spanish"))]
# The switcher's choice is kept by the browser for a year: Django's default, a cookie that ends
# with the browser session, lost a signed-out visitor's choice as soon as the browser closed.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language, the same in lists and detail pages (helpdesk/formats/).
FORMAT_MODULE_PATH = ["helpdesk.formats"]
TIME_ZONE = env_str("HELPDESK_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("HELPDESK_MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if env_bool("HELPDESK_MANIFEST_STATIC", False)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploads in an S3-compatible bucket (django-storages, the `s3` extra) instead of MEDIA_ROOT: web
# processes and workers on several machines without a shared directory (docs/deploy.md).
HELPDESK_MEDIA_S3_BUCKET = env_str("HELPDESK_MEDIA_S3_BUCKET", "")
if HELPDESK_MEDIA_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": HELPDESK_MEDIA_S3_BUCKET,
            "location": env_str("HELPDESK_MEDIA_S3_PREFIX", "media"),
            # Empty: AWS itself; MinIO, Ceph, … give their URL. Keys: empty uses boto3's own
            # chain (AWS_ACCESS_KEY_ID, an instance role).
            "endpoint_url": env_str("HELPDESK_MEDIA_S3_ENDPOINT_URL", "") or None,
            "region_name": env_str("HELPDESK_MEDIA_S3_REGION", "") or None,
            "access_key": env_str("HELPDESK_MEDIA_S3_ACCESS_KEY", "") or None,
            "secret_key": env_str("HELPDESK_MEDIA_S3_SECRET_KEY", "") or None,
            # Private objects, never replaced: the download view reads them and checks access.
            "default_acl": None,
            "file_overwrite": False,
        },
    }
ATTACHMENT_MAX_BYTES = env_int("HELPDESK_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENT_ALLOWED_EXTENSIONS = env_list(
    "HELPDESK_ATTACHMENT_EXTENSIONS",
    ["png", "jpg", "jpeg", "gif", "pdf", "txt", "log", "csv", "json", "zip", "docx", "xlsx"],
)
DATA_UPLOAD_MAX_MEMORY_SIZE = ATTACHMENT_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Security (production values come from the environment) ---------------------------------
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", False)
SESSION_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# The product's "This form has expired" page, with what was typed to copy.
CSRF_FAILURE_VIEW = "accounts.views.csrf_failure"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): our own scripts and styles only, nothing inline. The
# Swagger page relaxes style-src for itself (helpdesk/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# How many reverse proxies of ours stand in front of the app, each appending the address it was
# reached from to X-Forwarded-For. 0: the client is REMOTE_ADDR and X-Forwarded-For is ignored.
# Throttles, rate limits and the login lockout all key on helpdesk.ratelimit.client_ip.
HELPDESK_TRUSTED_PROXIES = env_int("HELPDESK_TRUSTED_PROXIES", 0)
if HELPDESK_TRUSTED_PROXIES < 0:
    raise ImproperlyConfigured("HELPDESK_TRUSTED_PROXIES must be 0 or more")

# Brute force (django-axes): lock a username from an address after N failures, on the login
# page, the admin and the token endpoint alike (they all call authenticate()).
AXES_ENABLED = env_bool("HELPDESK_AXES_ENABLED", True)
AXES_FAILURE_LIMIT = env_int("HELPDESK_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("HELPDESK_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# The same client address as the throttles and rate limits (HELPDESK_TRUSTED_PROXIES).
AXES_CLIENT_IP_CALLABLE = "helpdesk.ratelimit.client_ip"
# User names counted normalised (NFKC + casefold), as the sign-in looks them up.
AXES_USERNAME_CALLABLE = "accounts.backends.lockout_username"

# Anonymous abuse of the HTML side (helpdesk.ratelimit): submissions of the public form and
# failed guesses of tracking links, per client address, as "count/seconds".
HELPDESK_RATE_PUBLIC_FORM = env_str("HELPDESK_RATE_PUBLIC_FORM", "20/3600")
HELPDESK_RATE_TRACKING_MISSES = env_str("HELPDESK_RATE_TRACKING_MISSES", "20/600")
# Sign-up and password-reset requests: per client address (then a 429), and emails per email
# address (more are silently not sent, so the page never differs).
HELPDESK_RATE_ACCOUNT_EMAILS = env_str("HELPDESK_RATE_ACCOUNT_EMAILS", "10/3600")
HELPDESK_RATE_ACCOUNT_EMAILS_PER_ADDRESS = env_str(
    "HELPDESK_RATE_ACCOUNT_EMAILS_PER_ADDRESS", "3/3600"
)

# Rate limits and lockouts need one cache shared by every web process in production. On Redis it
# fails open: Redis down must not fail requests (helpdesk/cache.py).
# Behind Redis Sentinel, the URL lists the sentinels as the broker's does
# (sentinel://h1:26379/1;sentinel://h2:26379/1) and HELPDESK_SENTINEL_MASTER names the master;
# the cache then follows a failover (docs/deploy.md, "Redis Sentinel").
HELPDESK_CACHE_URL = env_str("HELPDESK_CACHE_URL", "")
HELPDESK_SENTINEL_MASTER = env_str("HELPDESK_SENTINEL_MASTER", "mymaster")
CACHES = {
    "default": (
        {
            "BACKEND": "helpdesk.cache.FailOpenRedisCache",
            "LOCATION": HELPDESK_CACHE_URL,
            "OPTIONS": (
                {"master_name": HELPDESK_SENTINEL_MASTER}
                if HELPDESK_CACHE_URL.startswith("sentinel://")
                else {}
            ),
        }
        if HELPDESK_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# API tokens expire after this many days (0: they last until revoked); a user may ask for less.
HELPDESK_TOKEN_TTL_DAYS = env_int("HELPDESK_TOKEN_TTL_DAYS", 0)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.HashedTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "helpdesk.api.exception_handler",
    # JSON bodies capped in size and nesting before parsing (helpdesk/jsonbody.py).
    "DEFAULT_PARSER_CLASSES": [
        "helpdesk.jsonbody.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DEFAULT_THROTTLE_CLASSES": [
        "helpdesk.throttling.AnonRateThrottle",
        "helpdesk.throttling.UserRateThrottle",
        "helpdesk.throttling.ScopedRateThrottle",
    ],
    # Only for code that asks DRF itself; our throttles use helpdesk.ratelimit.client_ip.
    "NUM_PROXIES": HELPDESK_TRUSTED_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_str("HELPDESK_THROTTLE_ANON", "60/min"),
        "user": env_str("HELPDESK_THROTTLE_USER", "1200/min"),
        "token": env_str("HELPDESK_THROTTLE_TOKEN", "10/min"),
        "integrations": env_str("HELPDESK_THROTTLE_INTEGRATIONS", "1200/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Helpdesk API",
    "DESCRIPTION": "Tickets, their ITIL lifecycle, comments and history.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Every operation documents the API's error answers (helpdesk/api.py), see helpdesk/openapi.py.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "helpdesk.openapi.document_error_responses",
        "idempotency.openapi.document_idempotency_key",
        "helpdesk.openapi.document_staff_only_fields",
    ],
    "COMPONENT_SPLIT_REQUEST": True,
    # Served from our own static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TicketKindEnum": "tickets.models_choices.Kind",
        "MentionUnreachedEnum": "notifications.mentions.Unreached",
        "EventKindEnum": "tickets.models_choices.EventKind",
        "LevelEnum": "tickets.models_choices.Level",
        "PriorityEnum": "tickets.models_choices.Priority",
        "StatusEnum": "tickets.models_choices.Status",
        "TierEnum": "escalation.models.Tier",
        "SubjectsDecisionEnum": "breaches.models.SubjectsDecision",
        "SubjectsExemptionEnum": "breaches.models.SubjectsExemption",
        "BreachStatusEnum": "breaches.models.BreachStatus",
        "CallStatusEnum": "escalation.models.CallStatus",
        "AlertStatusEnum": "integrations.models.AlertStatus",
        "IncidentStatusEnum": "incidents.models.IncidentStatus",
        "VisibilityEnum": "kb.models.Visibility",  # the name it had before saved views came
        "SavedViewVisibilityEnum": "savedviews.models.Visibility",
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "sent-mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Helpdesk <helpdesk@localhost>")
# Where requesters' replies go (the mailbox that inbound mail polls); empty: the From address.
HELPDESK_REPLY_TO = env_str("HELPDESK_REPLY_TO", "")
# The domain of our Message-IDs (mail threading); empty: the domain of DEFAULT_FROM_EMAIL.
HELPDESK_MAIL_DOMAIN = env_str("HELPDESK_MAIL_DOMAIN", "")

# --- Inbound email (email to ticket): an IMAP mailbox polled by Celery beat --------------------
HELPDESK_IMAP_HOST = env_str("HELPDESK_IMAP_HOST", "")  # empty: inbound mail is disabled
HELPDESK_IMAP_PORT = env_int("HELPDESK_IMAP_PORT", 993)
HELPDESK_IMAP_USER = env_str("HELPDESK_IMAP_USER", "")
HELPDESK_IMAP_PASSWORD = env_str("HELPDESK_IMAP_PASSWORD", "")
HELPDESK_IMAP_TLS = env_str("HELPDESK_IMAP_TLS", "ssl").strip().lower()
if HELPDESK_IMAP_TLS not in {"ssl", "starttls", "none"}:
    raise ImproperlyConfigured("HELPDESK_IMAP_TLS must be ssl, starttls or none")
HELPDESK_IMAP_FOLDER = env_str("HELPDESK_IMAP_FOLDER", "INBOX")
HELPDESK_IMAP_PROCESSED_FOLDER = env_str("HELPDESK_IMAP_PROCESSED_FOLDER", "helpdesk-processed")
HELPDESK_IMAP_FAILED_FOLDER = env_str("HELPDESK_IMAP_FAILED_FOLDER", "helpdesk-failed")
HELPDESK_IMAP_POLL_SECONDS = env_int("HELPDESK_IMAP_POLL_SECONDS", 60)
HELPDESK_IMAP_BATCH = env_int("HELPDESK_IMAP_BATCH", 50)
HELPDESK_INBOUND_MAX_BYTES = env_int("HELPDESK_INBOUND_MAX_BYTES", 30 * 1024 * 1024)

# Seconds a process gathers what its writes hand over after commit (new outbox rows for the
# workers, live-queue stamps) before sending them in one call (helpdesk/gather.py); 0: each
# request sends its own.
HELPDESK_GATHER_SECONDS = env_float("HELPDESK_GATHER_SECONDS", 0.05)

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost/")
HELPDESK_REDIS_BROKER_OPTIONS: dict[str, object] = {
    "visibility_timeout": 3600,
    # One connection attempt when publishing: without it kombu retries for the whole
    # connect timeout (2 s) per task, so each notification of a request waited 2 s while
    # Redis was down (tests/faults/test_broker_outage.py). The worker's own reconnection
    # loop (broker_connection_retry) does not use this.
    "max_retries": 0,
}
# sentinel://h1:26379;sentinel://h2:26379: kombu asks the sentinels for the master's address and
# asks again after a failover (docs/deploy.md, "Redis Sentinel").
HELPDESK_SENTINEL_BROKER_OPTIONS: dict[str, object] = {
    **HELPDESK_REDIS_BROKER_OPTIONS,
    "master_name": HELPDESK_SENTINEL_MASTER,
    # A sentinel that does not answer at once is skipped for the next one.
    "sentinel_kwargs": {"socket_connect_timeout": 0.5, "socket_timeout": 1.0},
}
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = VAR_DIR / "celery-broker"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery-processed").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery-processed"),
        "store_processed": False,
        # The exchange bindings (kombu's default: ./control, in the source tree, where a run
        # left control/sweeps.exchange untracked and rewrote the tracked celery.exchange).
        "control_folder": str(VAR_DIR / "celery-control"),
    }
elif CELERY_BROKER_URL.startswith("sentinel://"):
    CELERY_BROKER_TRANSPORT = "helpdesk.broker:SentinelTransport"
    CELERY_BROKER_TRANSPORT_OPTIONS = HELPDESK_SENTINEL_BROKER_OPTIONS
else:
    if CELERY_BROKER_URL.startswith("redis://"):
        # kombu's own, publishing through one client per pool (helpdesk/broker.py).
        CELERY_BROKER_TRANSPORT = "helpdesk.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = HELPDESK_REDIS_BROKER_OPTIONS
# The SLA and OLA sweeps have a queue of their own, which every worker consumes too (a worker
# started without -Q consumes every queue declared here). In the default queue, a backlog of
# notifications (after an outage, a storm of breaches) held each sweep past its expiry, which is
# its interval, so none ran until the backlog was gone; the worker now takes from both in turn.
CELERY_TASK_DEFAULT_QUEUE = "celery"
HELPDESK_SWEEP_QUEUE = "sweeps"
# Each queue with its own exchange and key: a Queue without them gets Celery's defaults
# (celery/celery), and two queues bound alike would each receive every message.
CELERY_TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in (CELERY_TASK_DEFAULT_QUEUE, HELPDESK_SWEEP_QUEUE)
)
CELERY_TASK_ROUTES = {
    "sla.tasks.sweep_sla": {"queue": HELPDESK_SWEEP_QUEUE},
    "ola.tasks.sweep_ola": {"queue": HELPDESK_SWEEP_QUEUE},
}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a killed worker's task is redelivered; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# Publishing must not hang a web request while the broker is down: the outbox sweep catches up.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # Chat notifications (chat/): hand out rows whose hand-off was lost and retries now due.
    "chat-flush-outbox": {
        "task": "chat.tasks.flush_chat_outbox",
        "schedule": timedelta(seconds=env_int("HELPDESK_CHAT_SWEEP_SECONDS", 30)),
    },
    # Deliver notifications whose immediate hand-off to the broker failed or was lost.
    "notifications-flush-outbox": {
        "task": "notifications.tasks.flush_outbox",
        "schedule": timedelta(seconds=env_int("HELPDESK_OUTBOX_SWEEP_SECONDS", 30)),
    },
    # Close resolved tickets the requester left unconfirmed for HELPDESK_AUTO_CLOSE_DAYS.
    "tickets-auto-close": {
        "task": "tickets.tasks.auto_close_resolved",
        "schedule": timedelta(seconds=env_int("HELPDESK_AUTO_CLOSE_SWEEP_SECONDS", 600)),
    },
    # Resume tickets held until a scheduled call once the call starts (claimed once per call).
    "escalation-resume-held-for-calls": {
        "task": "escalation.tasks.resume_held_for_calls",
        "schedule": timedelta(seconds=env_int("HELPDESK_CALL_HOLD_SWEEP_SECONDS", 60)),
    },
    # The 72-hour GDPR art. 33 clock of the breach register: warnings at 24/48/60 h, breach at 72 h.
    "breaches-sweep-clocks": {
        "task": "breaches.tasks.sweep_breach_clocks",
        "schedule": timedelta(seconds=env_int("HELPDESK_BREACH_CLOCK_SWEEP_SECONDS", 60)),
    },
    # Remind a major incident's owner and agents when its next public update is overdue.
    "incidents-remind-overdue-updates": {
        "task": "incidents.tasks.remind_overdue_updates",
        "schedule": timedelta(seconds=env_int("HELPDESK_INCIDENT_REMINDER_SWEEP_SECONDS", 60)),
    },
    # Forget idempotency keys (form submissions, API Idempotency-Key) past their lifetime.
    "idempotency-purge-expired-keys": {
        "task": "idempotency.tasks.purge_expired_keys",
        "schedule": timedelta(hours=1),
    },
    # Record SLA warnings/breaches of clocks past their due columns and act on them: each at most
    # once, and only the highest when a clock passed several since the last sweep (docs/sla.md).
    "sla-sweep": {
        "task": "sla.tasks.sweep_sla",
        "schedule": timedelta(seconds=env_int("HELPDESK_SLA_SWEEP_SECONDS", 30)),
        "options": {"expires": env_int("HELPDESK_SLA_SWEEP_SECONDS", 30)},
    },
    # Record OLA breaches (per-tier targets, docs/ola.md) and notify the tier leads, once each.
    "ola-sweep": {
        "task": "ola.tasks.sweep_ola",
        "schedule": timedelta(seconds=env_int("HELPDESK_SLA_SWEEP_SECONDS", 30)),
        "options": {"expires": env_int("HELPDESK_SLA_SWEEP_SECONDS", 30)},
    },
}
if HELPDESK_IMAP_HOST:
    # Email to ticket: poll the helpdesk mailbox (only when an IMAP host is configured).
    CELERY_BEAT_SCHEDULE["mailin-poll-mailbox"] = {
        "task": "mailin.tasks.poll_mailbox",
        "schedule": timedelta(seconds=HELPDESK_IMAP_POLL_SECONDS),
    }

# --- Domain ---------------------------------------------------------------------------------
# Idempotency keys (forms and the API's Idempotency-Key header): how long a key is remembered,
# how long a duplicate waits for the first request's answer before a 409, and after how long a
# request still "processing" is taken for dead (its key taken over by a retry).
IDEMPOTENCY_KEY_HOURS = env_int("HELPDESK_IDEMPOTENCY_KEY_HOURS", 24)
IDEMPOTENCY_WAIT_SECONDS = env_int("HELPDESK_IDEMPOTENCY_WAIT_SECONDS", 10)
IDEMPOTENCY_STALE_SECONDS = env_int("HELPDESK_IDEMPOTENCY_STALE_SECONDS", 120)
HELPDESK_AUTO_CLOSE_DAYS = env_int("HELPDESK_AUTO_CLOSE_DAYS", 5)
# A ticket's tracking link stops working this many days after the ticket closed.
HELPDESK_TRACKING_LINK_DAYS = env_int("HELPDESK_TRACKING_LINK_DAYS", 90)
# Largest monitoring webhook body accepted (Alertmanager groups many alerts in one delivery).
HELPDESK_INTEGRATIONS_MAX_BYTES = env_int("HELPDESK_INTEGRATIONS_MAX_BYTES", 1024 * 1024)
# JSON request bodies (API and monitoring intake): largest body and deepest nesting accepted.
HELPDESK_JSON_MAX_BYTES = env_int("HELPDESK_JSON_MAX_BYTES", 1024 * 1024)
HELPDESK_JSON_MAX_DEPTH = env_int("HELPDESK_JSON_MAX_DEPTH", 32)
# A resolution-SLA breach escalates the ticket one tier (each policy can also opt out).
SLA_ESCALATE_ON_BREACH = env_bool("HELPDESK_SLA_ESCALATE_ON_BREACH", True)

# --- Operations (ops/, docs/deploy.md) --------------------------------------------------------
# /readyz: how long the checks (database, cache, broker, sweep) may take together, and how old the
# last SLA sweep may be before the process is reported not ready (0: beat and worker not checked).
HELPDESK_READY_TIMEOUT_S = env_int("HELPDESK_READY_TIMEOUT_S", 2)
HELPDESK_READY_SWEEP_MAX_AGE_S = env_int("HELPDESK_READY_SWEEP_MAX_AGE_S", 300)
if HELPDESK_READY_TIMEOUT_S <= 0 or HELPDESK_READY_SWEEP_MAX_AGE_S < 0:
    raise ImproperlyConfigured(
        "HELPDESK_READY_TIMEOUT_S must be positive and HELPDESK_READY_SWEEP_MAX_AGE_S 0 or more"
    )
# /metrics answers a bearer token or the addresses of an allow-list (IPs or CIDR networks, the
# client address as helpdesk.ratelimit.client_ip sees it); with neither set it is a 404.
HELPDESK_METRICS_TOKEN = env_str("HELPDESK_METRICS_TOKEN", "")
HELPDESK_METRICS_ALLOW = env_list("HELPDESK_METRICS_ALLOW", [])
for _network in HELPDESK_METRICS_ALLOW:
    try:
        ipaddress.ip_network(_network, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"HELPDESK_METRICS_ALLOW: {_network!r} is not an IP address or network"
        ) from None

# Logs: "text" (the message alone) or "json" (one object per line: time, level, logger, message,
# request_id, user_id, route). Every record carries the request id (ops/logs.py).
HELPDESK_LOG_FORMAT = env_str("HELPDESK_LOG_FORMAT", "text").strip().lower()
if HELPDESK_LOG_FORMAT not in {"text", "json"}:
    raise ImproperlyConfigured("HELPDESK_LOG_FORMAT must be text or json")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_context": {"()": "ops.logs.RequestContextFilter"}},
    "formatters": {"json": {"()": "ops.logs.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_context"],
            **({"formatter": "json"} if HELPDESK_LOG_FORMAT == "json" else {}),
        }
    },
    "root": {"handlers": ["console"], "level": env_str("HELPDESK_LOG_LEVEL", "INFO")},
    # django-axes logs every successful login at INFO; lockouts are WARNING.
    "loggers": {"axes": {"level": "WARNING"}},
}

# --- In-app notifications (the bell, issue 21 item 5) -------------------------------------------
# How often an open page asks for the unread count; read notifications are deleted after
# HELPDESK_IN_APP_READ_RETENTION_DAYS, unread ones after HELPDESK_IN_APP_UNREAD_RETENTION_DAYS.
HELPDESK_BELL_POLL_SECONDS = env_int("HELPDESK_BELL_POLL_SECONDS", 10)
HELPDESK_IN_APP_READ_RETENTION_DAYS = env_int("HELPDESK_IN_APP_READ_RETENTION_DAYS", 90)
HELPDESK_IN_APP_UNREAD_RETENTION_DAYS = env_int("HELPDESK_IN_APP_UNREAD_RETENTION_DAYS", 365)
CELERY_BEAT_SCHEDULE["notifications-purge-in-app"] = {
    "task": "notifications.tasks.purge_in_app_notifications",
    "schedule": timedelta(hours=6),
}

# Chat notifications (chat/, docs/chat.md): the HTTP timeout of one send, and the key that
# encrypts the channels' secrets (empty: derived from SECRET_KEY).
HELPDESK_CHAT_TIMEOUT_SECONDS = env_int("HELPDESK_CHAT_TIMEOUT_SECONDS", 5)
HELPDESK_CHAT_SECRET_KEY = env_str("HELPDESK_CHAT_SECRET_KEY", "")
# Chat messages go to public addresses only (chat/destinations.py: no loopback, private,
# link-local or other internal address, checked when a channel is saved and again, resolved,
# when it sends). An on-premises chat server is allowed here: host names (".corp.example" for
# its subdomains too), addresses or CIDR networks, comma-separated.
HELPDESK_CHAT_ALLOWED_HOSTS = env_hosts("HELPDESK_CHAT_ALLOWED_HOSTS", [])

# Presence on the ticket page (tickets/presence.py): each open page sends a heartbeat this often;
# a viewer missing four is gone, a "typing" flag lasts two. Lives in the shared cache only.
HELPDESK_PRESENCE_SECONDS = env_int("HELPDESK_PRESENCE_SECONDS", 5)
