"""Settings common to every environment. ``plugin_settings`` only fills in what the host has not set itself.

Code reads these lazily (``getattr(settings, "EMENTOR_...")`` inside functions): plugin modules are imported
before the host's settings are final.
"""

DEFAULTS = {
    # .. setting_name: EMENTOR_FERNET_KEYS
    # .. setting_default: None
    # .. setting_description: Keys that encrypt eMentor's free text at rest (aspirations, about, goals, reasons).
    #   The first key encrypts; every key decrypts, so rotation is: put the new key first, run
    #   ``manage.py ementor_rotate_keys``, then drop the old key. When unset, the platform's ``FERNET_KEYS``
    #   are used, and when those are unset too, ``SECRET_KEY``.
    "EMENTOR_FERNET_KEYS": None,
    # .. setting_name: EMENTOR_PLATFORM_BACKEND
    # .. setting_default: "ementor_plugin.platform.lms.LmsPlatform"
    # .. setting_description: Dotted path of the class that answers platform questions (is this user enrolled,
    #   course staff, what are their grades). The default reads the LMS's own APIs; the devsite and tests point
    #   it at a stand-in with the same interface (``ementor_plugin.platform.base.Platform``).
    "EMENTOR_PLATFORM_BACKEND": "ementor_plugin.platform.lms.LmsPlatform",
    # .. setting_name: EMENTOR_PERFORMANCE_SOURCE
    # .. setting_default: "combined"
    # .. setting_description: Where learners' course performance comes from. "platform": the platform adapter's
    #   bulk grade read (in the LMS, the persisted course grades and subsection grades per assignment type).
    #   "snapshots": eMentor's own CoursePerformance rows, fed by the grade events and ``manage.py
    #   ementor_import_grades`` (for sites without the LMS grades app). "combined": both, the most recent
    #   figure winning per learner.
    "EMENTOR_PERFORMANCE_SOURCE": "combined",
    # .. setting_name: EMENTOR_MATCHING_QUEUE
    # .. setting_default: None
    # .. setting_description: Celery queue for matching runs, so an operator can route them to dedicated workers.
    #   None uses the platform's default queue.
    "EMENTOR_MATCHING_QUEUE": None,
    # .. setting_name: EMENTOR_CHUNKED_SCORING_THRESHOLD
    # .. setting_default: 20000
    # .. setting_description: Programs with at least this many mentees split their scoring into chunks handled by a
    #   Celery chord across workers; smaller programs are matched in one task.
    "EMENTOR_CHUNKED_SCORING_THRESHOLD": 20000,
    # .. setting_name: EMENTOR_SCORING_CHUNK_SIZE
    # .. setting_default: 5000
    # .. setting_description: Mentees per chunk when scoring is split across workers.
    "EMENTOR_SCORING_CHUNK_SIZE": 5000,
    # .. setting_name: EMENTOR_RUN_STALE_AFTER_SECONDS
    # .. setting_default: 1800
    # .. setting_description: A run that has reported no progress for this long is considered abandoned (its worker
    #   died) and may be restarted.
    "EMENTOR_RUN_STALE_AFTER_SECONDS": 1800,
    # .. setting_name: EMENTOR_RUN_MAX_ATTEMPTS
    # .. setting_default: 3
    # .. setting_description: A run whose workers keep stopping in the middle of it (killed, out of memory) is taken
    #   over by a new worker at most until it has had this many attempts; then it is marked failed instead of
    #   being handed on forever.
    "EMENTOR_RUN_MAX_ATTEMPTS": 3,
    # .. setting_name: EMENTOR_SEND_EMAIL
    # .. setting_default: True
    # .. setting_description: Also e-mail learners when a match is proposed or made (through Django's mail backend);
    #   the in-course notice is always shown.
    "EMENTOR_SEND_EMAIL": True,
    # .. setting_name: EMENTOR_PRIVACY_NOTICE_VERSION
    # .. setting_default: "2026-11"
    # .. setting_description: Version of the privacy notice and code of conduct learners accept; a participant whose
    #   consent names an older version is asked to accept again.
    "EMENTOR_PRIVACY_NOTICE_VERSION": "2026-11",
    # .. setting_name: EMENTOR_THROTTLE_RATES
    # .. setting_default: {"ementor_write": "120/hour", "ementor_run": "30/hour"}
    # .. setting_description: DRF throttle rates for the REST API's writes and for starting matching runs.
    "EMENTOR_THROTTLE_RATES": {"ementor_write": "120/hour", "ementor_run": "30/hour"},
}


#: eMentor's periodic tasks. They need a Celery beat process; Tutor runs none by default, so an operator either
#: adds ``--beat`` to one LMS worker (``LMS_WORKER_COMMAND`` filter) or calls ``manage.py lms ementor_run_schedules``
#: from cron, which does the same work without beat.
BEAT_SCHEDULE = {
    "ementor-enqueue-scheduled-runs": {
        "task": "ementor_plugin.tasks.enqueue_scheduled_runs",
        "schedule": 15 * 60.0,  # daily/weekly programs start within 15 minutes of being due
        "options": {"expires": 14 * 60.0},  # a backlog of these is useless: the next one does the same
    },
    "ementor-recover-stale-runs": {
        "task": "ementor_plugin.tasks.recover_stale_runs",
        "schedule": 10 * 60.0,
        "options": {"expires": 9 * 60.0},
    },
}


def add_beat_schedule(settings):
    """Add eMentor's periodic tasks to the host's Celery beat schedule, keeping every entry it already has.

    The LMS configures Celery from Django settings without a namespace, where the schedule is the old-style
    ``CELERYBEAT_SCHEDULE``; hosts using the ``CELERY`` namespace (the devsite) read ``CELERY_BEAT_SCHEDULE``.
    Both are extended, and an entry the operator already defined under the same name wins.
    """
    for name in ("CELERY_BEAT_SCHEDULE", "CELERYBEAT_SCHEDULE"):
        schedule = dict(getattr(settings, name, None) or {})
        for entry, spec in BEAT_SCHEDULE.items():
            schedule.setdefault(entry, dict(spec))
        setattr(settings, name, schedule)


def plugin_settings(settings):
    """Give every ``EMENTOR_*`` setting its default unless the host already chose a value."""
    for name, default in DEFAULTS.items():
        if not hasattr(settings, name):
            setattr(settings, name, default)
    add_beat_schedule(settings)
