"""Development-site settings: SQLite under var/, tasks run eagerly unless CELERY_BROKER_URL is set.

eMentor is loaded exactly as the LMS loads plugins: INSTALLED_APPS from ``get_plugin_apps``, settings through
``add_plugins``, URLs from ``get_plugin_url_patterns`` and receivers from ``connect_plugin_receivers``.
"""

import os
from pathlib import Path

from edx_django_utils.plugins import add_plugins, get_plugin_apps

PROJECT_TYPE = "lms.djangoapp"  # the devsite plays the LMS

DEVSITE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("DEVSITE_VAR_DIR", DEVSITE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = os.environ.get("DEVSITE_SECRET_KEY", "devsite-only-secret-key-never-use-in-production")
DEBUG = os.environ.get("DEVSITE_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "openedx_events",
    "djpyfs",
    "workbench",
    "devsite.standin",
    "devsite.apps.DevsiteHostConfig",
]
INSTALLED_APPS.extend(get_plugin_apps(PROJECT_TYPE))

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "edx_rest_framework_extensions.auth.jwt.middleware.JwtAuthCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "devsite.middleware.WorkbenchLoginMiddleware",
]

ROOT_URLCONF = "devsite.urls"
WSGI_APPLICATION = "devsite.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [DEVSITE_DIR / "devsite" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.i18n",
                "django.template.context_processors.request",
                "django.template.context_processors.static",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": str(VAR_DIR / "devsite.db"),
        "OPTIONS": {"timeout": 30},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("eo", "Esperanto (test locale)")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = str(VAR_DIR / "static")

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"

# Workbench (xblock-sdk): the runtime the devsite renders the eMentor XBlock in.
EXCLUDED_XBLOCKS = {
    "allscopes_demo", "attempts_scoreboard_demo", "equality_demo", "filethumbs", "helloworld_demo", "html_demo",
    "problem_demo", "sidebar_demo", "slider_demo", "textinput_demo", "thumbs", "view_counter_demo",
}
WORKBENCH = {
    "reset_state_on_restart": False,
    "services": {
        "fs": "xblock.reference.plugins.FSService",
        "settings": "workbench.services.SettingsService",
    },
}
DJFS = {"type": "osfs", "directory_root": str(VAR_DIR / "djpyfs"), "url_root": "/static/djpyfs"}
DEVSITE_COURSE_ID = "course-v1:eMentorX+MENTOR101+2026"
# The workbench has no course: the XBlock reads the course it belongs to from its settings bucket instead.
XBLOCK_SETTINGS = {"EmentorXBlock": {"course_id": DEVSITE_COURSE_ID}}

# REST framework as the LMS configures it.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "edx_rest_framework_extensions.auth.jwt.authentication.JwtAuthentication",
        "edx_rest_framework_extensions.auth.session.authentication.SessionAuthenticationAllowInactiveUser",
    ],
    "DEFAULT_PAGINATION_CLASS": "edx_rest_framework_extensions.paginators.DefaultPagination",
    "PAGE_SIZE": 10,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
_JWT_SECRET = "devsite-only-jwt-secret-at-least-32-bytes-long"
JWT_AUTH = {
    "JWT_AUDIENCE": "devsite-audience",
    "JWT_ISSUER": "http://127.0.0.1:8000/oauth2",
    "JWT_SECRET_KEY": _JWT_SECRET,
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_AUDIENCE": True,
    "JWT_ISSUERS": [
        {"AUDIENCE": "devsite-audience", "ISSUER": "http://127.0.0.1:8000/oauth2", "SECRET_KEY": _JWT_SECRET},
    ],
    "JWT_PUBLIC_SIGNING_JWK_SET": None,
    "JWT_AUTH_COOKIE_HEADER_PAYLOAD": "edx-jwt-cookie-header-payload",
    "JWT_AUTH_COOKIE_SIGNATURE": "edx-jwt-cookie-signature",
    "JWT_AUTH_HEADER_PREFIX": "JWT",
}

# Celery: eager by default so the demo needs no broker; a real broker when CELERY_BROKER_URL is set.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# eMentor asks the devsite's stand-in tables, shaped like the platform's, what the LMS would answer.
EMENTOR_PLATFORM_BACKEND = "devsite.standin.platform.StandinPlatform"
EMENTOR_FERNET_KEYS = [os.environ.get("EMENTOR_FERNET_KEY", "devsite-only-fernet-key")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "ementor_plugin": {"handlers": ["console"], "level": os.environ.get("EMENTOR_LOG_LEVEL", "INFO")},
        "stevedore": {"handlers": ["console"], "level": "ERROR"},
    },
}

add_plugins(__name__, PROJECT_TYPE, "common")
