"""Load the devsite's demo course: a superuser, course staff, and learners with varied grades.

Idempotent: running it again updates the same rows. Prints who to log in as.
"""

import random

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from opaque_keys.edx.keys import CourseKey

from devsite.standin.models import (
    CourseAccessRole,
    CourseEnrollment,
    CourseOverview,
    GeneratedCertificate,
    PersistentCourseGrade,
)

DEMO_PASSWORD = "ementor-demo"  # a published demo password, for a local development site only
AREAS = ("Homework", "Labs", "Midterm Exam", "Final Exam")
N_LEARNERS = 60
N_STRONG = 12


class Command(BaseCommand):
    """``manage.py load_demo``: the demo course of the development site."""

    help = "Create the demo course, its staff and learners (with grades), and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed for the learners' grades")

    @transaction.atomic
    def handle(self, *args, **options):
        from django.conf import settings  # pylint: disable=import-outside-toplevel

        rng = random.Random(options["seed"])
        course_key = CourseKey.from_string(settings.DEVSITE_COURSE_ID)
        CourseOverview.objects.update_or_create(id=course_key, defaults={"display_name": "Data Analysis with Python"})

        admin = self._user("admin", "Ada Admin", superuser=True)
        staff = self._user("staff", "Sam Staff")
        CourseAccessRole.objects.get_or_create(user=staff, course_id=course_key, role="staff")
        CourseEnrollment.objects.update_or_create(user=staff, course_id=course_key, defaults={"is_active": True})

        for index in range(N_LEARNERS + N_STRONG):
            strong = index >= N_LEARNERS
            username = "mentor" if index == N_LEARNERS else ("mentee" if index == 0 else f"learner{index:02d}")
            user = self._user(username, f"Learner {index:02d}")
            CourseEnrollment.objects.update_or_create(user=user, course_id=course_key, defaults={"is_active": True})
            areas = {
                area: round(min(1.0, max(0.0, rng.gauss(0.88 if strong else 0.62, 0.1))), 2) for area in AREAS
            }
            if username == "mentee":
                areas["Labs"] = 0.48  # the story the demo tells: a mentee who needs help with the labs
            percent = round(sum(areas.values()) / len(areas), 3)
            PersistentCourseGrade.objects.update_or_create(
                user_id=user.id,
                course_id=course_key,
                defaults={"percent_grade": percent, "grade_breakdown": areas, "passed": percent >= 0.6},
            )
            if strong:
                GeneratedCertificate.objects.update_or_create(
                    user=user, course_id=course_key, defaults={"status": "downloadable"}
                )

        self.stdout.write(self.style.SUCCESS(f"Demo course {course_key} is ready."))
        self.stdout.write(f"Log in at /accounts/login/ with the password '{DEMO_PASSWORD}' as:")
        self.stdout.write(f"  {admin.username:8} platform admin (Django admin at /admin/)")
        self.stdout.write(f"  {staff.username:8} course staff (staff panel, matching runs)")
        self.stdout.write("  mentee   a learner who needs help with the labs")
        self.stdout.write("  mentor   a learner whose grade qualifies them to mentor")
        self.stdout.write("Then open the XBlock at /scenario/ementor.0/")

    @staticmethod
    def _user(username, full_name, superuser=False):
        first, _, last = full_name.partition(" ")
        user, _created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
        )
        user.is_staff = user.is_superuser = superuser
        user.set_password(DEMO_PASSWORD)
        user.save()
        return user
