"""Settings of the integration tests' worker and driver: the devsite on MariaDB with a real Redis broker.

Everything that could collide with other test runs on this machine is dedicated: the database
(``EMENTOR_IT_DB``; the tests use ``test_ementor_worker_<pid>``), the Redis database number
(``EMENTOR_IT_REDIS_DB``) and the queue (``EMENTOR_MATCHING_QUEUE``).
Celery is configured as the LMS configures it where it matters: JSON messages, task protocol 1, late acks
with a prefetch of one, and either a Redis result backend or ``django-cache`` (a Django cache backed by Redis,
as Tutor sets it up) for the chord, chosen by ``EMENTOR_IT_RESULT_BACKEND``.
"""

import os

from devsite.settings.mariadb import *  # noqa: F403  pylint: disable=wildcard-import,unused-wildcard-import

_REDIS = f"redis://127.0.0.1:6379/{int(os.environ.get('EMENTOR_IT_REDIS_DB', '11'))}"

DATABASES["default"]["NAME"] = os.environ.get("EMENTOR_IT_DB", "test_ementor_worker")  # noqa: F405
DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"]}  # noqa: F405
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "celery": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": _REDIS,
               "KEY_PREFIX": "celery", "TIMEOUT": 7200},
}

CELERY_BROKER_URL = _REDIS
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_PROTOCOL = 1  # what the LMS's Celery app sets
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A short visibility timeout (the recovery test) needs kombu's sweep for unacknowledged messages to run as often:
# since kombu 5.7 it runs every ``unacked_restore_interval`` seconds but scans only every ``throttle``-th time.
_VISIBILITY = int(os.environ.get("EMENTOR_IT_VISIBILITY_TIMEOUT", "3600"))
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _VISIBILITY}
if _VISIBILITY < 60:
    CELERY_BROKER_TRANSPORT_OPTIONS.update(unacked_restore_interval=1, unacked_restore_throttle=1)
if os.environ.get("EMENTOR_IT_RESULT_BACKEND", "redis") == "django-cache":
    CELERY_RESULT_BACKEND = "ementor_it_cache_backend:DjangoCacheBackend"
    CELERY_CACHE_BACKEND = "celery"
else:
    CELERY_RESULT_BACKEND = _REDIS
# The stand-in engine and the faults tests switch on; the end-to-end benchmark sets EMENTOR_IT_ENGINE=real.
CELERY_IMPORTS = [] if os.environ.get("EMENTOR_IT_ENGINE") == "real" else ["ementor_it_faults"]

EMENTOR_RUN_STALE_AFTER_SECONDS = int(os.environ.get("EMENTOR_IT_STALE_AFTER", "1800"))
EMENTOR_CHUNKED_SCORING_THRESHOLD = int(os.environ.get("EMENTOR_IT_CHUNK_THRESHOLD", "20000"))
EMENTOR_SCORING_CHUNK_SIZE = int(os.environ.get("EMENTOR_IT_CHUNK_SIZE", "5000"))
EMENTOR_SEND_EMAIL = os.environ.get("EMENTOR_IT_SEND_EMAIL", "1") == "1"
EMENTOR_FERNET_KEYS = ["integration-fernet-key"]
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ.get("EMENTOR_IT_MAIL_DIR", "/tmp/ementor-it-mail")
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING["loggers"]["ementor_plugin"]["level"] = "INFO"  # noqa: F405
EMENTOR_MATCHING_QUEUE = os.environ.get("EMENTOR_MATCHING_QUEUE") or None
