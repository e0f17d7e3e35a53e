"""ResolutionFlow settings: one file, configured by environment variables.

Without DATABASE_URL / REDIS_URL the project runs embedded (SQLite, in-memory channel layer,
eager Celery). With them it runs on PostgreSQL, channels-redis and a real broker. The switch is
configuration only. Bad values fail at start-up with a clear message (django-environ).
"""

import base64
import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Core ------------------------------------------------------------------------------------
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG=0.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "daphne",
    "resolutionflow.apps.ResolutionFlowAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "anymail",
    "axes",
    # Sign-in, password reset and change, the TOTP second factor (accounts/sign_in.py, docs/security.md).
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "escalations",
    "notifications",
    "analytics",
]

MIDDLEWARE = [
    # First: every request gets an id and one log line, whatever answers it (resolutionflow.logs).
    "resolutionflow.logs.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "resolutionflow.middleware.BodySizeLimitMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # allauth's login stages (password, then the second factor) and its reauthentication.
    "allauth.account.middleware.AccountMiddleware",
    # A member of an account that requires two-factor sets it up before anything else.
    "accounts.mfa_policy.RequireMFAMiddleware",
    # The signed-in user's time zone for the pages (accounts.time_zones, docs/operations.md).
    "accounts.time_zones.TimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the lockout page (accounts.lockout).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "resolutionflow.urls"
WSGI_APPLICATION = "resolutionflow.wsgi.application"
ASGI_APPLICATION = "resolutionflow.asgi.application"

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
                "notifications.context_processors.bell",
            ],
        },
    },
]

# --- Database ----------------------------------------------------------------------------------
# Absent DATABASE_URL: a SQLite file (embedded mode).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# PostgreSQL: a connection pool per process (Django's `"pool"` option, psycopg_pool), not
# persistent connections. Under ASGI every request runs in a thread of its own and Django's
# connections are per thread, so CONN_MAX_AGE kept nothing for the next request (a new connection,
# ~3 ms, per request) and left each thread's connection to the garbage collector. The pool hands a
# request thread an open connection and takes it back when Django closes it at the request's end
# (docs/performance.md "The request floor"). DB_POOL_MAX_SIZE bounds the connections of one
# process (web or worker child): requests beyond it wait up to DB_POOL_TIMEOUT_SECONDS for one.
# DB_POOL_MAX_SIZE=0 turns the pool off (then CONN_MAX_AGE applies, as before).
DB_POOL_MAX_SIZE = env.int("DB_POOL_MAX_SIZE", default=10)
DB_POOL_MIN_SIZE = env.int("DB_POOL_MIN_SIZE", default=1)
DB_POOL_TIMEOUT_SECONDS = env.float("DB_POOL_TIMEOUT_SECONDS", default=10.0)
if DB_POOL_MAX_SIZE < 0 or DB_POOL_MIN_SIZE < 0 or (DB_POOL_MAX_SIZE and DB_POOL_MIN_SIZE > DB_POOL_MAX_SIZE):
    raise ImproperlyConfigured("DB_POOL_MIN_SIZE must be from 0 to DB_POOL_MAX_SIZE, and DB_POOL_MAX_SIZE at least 0.")
if DB_POOL_TIMEOUT_SECONDS <= 0:
    raise ImproperlyConfigured("DB_POOL_TIMEOUT_SECONDS must be positive.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    if DB_POOL_MAX_SIZE:
        if DATABASES["default"]["CONN_MAX_AGE"]:
            raise ImproperlyConfigured("CONN_MAX_AGE must be 0 with the connection pool (DB_POOL_MAX_SIZE=0 turns "
                                       "the pool off).")
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": DB_POOL_MIN_SIZE, "max_size": DB_POOL_MAX_SIZE, "timeout": DB_POOL_TIMEOUT_SECONDS,
        }
USES_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
# PostgreSQL's JIT compilation (`jit`, on by default) off for the app's connections: it pays off
# for long analytic scans, not for a web app's statements, and a plan whose estimated cost passes
# `jit_above_cost` compiles for ~2 s before running: the analytics statement over a 7-day window
# took 2,010 ms with JIT and 8 ms without (docs/performance.md "Analytics endpoint"). DB_JIT=1
# leaves the server's own setting.
DB_JIT = env.bool("DB_JIT", default=False)
if USES_POSTGRES and not DB_JIT:
    _db_options = DATABASES["default"].setdefault("OPTIONS", {})
    _db_options["options"] = f"{_db_options.get('options', '')} -c jit=off".strip()

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

# --- Channels, Celery, Redis -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Parallel test workers (and anyone sharing one Redis) keep their own key space.
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="asgi")
# The layer, chosen on purpose (docs/realtime.md): channels-redis' RedisChannelLayer ("core").
# `pubsub` (RedisPubSubChannelLayer) exists for the benchmark's comparison only: the presence
# store needs core's Redis connection, and core keeps a frame for a consumer that is briefly
# busy (capacity per channel) where pub/sub drops it.
CHANNEL_LAYER_BACKEND = env.str("CHANNEL_LAYER_BACKEND", default="core")
if CHANNEL_LAYER_BACKEND not in ("core", "pubsub"):
    raise ImproperlyConfigured("CHANNEL_LAYER_BACKEND must be 'core' or 'pubsub'.")
if REDIS_URL and CHANNEL_LAYER_BACKEND == "pubsub":
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                  "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX}}}
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis' core layer, with a connection pool that waits (channel_layer.py).
            "BACKEND": "resolutionflow.channel_layer.RedisChannelLayer",
            # capacity: messages a channel may have waiting before new ones are dropped. The
            # account-wide groups have one channel per web process (its hub,
            # escalations/broadcast.py): one escalation puts one card and one bell message on
            # it, however many engineers; 1,500 absorbs a burst of hundreds. expiry: a frame not
            # read within 60 s is stale. group_expiry: a membership lasts a day; re-joined every
            # REALTIME_REJOIN_SECONDS (below).
            "CONFIG": {"hosts": [REDIS_URL], "prefix": CHANNEL_LAYER_PREFIX, "capacity": 1500,
                       "expiry": 60, "group_expiry": 86400},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Redis clients that survive a Redis restart (docs/realtime.md, "When Redis goes away"). A pooled
# connection that the restart closed fails its next command: redis-py retries that command on a
# fresh connection (`retry`), so the first websocket connect after the restart succeeds; a
# connection idle longer than `health_check_interval` is PINGed before use.
# No `socket_timeout`, on purpose: with one, redis-py's asyncio client sends every command through
# `asyncio.wait_for`, which on Python 3.11 drops a cancellation that arrives as the write
# completes; a websocket consumer's channel receive, cancelled when its socket closes, then went
# on polling Redis forever (a leaked task per unlucky disconnect; an ASGI server that waits for
# its tasks never stopped: docs/realtime.md). Without it a receive's `BZPOPMIN` simply blocks its
# 5 s; a Redis that vanished without closing the connection is found by TCP instead: keepalive
# probes after 10 s idle, dead after 3 unanswered, and at most 20 s for unacknowledged data.
# The presence store uses these connections too (escalations/presence.py). The pool holds at most
# `max_connections` per process and event loop; a command that finds them all busy (hundreds of
# sockets connecting or leaving at once) waits up to `timeout` seconds for one instead of failing
# (resolutionflow/channel_layer.py).
if REDIS_URL:
    import socket as _socket

    from redis.asyncio.retry import Retry as _AsyncRetry
    from redis.backoff import ExponentialBackoff as _Backoff

    _keepalive = {getattr(_socket, name): value for name, value in (
        ("TCP_KEEPIDLE", 10), ("TCP_KEEPINTVL", 5), ("TCP_KEEPCNT", 3), ("TCP_USER_TIMEOUT", 20_000))
        if hasattr(_socket, name)}  # Linux has all four
    for _layer in CHANNEL_LAYERS.values():
        _layer["CONFIG"]["hosts"] = [{
            "address": REDIS_URL,
            "retry": _AsyncRetry(_Backoff(cap=0.2, base=0.05), 2),
            "health_check_interval": 15,
            "socket_connect_timeout": 2,
            "socket_timeout": None,
            "socket_keepalive": True,
            "socket_keepalive_options": _keepalive,
            # The pool's (core layer: resolutionflow/channel_layer.py).
            **({"max_connections": 64, "timeout": 5} if CHANNEL_LAYER_BACKEND == "core" else {}),
        }]

# channels-redis forgets a group membership after group_expiry (a day): sockets (on their pings)
# and each process's realtime hub re-join their groups this often (escalations/broadcast.py).
REALTIME_REJOIN_SECONDS = env.float("REALTIME_REJOIN_SECONDS", default=3600.0)
if not 0 < REALTIME_REJOIN_SECONDS < 86400:
    raise ImproperlyConfigured("REALTIME_REJOIN_SECONDS must be between 0 and 86400 (group_expiry).")

# The production web process collects its garbage between requests, a full collection about this
# often (resolutionflow/quiet_gc.py).
WEB_FULL_GC_SECONDS = env.float("WEB_FULL_GC_SECONDS", default=60.0)
if WEB_FULL_GC_SECONDS <= 0:
    raise ImproperlyConfigured("WEB_FULL_GC_SECONDS must be positive.")

# An open websocket's user, token or browser session is read again on every ping (browsers ping
# every 25 s), and at least this often for a client that does not ping (docs/realtime.md).
WEBSOCKET_RECHECK_SECONDS = env.float("WEBSOCKET_RECHECK_SECONDS", default=60.0)

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not bool(env.str("CELERY_BROKER_URL", default=REDIS_URL))
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=CELERY_TASK_ALWAYS_EAGER)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
# Celery's Django fixup closes a worker child's whole database connection pool every this many
# tasks, and at every task when unset: new PostgreSQL connections for each task. In effect never
# here (at 1,000 a 500-engineer escalation's ~1,000 tasks still reopened the pool each time): the
# worker hands its connection back to the pool at each task's end as a request does
# (resolutionflow/celery.py), the pool replaces connections itself (psycopg_pool's max_lifetime,
# an hour; the health check on each checkout), and a forked child still drops what it inherited.
CELERY_DB_REUSE_MAX = 2**62
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 30
CELERY_TASK_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_DEFAULT_QUEUE = "notifications"
CELERY_TASK_ROUTES = {
    "escalations.tasks.*": {"queue": "assessment"},
    # PSA notes go to the psa queue (slow vendor APIs must not hold up chat and email).
    "notifications.tasks.deliver_psa": {"queue": "psa"},
    # The fan-out of escalation events (bells first) never waits behind a backlog of deliveries.
    "notifications.tasks.fan_out_event": {"queue": "fanout"},
    "notifications.tasks.*": {"queue": "notifications"},
    # Discovering a PSA connection's endpoints (after it is saved) calls the vendor: psa too.
    "notifications.tasks.discover_psa_endpoints": {"queue": "psa"},
}
CELERY_BEAT_SCHEDULE = {
    # The outbox sweeper: re-queues due retries and deliveries whose dispatch was lost.
    "sweep-deliveries": {"task": "notifications.tasks.sweep_deliveries", "schedule": 30.0},
    # Re-queue the fan-out of escalation events whose task was lost (broker down, worker killed).
    "sweep-events": {"task": "notifications.tasks.sweep_events", "schedule": 30.0},
    # Re-notify admins about escalations waiting unclaimed (Account.escalation_renotify_minutes).
    "renotify-waiting-escalations": {"task": "notifications.tasks.renotify_waiting_escalations", "schedule": 60.0},
    # Re-queue AI assessments stuck in `pending` (broker was down), time out the ones pending for an hour.
    "requeue-stale-assessments": {"task": "escalations.tasks.requeue_stale_assessments", "schedule": 60.0},
    # Retention: delete expired idempotency records, old deliveries, read notifications and events.
    "purge-expired-rows": {"task": "notifications.tasks.purge_expired_rows", "schedule": 3600.0},
    # Analytics: refresh the per-day rollups written since their last refresh (analytics.rollups).
    "refresh-analytics-days": {"task": "analytics.tasks.refresh_stale_days", "schedule": 60.0},
}

# --- Auth and sessions ------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# An invite link (the members page, accounts/invites.py) works this many days, once.
try:
    INVITE_EXPIRY_DAYS = env.int("INVITE_EXPIRY_DAYS", default=7)
except ValueError:
    INVITE_EXPIRY_DAYS = None
if INVITE_EXPIRY_DAYS is None or not 1 <= INVITE_EXPIRY_DAYS <= 90:
    raise ImproperlyConfigured("INVITE_EXPIRY_DAYS must be a whole number of days from 1 to 90.")
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in lockout (django-axes; accounts/lockout.py, docs/security.md). The axes backend goes
# first: it refuses a locked-out attempt before any password is checked. API tokens (knox) do not
# sign in through authenticate() and are not affected.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # allauth's: emails matched case-insensitively; allauth signs people in with it.
    "allauth.account.auth_backends.AuthenticationBackend",
]
# Failures for one (typed email, client address) pair that lock that pair, and failures from one
# address (any emails) that lock the address; both for LOGIN_LOCKOUT_MINUTES after the last one.
AXES_FAILURE_LIMIT = env.int("LOGIN_LOCKOUT_FAILURES", default=10)
LOGIN_LOCKOUT_ADDRESS_FAILURES = env.int("LOGIN_LOCKOUT_ADDRESS_FAILURES", default=50)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_LOCKOUT_MINUTES", default=15))
if not (1 <= AXES_FAILURE_LIMIT <= LOGIN_LOCKOUT_ADDRESS_FAILURES and AXES_COOLOFF_TIME.total_seconds() > 0):
    raise ImproperlyConfigured("LOGIN_LOCKOUT_FAILURES must be at least 1, LOGIN_LOCKOUT_ADDRESS_FAILURES at least "
                               "as high, and LOGIN_LOCKOUT_MINUTES positive.")
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "accounts.lockout.LockoutHandler"
AXES_USERNAME_CALLABLE = "accounts.lockout.lockout_username"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"
# The client address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT=N (our load balancers/proxies in
# front of the app) the N-th X-Forwarded-For entry from the right. Never the header by default:
# anyone can write it. (django-ipware is not installed, so axes' AXES_IPWARE_* do not apply.)
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "accounts.lockout.client_ip"
# A lock lasts LOGIN_LOCKOUT_MINUTES from the failure that set it; attempts while locked are refused
# and not counted. No per-login audit table (it would grow forever; request logs record sign-ins).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True
AXES_VERBOSE = False  # no banner at every process start; failures and lockouts are still logged

# Sign-in on django-allauth (accounts/sign_in.py, docs/security.md "Sign-in"): email + password,
# no self-signup, password reset by email, TOTP as the second factor. One lockout for every
# sign-in path: django-axes above, so allauth's own limits on logins are off (they would count
# differently and answer differently); its limits on reset emails and on codes stay.
ACCOUNT_ADAPTER = "accounts.sign_in.AccountAdapter"
ACCOUNT_FORMS = {"login": "accounts.sign_in.LoginForm"}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_USER_MODEL_EMAIL_FIELD = "email"
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_SESSION_REMEMBER = True  # a sign-in lasts SESSION_COOKIE_AGE, as before allauth
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = False  # a reset for an unknown email sends nothing (and says the same)
ACCOUNT_EMAIL_SUBJECT_PREFIX = "ResolutionFlow: "
ACCOUNT_RATE_LIMITS = {"login_failed": False, "login": False}
MFA_ADAPTER = "accounts.sign_in.MFAAdapter"  # TOTP secrets encrypted with FIELD_ENCRYPTION_KEY
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "ResolutionFlow"

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # knox's, doing constant work per request (accounts/auth.py).
        "accounts.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.IsAccountMember"],
    # Request bodies are JSON objects (docs/api.md); any other Content-Type is 415. Form encodings
    # can say neither null nor an empty list, and the OpenAPI document lists JSON only.
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's anonymous and per-user throttles, failing open when their cache (Redis) is down.
    "DEFAULT_THROTTLE_CLASSES": [
        "resolutionflow.throttling.AnonRateThrottle",
        "resolutionflow.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("THROTTLE_ANON", default="60/min"),
        "user": env.str("THROTTLE_USER", default="1200/min"),
    },
    "EXCEPTION_HANDLER": "resolutionflow.api.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
REST_KNOX = {
    # Personal API tokens expire only when their owner gave them an expiry; they are revoked by
    # deleting them (the API tokens page, /api/v1/tokens).
    "TOKEN_TTL": None,
    "AUTH_HEADER_PREFIX": "Token",
}
# knox's token model, swapped for ours: a public id, a name, when it was last used (accounts/models.py).
KNOX_TOKEN_MODEL = "accounts.ApiToken"
SPECTACULAR_SETTINGS = {
    "TITLE": "ResolutionFlow API",
    "DESCRIPTION": "Escalation Mode: FlowPilot sessions, handoffs, the queue, notifications, analytics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "UserRoleEnum": "accounts.models.Role",
        "MessageRoleEnum": "escalations.models.MessageRole",
        # Sessions had the only `status` enum before deliveries got one: it keeps its name.
        "StatusEnum": "escalations.models.SessionStatus",
        "DeliveryStatusEnum": "notifications.models.DeliveryStatus",
    },
    # Every operation's error answers (400, 401, 403, 404, 406, 413, 415, 429), in one place.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "resolutionflow.openapi.add_error_responses",
    ],
}
# Request bodies are bounded: larger ones get 413 (see resolutionflow.middleware).
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# Cache (throttling state). Redis when configured, so every process shares the counters. The
# throttles fail open when it is unreachable (resolutionflow/throttling.py), so it must answer
# fast or not at all: short timeouts, one quick retry on a fresh connection after a restart.
if REDIS_URL:
    from redis.backoff import ExponentialBackoff as _Backoff
    from redis.retry import Retry as _Retry

    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CHANNEL_LAYER_PREFIX,
            "OPTIONS": {
                "retry": _Retry(_Backoff(cap=0.05, base=0.01), 1),
                "health_check_interval": 15,
                "socket_connect_timeout": 0.5,
                "socket_timeout": 0.5,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Static files ------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env.str(
            "STATICFILES_BACKEND",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = True

# --- Email -------------------------------------------------------------------------------------
# EMAIL_URL (smtp+tls://user:password@host:587 for STARTTLS, smtp+ssl://...:465, smtp:// without TLS,
# consolemail://) or an anymail ESP via EMAIL_BACKEND + ANYMAIL_* settings.
if env.str("EMAIL_URL", default=""):
    _email = env.email_url("EMAIL_URL")
    # django-environ puts a query option it does not know (`?tls=True`) into an OPTIONS dict that
    # Django's email backends never read: the mail would go out without the TLS it asked for.
    if _email.pop("OPTIONS", None):
        raise ImproperlyConfigured("EMAIL_URL takes no query options: for TLS use smtp+tls:// (STARTTLS, "
                                   "port 587) or smtp+ssl:// (port 465).")
    vars().update(_email)
else:
    EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
ANYMAIL = {k[len("ANYMAIL_"):]: v for k, v in env.ENVIRON.items() if k.startswith("ANYMAIL_")}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="ResolutionFlow <noreply@resolutionflow.test>")

# --- Escalation Mode ---------------------------------------------------------------------------
AI_PROVIDER = env.str("AI_PROVIDER", default="builtin")
if AI_PROVIDER not in {"builtin", "openai", "anthropic"}:
    raise ImproperlyConfigured("AI_PROVIDER must be one of builtin, openai, anthropic.")
AI_BASE_URL = env.str("AI_BASE_URL", default="")
AI_API_KEY = env.str("AI_API_KEY", default="")
AI_MODEL = env.str("AI_MODEL", default="")
ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS = env.float("ESCALATION_AI_ASSESSMENT_TIMEOUT_SECONDS", default=5.0)
# The copilot's whole answer (a streamed one included) must arrive within this; then it says it
# could not answer (escalations/copilot.py).
COPILOT_TIMEOUT_SECONDS = env.float("COPILOT_TIMEOUT_SECONDS", default=30.0)
if not 0 < COPILOT_TIMEOUT_SECONDS <= 110:
    raise ImproperlyConfigured("COPILOT_TIMEOUT_SECONDS must be more than 0 and at most 110 (the task's time limit).")
# Secrets at rest (webhook/Slack/Teams URLs, webhook secrets, PSA credentials): one Fernet key, or
# several comma-separated to rotate (the first encrypts). DEBUG without a key: a dev key derived
# from SECRET_KEY. Production refuses to start without one.
FIELD_ENCRYPTION_KEY = env.str("FIELD_ENCRYPTION_KEY", default="")
if not FIELD_ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be set when DEBUG=0 (generate one: python -c "
            "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')."
        )
    FIELD_ENCRYPTION_KEY = base64.urlsafe_b64encode(
        hashlib.sha256(b"resolutionflow-field-encryption:" + SECRET_KEY.encode()).digest()
    ).decode()
try:
    [Fernet(_k.strip().encode()) for _k in FIELD_ENCRYPTION_KEY.split(",") if _k.strip()]
except ValueError:
    raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY must hold url-safe base64 32-byte Fernet keys.") from None
OUTBOUND_ALLOW_PRIVATE_NETWORKS = env.bool("OUTBOUND_ALLOW_PRIVATE_NETWORKS", default=False)
# Outbound HTTP (resolutionflow/outbound, docs/security.md "Outbound requests (SSRF)"): the total
# budget of one request (connect, send and every read together), the connect and per-read
# limits inside it, and how many bytes of an answer are read at most.
OUTBOUND_HTTP_TIMEOUT_SECONDS = env.float("OUTBOUND_HTTP_TIMEOUT_SECONDS", default=10.0)
OUTBOUND_HTTP_CONNECT_TIMEOUT_SECONDS = env.float("OUTBOUND_HTTP_CONNECT_TIMEOUT_SECONDS", default=5.0)
OUTBOUND_HTTP_READ_TIMEOUT_SECONDS = env.float("OUTBOUND_HTTP_READ_TIMEOUT_SECONDS", default=10.0)
OUTBOUND_MAX_RESPONSE_BYTES = env.int("OUTBOUND_MAX_RESPONSE_BYTES", default=1024 * 1024)
# Autotask's zone discovery host (zoneInformation), docs/psa.md; tests point it at loopback.
AUTOTASK_ZONE_DISCOVERY_URL = env.str("AUTOTASK_ZONE_DISCOVERY_URL", default="https://webservices.autotask.net")
# Outbound deliveries (docs/notifications.md): how long a delivery is retried, and when a row
# claimed by a worker counts as lost.
WEBHOOK_RETRY_HOURS = env.float("WEBHOOK_RETRY_HOURS", default=24.0)
DELIVERY_STUCK_AFTER_SECONDS = env.int("DELIVERY_STUCK_AFTER_SECONDS", default=300)
# After `POST /api/v1/webhooks/{id}/rotate-secret` the replaced secret still signs deliveries (a
# second `v1=` in the signature header) for this long, so integrators can switch without a gap.
# 0: the old secret stops at once. At most 30 days: a leaked secret must not live on for months.
try:
    WEBHOOK_SECRET_ROTATION_GRACE_HOURS = env.float("WEBHOOK_SECRET_ROTATION_GRACE_HOURS", default=24.0)
except ValueError:
    WEBHOOK_SECRET_ROTATION_GRACE_HOURS = None
if WEBHOOK_SECRET_ROTATION_GRACE_HOURS is None or not 0 <= WEBHOOK_SECRET_ROTATION_GRACE_HOURS <= 720:
    raise ImproperlyConfigured("WEBHOOK_SECRET_ROTATION_GRACE_HOURS must be a number of hours from 0 to 720.")
IDEMPOTENCY_WINDOW = timedelta(hours=24)
# How many messages of the conversation a handoff snapshot keeps.
HANDOFF_CONVERSATION_TAIL = 10

# --- Bounded growth (docs/operations.md "Limits and retention") -----------------------------------
# A session holds at most this many steps and messages (one more is a 400 that writes nothing);
# the session detail returns the most recent ones with `steps_total` / `messages_total`.
SESSION_MAX_STEPS = env.int("SESSION_MAX_STEPS", default=500)
SESSION_MAX_MESSAGES = env.int("SESSION_MAX_MESSAGES", default=500)
# A handoff's snapshot keeps the most recent steps (`steps_tried`, with `steps_tried_total`).
HANDOFF_MAX_STEPS_TRIED = env.int("HANDOFF_MAX_STEPS_TRIED", default=50)
if min(SESSION_MAX_STEPS, SESSION_MAX_MESSAGES, HANDOFF_MAX_STEPS_TRIED) < 1:
    raise ImproperlyConfigured("SESSION_MAX_STEPS, SESSION_MAX_MESSAGES and HANDOFF_MAX_STEPS_TRIED must be positive.")
# The retention job (notifications.retention, beat hourly and notifications_tick) deletes, in
# batches: idempotency records past IDEMPOTENCY_WINDOW; delivered, failed and dead deliveries (with
# their attempts) older than RETENTION_DELIVERY_DAYS; read notifications older than
# RETENTION_NOTIFICATION_DAYS; fanned-out escalation events older than RETENTION_EVENT_DAYS.
# Each kind at most RETENTION_BATCH_SIZE × RETENTION_MAX_BATCHES rows per run; the rest next run.
RETENTION_DELIVERY_DAYS = env.int("RETENTION_DELIVERY_DAYS", default=30)
RETENTION_NOTIFICATION_DAYS = env.int("RETENTION_NOTIFICATION_DAYS", default=90)
RETENTION_EVENT_DAYS = env.int("RETENTION_EVENT_DAYS", default=30)
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=1000)
RETENTION_MAX_BATCHES = env.int("RETENTION_MAX_BATCHES", default=20)
if min(RETENTION_DELIVERY_DAYS, RETENTION_NOTIFICATION_DAYS, RETENTION_EVENT_DAYS,
       RETENTION_BATCH_SIZE, RETENTION_MAX_BATCHES) < 1:
    raise ImproperlyConfigured("RETENTION_* settings must be positive (days, batch size, batches per run).")

# --- Security (production) ---------------------------------------------------------------------
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Probes and Prometheus scrape the processes directly, over the internal network, in plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy -------------------------------------------------------------------
# Sent on every response, DEBUG or not (django-csp, csp.middleware.CSPMiddleware in MIDDLEWARE).
# Scripts, styles and fetches come from this origin only: no inline <script>, <style>, style= or
# on*= attributes in any page, and page scripts put data into the page as text (docs/security.md).
# 'self' covers the page's own ws:/wss: origin in current browsers (CSP Level 3); SITE_URL's
# websocket origin is listed as well for browsers that predate that.
_site_scheme, _, _site_rest = SITE_URL.partition("://")
_site_ws = f"{'wss' if _site_scheme == 'https' else 'ws'}://{_site_rest.split('/', 1)[0]}"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'", _site_ws],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
# With the block above (nosniff, X-Frame-Options DENY), also in every mode: no full URLs leak
# to other origins in the Referer header.
SECURE_REFERRER_POLICY = "same-origin"

# --- I18N, logging -----------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# LOG_FORMAT=json: one JSON object per line, with request_id / account_id / handoff_id on every
# record where known; one line per request, Celery task and delivery attempt (resolutionflow.logs).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in {"plain", "json"}:
    raise ImproperlyConfigured("LOG_FORMAT must be plain or json.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": True,
        },
    },
    "filters": {"context": {"()": "resolutionflow.logs.ContextFilter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["context"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes logs every sign-in at INFO; its warnings (failures, lockouts) are what matters.
    "loggers": {"django.request": {"level": "ERROR"}, "axes": {"level": "WARNING"}},
}

# --- Metrics -----------------------------------------------------------------------------------
# `/metrics` (Prometheus text) answers only `Authorization: Bearer <METRICS_TOKEN>`; unset, it is
# 404. Several processes per host: set PROMETHEUS_MULTIPROC_DIR (read by prometheus_client from
# the environment; see resolutionflow/metrics.py and docs/operations.md).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
