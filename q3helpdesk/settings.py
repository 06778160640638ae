"""Settings of q3helpdesk, read from the environment (and an optional `.env` file).

Development: `DEBUG=on` (written into `.env` by `make dev`) gives a development secret
key and the SQLite file `db.sqlite3`. Production: set `SECRET_KEY`, `ALLOWED_HOSTS`,
`DATABASE_URL=postgres://…` and `EMAIL_URL`; see the README.
"""

import sys
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Variables already in the environment win over the file.
environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
# Checking that the models and migrations agree reads code only: a fresh clone may do it
# without a secret (it writes nothing, signs nothing, serves nothing).
_MIGRATIONS_CHECK = sys.argv[1:2] == ["makemigrations"] and (
    "--check" in sys.argv or "--dry-run" in sys.argv
)
if not SECRET_KEY:
    if not DEBUG and not _MIGRATIONS_CHECK:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable to a long random "
            "value (for example: python -c 'import secrets; print(secrets.token_urlsafe(50))'), "
            "or set DEBUG=on for local development only."
        )
    SECRET_KEY = "django-insecure-development-key-never-use-in-production"  # noqa: S105
# Rotating the key: put the new key in SECRET_KEY and the old one here (comma-separated)
# for as long as sessions and password-reset links signed with it should stay valid.
SECRET_KEY_FALLBACKS = env.list("SECRET_KEY_FALLBACKS", default=[])

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # pg_trgm lookups for the caller lookup's typo search (harmless on SQLite).
    "django.contrib.postgres",
    "crispy_forms",
    "crispy_bootstrap5",
    "django_tables2",
    "django_filters",
    "django_htmx",
    "template_partials",
    "phonenumber_field",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "q3helpdesk.accounts",
    "csp",
    "customers",
    "billing",
    "cases",
    "q3helpdesk",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "q3helpdesk.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise: static files need no policy; every response of Django gets one.
    "q3helpdesk.headers.ContentSecurityPolicyMiddleware",
    "q3helpdesk.headers.SecurityHeadersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "q3helpdesk.accounts.middleware.TwoFactorMiddleware",
    "q3helpdesk.accounts.middleware.SessionIdleMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After the user, the language and the messages are known: its 400 page is a page.
    "q3helpdesk.bad_requests.RefuseNulBytesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "q3helpdesk.urls"

# customers sits below billing (DESIGN §2): its services call the credit ledger through
# the module named here (customers.credit) instead of importing billing.
CUSTOMERS_CREDIT_LEDGER = "billing.credit_ledger"
WSGI_APPLICATION = "q3helpdesk.wsgi.application"

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
                "q3helpdesk.context_processors.roles",
                "q3helpdesk.context_processors.activities",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
# SQLite is the zero-set-up default; PostgreSQL is selected with DATABASE_URL.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # The web server and the background worker write to the same file: take the
            # write lock at BEGIN so that transactions serialise instead of failing, and
            # let readers go on while a writer works.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # PostgreSQL's JIT compiler costs some 40 ms on each of the dashboard's aggregate
    # queries, which run in a few milliseconds without it: off for this connection, unless
    # DATABASE_URL sets ``?options=...`` itself.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("options", "-c jit=off")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses every login of a locked-out account+address.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: after LOGIN_FAILURE_LIMIT wrong passwords for one username from one
# address, that pair is locked for LOGIN_COOLOFF_MINUTES (`manage.py axes_reset_username
# NAME` unlocks at once). A correct login resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Its start-up banner would open the output of every manage.py command; lockouts still log.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "q3helpdesk.accounts.views.locked_out"
AXES_CLIENT_IP_CALLABLE = "q3helpdesk.accounts.client_ip.client_ip"
# Behind a reverse proxy: how many proxies in front of Django append to X-Forwarded-For.
# 0 (the default) trusts no header and uses the address of the connection (REMOTE_ADDR).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
# Two-factor login (TOTP + recovery codes) for superusers and the Billing group; on in
# production, off with DEBUG=on unless set.
REQUIRE_2FA = env.bool("REQUIRE_2FA", default=not DEBUG)
OTP_TOTP_ISSUER = "q3helpdesk"

# --- Sessions ----------------------------------------------------------------------------
# A session idle for SESSION_IDLE_MINUTES (default 8 hours: a desk shift) is over: the
# cookie and the database row expire together. Activity extends it, but the session is
# written again at most every SESSION_ACTIVITY_REFRESH_SECONDS (not on every request), so
# the timeout may fall up to that much early (q3helpdesk/accounts/middleware.py).
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_MINUTES", default=8 * 60) * 60
SESSION_ACTIVITY_REFRESH_SECONDS = 5 * 60

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Swiss number and date formats (1'234.50, 26.11.2026) in every language.
FORMAT_MODULE_PATH = ["q3helpdesk.formats"]
TIME_ZONE = "Europe/Zurich"
USE_I18N = True
USE_TZ = True

PHONENUMBER_DEFAULT_REGION = "CH"
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "INTERNATIONAL"

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT: Path | None = BASE_DIR / "staticfiles"  # None in the test settings
STATICFILES_DIRS = [BASE_DIR / "static"]
# Static files come from the finders in development, from STATIC_ROOT (collectstatic) in
# production.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"

# --- E-mail ----------------------------------------------------------------------------
# EMAIL_URL, e.g. smtp+tls://user:password@mail.example.ch:587 or consolemail://
vars().update(
    env.email_url("EMAIL_URL", default="consolemail://" if DEBUG else "smtp://localhost:25")
)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="support@q3software.example")
# Incoming support e-mail: attachments of one message are kept up to this size (bytes);
# the raw message is always kept whole.
MAIL_MAX_ATTACHMENT_BYTES = env.int("MAIL_MAX_ATTACHMENT_BYTES", default=25 * 1024 * 1024)
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
# The support mailbox `mail_fetch` reads (see cases/mail_fetch.py), e.g.
# imaps://support%40q3software.ch:PASSWORD@mail.example.ch:993/INBOX?filed=Filed
INBOUND_MAIL_URL = env.str("INBOUND_MAIL_URL", default="")

# --- Background work (django-tasks, database backend: `manage.py db_worker`) ------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# --- Forms and tables ------------------------------------------------------------------
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5.html"

# --- API for other systems (q3helpdesk/api, README "API for other systems") ---------------
# Read-only JSON, a token per system (no session, no browsable page, no form parsing);
# every list paged by cursor. API_RATE: requests per client and minute.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["q3helpdesk.api.auth.ApiTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["q3helpdesk.api.permissions.HasScope"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [],
    "DEFAULT_SCHEMA_CLASS": "q3helpdesk.api.schema.ScopedAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["q3helpdesk.api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"client": f"{env.int('API_RATE', default=1200)}/min"},
    "URL_FORMAT_OVERRIDE": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "q3helpdesk API",
    "DESCRIPTION": (
        "Read-only access for other systems (ERP, telephone system, BI): customers with their "
        "support status and credit, the caller lookup, cases, posted time and invoices. "
        "Send the system's token as `Authorization: Bearer <token>`; each endpoint needs one "
        "scope of the token. Lists are paged by cursor (`next`, `previous`)."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security (production) -------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# --- Content-Security-Policy (django-csp) ------------------------------------------------
# Scripts, styles, fonts and images come from our own origin only: no inline script, event
# handler or style attribute (static/js and static/css/q3helpdesk.css hold them; htmx is
# told not to inject its indicator style, see base.html). "data:" images are Bootstrap's
# SVG icons (select arrow, close button, navbar toggler). The admin alone may use inline
# styles (q3helpdesk/headers.py). Permissions-Policy and Cache-Control: q3helpdesk/headers.py.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# --- Logging ------------------------------------------------------------------------------
# One line per event on standard error (journald, docker logs … keep it): time, level,
# logger, message. LOG_LEVEL sets what the app's own loggers report (DEBUG, INFO, WARNING,
# ERROR): e-mail sent or failed, mail fetched and filed, PDFs, invoice runs. Everything
# else reports its warnings only; Django its requests' errors and warnings too.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(
        f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {LOG_LEVEL!r}."
    )
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {
            "format": "{asctime} {levelname} {name}: {message}",
            "style": "{",
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        **{app: {"level": LOG_LEVEL} for app in ("customers", "billing", "cases", "q3helpdesk")},
        "django": {"level": "INFO"},
        # PDF rendering reports every step at INFO; its warnings still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
