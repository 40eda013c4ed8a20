"""The same development site on MariaDB (as Open edX runs on MySQL) with a real Redis broker."""

import os

from .base import *  # noqa: F403  pylint: disable=wildcard-import,unused-wildcard-import

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": os.environ.get("DEVSITE_DB_NAME", "ementor_devsite"),
        "USER": os.environ.get("DEVSITE_DB_USER", "root"),
        "PASSWORD": os.environ.get("DEVSITE_DB_PASSWORD", ""),
        "HOST": os.environ.get("DEVSITE_DB_HOST", "127.0.0.1"),
        "PORT": os.environ.get("DEVSITE_DB_PORT", "3306"),
        "OPTIONS": {"charset": "utf8mb4"},
        "TEST": {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"},
    }
}

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = False
