"""Settings for the test suite. The database comes from EMENTOR_TEST_DB: sqlite (default), mariadb or postgresql."""

import os

from edx_django_utils.plugins import add_plugins

from .base import *  # noqa: F403  pylint: disable=wildcard-import,unused-wildcard-import
from .base import PROJECT_TYPE

_ENGINE = os.environ.get("EMENTOR_TEST_DB", "sqlite")
# Two suites on one server (a developer's run beside CI's) must not share a test database.
_TEST_NAME = os.environ.get("EMENTOR_TEST_DB_NAME", "test_ementor")
if _ENGINE == "mariadb":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "ementor",
            "USER": os.environ.get("EMENTOR_TEST_DB_USER", "root"),
            "PASSWORD": os.environ.get("EMENTOR_TEST_DB_PASSWORD", ""),
            "HOST": os.environ.get("EMENTOR_TEST_DB_HOST", "127.0.0.1"),
            "PORT": "3306",
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {"NAME": _TEST_NAME, "CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
        }
    }
elif _ENGINE == "postgresql":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "ementor",
            "USER": os.environ.get("EMENTOR_TEST_DB_USER", "postgres"),
            "HOST": os.environ.get("EMENTOR_TEST_DB_HOST", "127.0.0.1"),
            "PORT": "5432",
            "TEST": {"NAME": _TEST_NAME},
        }
    }
elif _ENGINE == "sqlite":
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
else:
    raise ValueError(f"EMENTOR_TEST_DB must be sqlite, mariadb or postgresql, not {_ENGINE!r}")

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_BROKER_URL = ""
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
EMENTOR_FERNET_KEYS = ["test-fernet-key-one"]

add_plugins(__name__, PROJECT_TYPE, "test")
