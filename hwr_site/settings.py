"""Inkwell settings.

Every environment variable the platform reads is read here, through the typed helpers
below, and listed with its default in `.env.example`. A bad value stops start-up with
a message naming the variable.
"""

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from hwr_site import queues

BASE_DIR = Path(__file__).resolve().parent.parent


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_rate(name: str, default: str) -> str:
    """A rate as django-ratelimit writes it: "60/10m" is 60 per ten minutes."""
    raw = os.environ.get(name) or default
    if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", raw.strip()):
        raise ImproperlyConfigured(f"{name} must be a rate such as 60/10m, got {raw!r}")
    return raw.strip()


def env_choice(name: str, default: str, choices: tuple[str, ...]) -> str:
    value = os.environ.get(name) or default
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_path(name: str, default: Path) -> Path:
    raw = os.environ.get(name)
    return Path(raw).expanduser().resolve() if raw else default


DEBUG = env_bool("DEBUG", False)
# `make run` sets DEV_SERVER: the only server start that accepts DEBUG (hwr_site/asgi.py).
DEV_SERVER = env_bool("DEV_SERVER", False)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off")
    SECRET_KEY = "insecure-dev-key-only-for-debug"  # noqa: S105 - DEBUG only

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
VAR_DIR = env_path("VAR_DIR", BASE_DIR / "var")

INSTALLED_APPS = [
    "django_prometheus",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "axes",
    "audit",
    "classroom",
    "recognition",
    "chat",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    # Probes and scrapers reach /healthz, /readyz and /metrics by pod address (hwr_site/ops.py).
    "hwr_site.ops.OpsEndpointsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hwr_site.ratelimits.FormRateLimitMiddleware",
    "axes.middleware.AxesMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "hwr_site.urls"
WSGI_APPLICATION = "hwr_site.wsgi.application"
ASGI_APPLICATION = "hwr_site.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: an embedded SQLite file unless DATABASE_URL names another.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # the embedded database lives here
    DATABASE_URL = f"sqlite:///{VAR_DIR / 'db.sqlite3'}"
try:
    _database = dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
except ValueError as exc:
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
_engine = str(_database["ENGINE"]).rsplit(".", 1)[-1]
DB_POOL_MAX = env_int("DB_POOL_MAX", 16)
if _engine == "postgresql" and DB_POOL_MAX > 0:
    # Under ASGI each request may run in a new thread: a pool bounds the connections.
    if _database.get("CONN_MAX_AGE"):
        raise ImproperlyConfigured("DB_CONN_MAX_AGE must be 0 when DB_POOL_MAX is set")
    _database.setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_MAX,
        "timeout": 10,
    }
    # A pooled connection is checked (one empty round trip) before it is handed out: after
    # a PostgreSQL restart each idle one was dead, and each failed a student's submit once.
    _database["CONN_HEALTH_CHECKS"] = env_bool("DB_POOL_CHECK", True)
_database["ENGINE"] = f"django_prometheus.db.backends.{_engine}"
DATABASES: dict[str, Any] = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "classroom.User"
# django-axes checks a login's account and address for a lockout before any password hashing.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env_path("STATIC_ROOT", VAR_DIR / "staticfiles")
MEDIA_URL = "media/"
MEDIA_ROOT = env_path("MEDIA_ROOT", VAR_DIR / "media")
# STATIC_MANIFEST=true (deployments, after collectstatic) adds content hashes to file names.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "servestatic.storage.CompressedManifestStaticFilesStorage"
            if STATIC_MANIFEST
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# ServeStatic (WhiteNoise for ASGI) answers static files on the event loop, ahead of the
# middleware chain (hwr_site/static.py). Without collectstatic (make run,
# tests) it serves straight from the source folders.
SERVESTATIC_USE_FINDERS = not STATIC_MANIFEST


def _static_headers(headers: Any, path: str, url: str) -> None:
    # Static files skip SecurityMiddleware, which sets these on every other response.
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = SECURE_REFERRER_POLICY
    headers["Cross-Origin-Opener-Policy"] = SECURE_CROSS_ORIGIN_OPENER_POLICY


SERVESTATIC_ADD_HEADERS_FUNCTION = _static_headers

# Uploads: images for recognition are at most 5 MB; nothing larger is read into memory.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
# Any request body (checked in hwr_site/limits.py before Django reads it).
MAX_REQUEST_BYTES = MAX_UPLOAD_BYTES + 1024 * 1024
# Copies of library internals kept for speed (hwr_site/fastpath/, docs/decisions/009): each
# switch set to false restores the library's own path; FASTPATH=false turns all of them off.
FASTPATH = env_bool("FASTPATH", True)
FASTPATH_REPLIES = env_bool("FASTPATH_REPLIES", FASTPATH)
FASTPATH_TASK_MESSAGES = env_bool("FASTPATH_TASK_MESSAGES", FASTPATH)
FASTPATH_DISPATCH = env_bool("FASTPATH_DISPATCH", FASTPATH)
# Threads an ASGI server process runs requests (Django's synchronous part) on, through
# a2wsgi (hwr_site/asgi.py); further requests wait for a free one.
HTTP_THREADS = env_int("HTTP_THREADS", 4)
# The interpreter's switch interval in an ASGI process (hwr_site/startup.py): how long the
# event loop may wait for the GIL while a request thread runs Python. Python's default is 5.
ASGI_SWITCH_INTERVAL_MS = env_float("ASGI_SWITCH_INTERVAL_MS", 1.0)
if ASGI_SWITCH_INTERVAL_MS <= 0:
    raise ImproperlyConfigured("ASGI_SWITCH_INTERVAL_MS must be more than 0")
# Health checks never wait for those threads (hwr_site/probes.py), and requests that hash a
# password get at most PASSWORD_SLOTS of them at a time (hwr_site/bulkhead.py).
HEALTHZ_ON_LOOP = env_bool("HEALTHZ_ON_LOOP", True)
PASSWORD_SLOTS = env_int("PASSWORD_SLOTS", 1)
PASSWORD_WAIT_S = env_float("PASSWORD_WAIT_S", 10.0)
# A refused one (429) is answered this much later, its slot already free: a flooding client
# cannot loop through cheap refusals as fast as they are answered.
PASSWORD_REFUSAL_DELAY_S = env_float("PASSWORD_REFUSAL_DELAY_S", 1.0)
PASSWORD_PATHS = ["/accounts/", "/admin/login/", "/admin/password_change/"]
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 256 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_UPLOAD_BYTES + 256 * 1024

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "inkwell@localhost")

# Redis carries the channel layer, the cache and the Celery broker. Without it the
# platform runs embedded: in-memory channel layer, local cache, eager tasks.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    # Redis pub/sub: a message costs one PUBLISH, and a socket that is gone simply misses
    # its answer (docs/decisions/008-lean-live-path.md).
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django_prometheus.cache.backends.locmem.LocMemCache"}}

# The broker may be RabbitMQ (amqp://...) while Redis keeps the channel layer and the cache.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL") or REDIS_URL or "memory://"
REDIS_BROKER = CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
# Live tasks as hand-built Redis messages (hwr_site/realtime/publishing.py); any other broker
# gets Celery's own publishing, whatever the switch says.
FASTPATH_TASK_MESSAGES = (
    env_bool("FASTPATH_TASK_MESSAGES", env_bool("FASTPATH", True)) and REDIS_BROKER
)
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_DEFAULT_QUEUE = queues.DEFAULT
# Live inference and training never wait behind each other: each has its own queue.
CELERY_TASK_ROUTES = {
    "recognition.recognize_ink": {"queue": queues.INFERENCE},
    "classroom.recognize_attempt": {"queue": queues.INFERENCE},
    "recognition.train_model_version": {"queue": queues.TRAINING},
    "chat.deliver_to_discord": {"queue": queues.DISCORD},
    "chat.answer_interaction": {"queue": queues.DISCORD},
}
# `celery -A hwr_site beat` (or a worker started with -B) runs these.
CELERY_BEAT_SCHEDULE = {
    # As often as its age limit: a lost submit is queued again within a minute.
    "queue-pending-attempts": {
        "task": "classroom.queue_pending_attempts",
        "schedule": 30.0,
    },
    "sweep-discord-deliveries": {"task": "chat.sweep_deliveries", "schedule": 60.0},
    "purge-old-attempts": {"task": "classroom.purge_old_attempts", "schedule": 24 * 3600.0},
}
# Privacy: attempts (a child's handwriting) older than this many days are deleted, daily
# (0: kept until a teacher or an admin deletes them).
ATTEMPT_RETENTION_DAYS = env_int("ATTEMPT_RETENTION_DAYS", 0)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# No ack emulation: kombu's Redis bookkeeping of unacknowledged messages cost a third of the
# inference worker's CPU. A clean shutdown still requeues what a worker holds; what a killed
# worker or a restarted broker lost is recovered from the database by the 30 s sweep above
# (docs/decisions/008-lean-live-path.md, 012-safety-under-faults-and-floods.md).
CELERY_BROKER_TRANSPORT_OPTIONS = {"ack_emulation": False} if REDIS_BROKER else {}
# RabbitMQ: durable classic queues (Celery's default) with late acks and a prefetch of 1 (above):
# what a worker held when it died goes back to the queue as its connection drops.

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "hwr_site.authentication.CachedTokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "hwr_site.parsers.JSONBodyParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "hwr_site.api_errors.exception_handler",
}
# A valid API token is re-checked against the database at most this often per process.
API_TOKEN_CACHE_SECONDS = env_float("API_TOKEN_CACHE_SECONDS", 5.0)
SPECTACULAR_SETTINGS = {
    "TITLE": "Inkwell API",
    "DESCRIPTION": "Handwriting practice and recognition.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "hwr_site.openapi.add_error_responses",
    ],
}

# Recognition: the model shipped in the repository unless the registry names another.
SHIPPED_MODEL_DIR = BASE_DIR / "recognition" / "shipped_model"
RECOGNIZER_TIMEOUT_S = env_float("RECOGNIZER_TIMEOUT_S", 2.0)
# The runtime a process serves the model on (docs/decisions/015-batched-inference.md):
# LiteRT, or ONNX Runtime over model.onnx (python -m recognition.engine.onnx_export DIR) on
# its CPU or CUDA provider; cuda without a CUDA build or a GPU runs on the CPU, with a warning.
INFERENCE_RUNTIME = env_choice("INFERENCE_RUNTIME", "litert", ("litert", "onnxruntime"))
INFERENCE_PROVIDER = env_choice("INFERENCE_PROVIDER", "cpu", ("cpu", "cuda"))
if INFERENCE_PROVIDER == "cuda" and INFERENCE_RUNTIME != "onnxruntime":
    raise ImproperlyConfigured("INFERENCE_PROVIDER=cuda needs INFERENCE_RUNTIME=onnxruntime")
# Live predictions recognised together: up to this many tasks already running in an
# inference worker on Celery's thread pool (--pool threads --concurrency >= this), the
# first waiting at most INFERENCE_BATCH_WAIT_MS for the others. 1: one at a time (solo pool).
INFERENCE_BATCH_SIZE = env_int("INFERENCE_BATCH_SIZE", 1)
INFERENCE_BATCH_WAIT_MS = env_float("INFERENCE_BATCH_WAIT_MS", 2.0)
if INFERENCE_BATCH_SIZE < 1 or not 0 <= INFERENCE_BATCH_WAIT_MS <= 50:
    raise ImproperlyConfigured(
        "INFERENCE_BATCH_SIZE must be at least 1 and INFERENCE_BATCH_WAIT_MS 0 to 50"
    )
# Ink JSONL files an admin may train new versions on.
TRAINING_DATA_DIR = env_path("TRAINING_DATA_DIR", BASE_DIR.parent / "shared" / "data")

# Chat rooms (chat/): a message's length, and how many one person may post in a window.
CHAT_MESSAGE_MAX_CHARS = env_int("CHAT_MESSAGE_MAX_CHARS", 500)
CHAT_RATE_MESSAGES = env_int("CHAT_RATE_MESSAGES", 8)
CHAT_RATE_WINDOW_S = env_int("CHAT_RATE_WINDOW_S", 10)
# Presence: each socket refreshes its person's key every HEARTBEAT seconds; a key lives TTL
# seconds, so someone whose server process died drops out within TTL.
CHAT_PRESENCE_HEARTBEAT_S = env_float("CHAT_PRESENCE_HEARTBEAT_S", 10.0)
CHAT_PRESENCE_TTL_S = env_int("CHAT_PRESENCE_TTL_S", 30)
# Discord (CONTRACTS section 6): every call goes to DISCORD_API_BASE; a class's webhook is
# set on its page. The public key checks inbound interactions; the application id and bot
# token are only for `manage.py discord_register_commands`.
DISCORD_API_BASE = env_str("DISCORD_API_BASE", "https://discord.com/api/v10").rstrip("/")
if not re.fullmatch(r"https?://[^/\s]+(/[^\s]*)?", DISCORD_API_BASE):
    raise ImproperlyConfigured(f"DISCORD_API_BASE must be an http(s) URL, got {DISCORD_API_BASE!r}")
DISCORD_PUBLIC_KEY = env_str("DISCORD_PUBLIC_KEY").strip()
if DISCORD_PUBLIC_KEY and not re.fullmatch(r"[0-9a-fA-F]{64}", DISCORD_PUBLIC_KEY):
    raise ImproperlyConfigured("DISCORD_PUBLIC_KEY must be 64 hex digits (Ed25519 public key)")
DISCORD_APPLICATION_ID = env_str("DISCORD_APPLICATION_ID")
DISCORD_BOT_TOKEN = env_str("DISCORD_BOT_TOKEN")
DISCORD_TIMEOUT_S = env_float("DISCORD_TIMEOUT_S", 5.0)
# Deliveries: exponential backoff from the base (with jitter) up to the cap; dead-lettered
# after this many tries.
DISCORD_MAX_TRIES = env_int("DISCORD_MAX_TRIES", 8)
DISCORD_RETRY_BASE_S = env_float("DISCORD_RETRY_BASE_S", 2.0)
DISCORD_RETRY_MAX_S = env_float("DISCORD_RETRY_MAX_S", 600.0)

# /metrics answers only requests with `Authorization: Bearer <METRICS_TOKEN>`; unset, it is a
# 404 unless DEBUG is on. METRICS_TOKEN_FILE names a file holding it (a mounted secret
# Prometheus reads too).
METRICS_TOKEN = env_str("METRICS_TOKEN")
if not METRICS_TOKEN and env_str("METRICS_TOKEN_FILE"):
    try:
        METRICS_TOKEN = Path(env_str("METRICS_TOKEN_FILE")).read_text().strip()
    except OSError as exc:
        raise ImproperlyConfigured(f"METRICS_TOKEN_FILE cannot be read: {exc}") from None
# Export django_migrations_unapplied_total (read from the database once at process start).
PROMETHEUS_EXPORT_MIGRATIONS = env_bool("METRICS_EXPORT_MIGRATIONS", False)
# A Celery worker serves its own metrics on this port (0: none; hwr_site/worker_metrics.py).
WORKER_METRICS_PORT = env_int("WORKER_METRICS_PORT", 0)
WORKER_METRICS_ADDR = env_str("WORKER_METRICS_ADDR", "0.0.0.0")  # noqa: S104 - pod address

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_TLS_PROXY = env_bool("BEHIND_TLS_PROXY", False)
if BEHIND_TLS_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Probes and the scraper reach the process directly, over plain HTTP.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SECURE_HSTS_SECONDS = env_int("HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("HSTS_PRELOAD", False)
# Preloading HSTS is the domain owner's commitment (HSTS_PRELOAD), not a default.
SILENCED_SYSTEM_CHECKS = ["security.W021"]

# No inline script anywhere: pages load their JavaScript from files, and data they need
# rides in `json_script` blocks. No style attributes either: bars are <progress>/<meter>,
# and a width computed per page is set from a script file through the CSSOM.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'none'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],  # websockets to the same host included (CSP level 3)
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# Sessions of students end with the browser, and at the latest after a school day
# (classroom.sessions): classroom tablets are shared. Everyone else keeps Django's 2 weeks.
SESSION_ENGINE = "hwr_site.sessions"
SCHOOL_DAY_SECONDS = env_int("STUDENT_SESSION_SECONDS", 8 * 3600)

# Rate limits and lockout (hwr_site/ratelimits.py). RATE_LIMITS_ENABLED=false turns off
# all but the login lockout (AXES_ENABLED), e.g. for a load test from one address.
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
AXES_ENABLED = env_bool("LOGIN_LOCKOUT", True)
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 10)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
# Each on its own: an account under attack from many addresses, an address trying many accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "hwr_site.ratelimits.lockout_response"
AXES_VERBOSE = False
# The client's address: the socket's, unless a trusted proxy in front sets X-Forwarded-For
# (a client could otherwise dodge the per-address lockout by sending any).
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if BEHIND_TLS_PROXY else ["REMOTE_ADDR"]
)
AXES_IPWARE_PROXY_COUNT = 1 if BEHIND_TLS_PROXY else None
RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR" if BEHIND_TLS_PROXY else "REMOTE_ADDR"
RATELIMIT_VIEW = "hwr_site.ratelimits.too_many"
# (name, path prefix, rate, key): POSTs counted per client address or per user.
FORM_RATE_LIMITS = [
    ("signup", "/accounts/signup/", env_str("SIGNUP_RATE", "10/h"), "ip"),
    ("password-reset", "/accounts/password_reset/", env_str("PASSWORD_RESET_RATE", "5/h"), "ip"),
    ("join", "/classes/join/", env_str("JOIN_RATE", "20/h"), "user_or_ip"),
]
# A class's sign-in page (classroom.cards, decision 013): tries per class and per address,
# and wrong answers per card, after which that card waits (its teacher's reset clears it).
SIGN_IN_CLASS_RATE = env_rate("SIGN_IN_CLASS_RATE", "60/10m")
SIGN_IN_IP_RATE = env_rate("SIGN_IN_IP_RATE", "100/10m")
SIGN_IN_CARD_RATE = env_rate("SIGN_IN_CARD_RATE", "5/10m")
RECOGNIZE_PER_MINUTE = env_int("RECOGNIZE_PER_MINUTE", 6000)
SUBMITS_PER_MINUTE = env_int("SUBMITS_PER_MINUTE", 40)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    # An expected 403 or 404 is one line; only a server error keeps its traceback.
    "filters": {"client_errors_short": {"()": "hwr_site.log_filters.ClientErrorsShort"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["client_errors_short"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # A line per login otherwise; lockouts are still logged (WARNING).
    "loggers": {"axes": {"level": "WARNING"}},
}
