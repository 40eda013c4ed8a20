"""The devsite's Celery app, configured like the LMS's: from Django settings, tasks autodiscovered.

eMentor itself never creates a Celery app (its tasks are ``shared_task``s); this one stands in for the LMS's.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "devsite.settings.base")

app = Celery("devsite")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
