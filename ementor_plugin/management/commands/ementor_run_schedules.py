"""Do eMentor's periodic work once: close abandoned runs, then queue a run for every program that is due.

This is what the Celery beat entries in ``ementor_plugin.settings.common.BEAT_SCHEDULE`` do. Tutor runs no beat
process by default, so a site without one calls this command from cron instead, e.g. every 15 minutes::

    */15 * * * *  tutor local run lms ./manage.py lms ementor_run_schedules

Each queued run is handed to the Celery workers when it is committed, exactly as a staff request would be.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from ementor_plugin import api, errors


class Command(BaseCommand):
    """``manage.py lms ementor_run_schedules``: the beat schedule's work, for sites without Celery beat."""

    help = "Close abandoned matching runs and queue a run for every program whose schedule is due."

    def handle(self, *args, **options):
        """Recover stale runs first, so their programs count as due again."""
        stale = api.recover_stale_runs()
        queued = []
        for course_key in api.programs_due_for_run():
            try:
                queued.append(api.request_scheduled_run(course_key).id)
            except errors.NotFound:  # the program was deleted in between
                continue
        self.stdout.write(f"stale runs closed: {len(stale)}; runs queued: {len(queued)}")
