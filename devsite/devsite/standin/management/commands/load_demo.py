"""Load the devsite's demo course and its mentoring program, then run matching once.

The platform's side (users, enrollments, grades with per-area scores, certificates) goes into the stand-in
tables; everything about mentoring goes through ``ementor_plugin.api``, exactly as the XBlock and the REST API
do: the course team configures the program, about 60 learners and 12 mentors join with varied profiles
(skills, aspirations, languages, time zones, weekly availability) and goals, and a matching run is requested
(the Celery task runs it; eagerly here unless ``CELERY_BROKER_URL`` names a broker).

Idempotent: running it again updates the same rows, skips who already joined, and asks for one more run
(which pairs only people still waiting). Prints who to log in as.
"""

import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
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
from ementor_plugin import api
from ementor_plugin import errors as plugin_errors
from ementor_xblock.availability import to_utc_slots

DEMO_PASSWORD = "ementor-demo"  # a published demo password, for a local development site only
AREAS = ("Homework", "Labs", "Midterm Exam", "Final Exam")
N_LEARNERS = 60
N_STRONG = 12
N_JOINED = 56  # learners who joined as mentees; the others have not (yet), like "newcomer"
SKILLS = ["Python", "pandas", "Statistics", "Plotting", "SQL", "Data cleaning", "Machine learning", "Writing reports"]
TIME_ZONES = ["Europe/Paris", "America/New_York", "Asia/Kolkata", "America/Sao_Paulo", "Africa/Lagos",
              "Europe/Madrid", "Asia/Tokyo", "UTC", "Europe/Berlin"]
LANGUAGE_SETS = [["en"], ["en"], ["en"], ["en", "es"], ["en", "fr"], ["es"], ["fr", "en"], ["pt", "en"],
                 ["hi", "en"], ["de"], ["ar", "en"]]
PERIODS = ["morning", "afternoon", "evening", "night"]
ASPIRATIONS = [
    "I want to pass the labs and finally understand pandas.",
    "Become confident with statistics so I can use it at work.",
    "I am switching careers into data analysis and need a portfolio project.",
    "Make clear plots for my thesis and explain them well.",
    "Keep up with the weekly homework; I fall behind when I work late.",
    "Learn SQL well enough to answer questions at my job without help.",
    "Understand what the machine learning part of the course is really doing.",
    "Write better lab reports: my analysis is fine but my explanations are not.",
]
ABOUTS = [
    "I work as a data analyst and enjoy explaining pandas and plotting.",
    "Finished this course last year with a high grade; happy to help with the labs.",
    "Statistics teacher; I like helping people see the intuition behind the formulas.",
    "I write SQL every day and can help you turn questions into queries.",
    "PhD student who spends most days cleaning data and writing reports about it.",
    "Software developer moving into machine learning; I like pair programming in Python.",
]
GOALS = [
    ("Finish every lab on time", "All labs submitted before the deadline this month."),
    ("Raise my Labs score above 70%", "My Labs average is above 70% at the next graded lab."),
    ("Meet my mentor every two weeks", "We hold at least four conversations this term."),
    ("Explain my analysis in plain words", "My next report gets no comment about unclear explanations."),
    ("Build a small project with real data", "A notebook that answers one question about data I care about."),
]
MENTOR_GOALS = [
    ("Help my mentee get comfortable with pandas", "My mentee can load, clean and group data alone."),
    ("Meet my mentee every two weeks", "We hold at least four conversations this term."),
    ("Share how I use data analysis at work", "I show one real example from my work."),
]


class Command(BaseCommand):
    """``manage.py load_demo``: the demo course and mentoring program of the development site."""

    help = "Create the demo course, its staff and learners, the mentoring program and its participants, and match."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026, help="random seed for grades and profiles")
        parser.add_argument("--no-match", action="store_true", help="do not run matching")
        parser.add_argument("--send-email", action="store_true",
                            help="send the learners' notice e-mails (printed by the devsite's console backend)")

    def handle(self, *args, **options):
        rng = random.Random(options["seed"])
        key = CourseKey.from_string(settings.DEVSITE_COURSE_ID)
        # Dozens of "you have a partner" e-mails would bury the logins below; the notices are still in the course.
        settings.EMENTOR_SEND_EMAIL = options["send_email"]
        # One slow password hash shared by every demo account (hashing 74 times takes half a minute).
        self.password = make_password(DEMO_PASSWORD)
        with transaction.atomic():
            people = self._platform(key, rng)
        staff = people["staff"]
        self._program(staff, key)
        joined = self._participants(people, key, rng)
        if not options["no_match"]:
            self._match(staff, key)
        self._report(people, key, joined)

    # ----------------------------------------------------------------------------------------------------------
    # The platform's side: users, enrollments, grades, certificates
    # ----------------------------------------------------------------------------------------------------------

    def _platform(self, key, rng):
        CourseOverview.objects.update_or_create(id=key, defaults={"display_name": "Data Analysis with Python"})
        people = {"admin": self._user("admin", "Ada Admin", superuser=True),
                  "staff": self._user("staff", "Sam Staff")}
        CourseAccessRole.objects.get_or_create(user=people["staff"], course_id=key, role="staff")
        CourseEnrollment.objects.update_or_create(user=people["staff"], course_id=key, defaults={"is_active": True})
        people["learners"], people["strong"] = [], []
        for index in range(N_LEARNERS + N_STRONG):
            strong = index >= N_LEARNERS
            username = ("mentor" if index == N_LEARNERS else "mentee" if index == 0
                        else "newcomer" if index == N_LEARNERS - 1 else f"learner{index:02d}")
            user = self._user(username, f"Learner {index:02d}")
            CourseEnrollment.objects.update_or_create(user=user, course_id=key, defaults={"is_active": True})
            if strong:
                areas = {area: round(min(1.0, max(0.82, rng.gauss(0.9, 0.05))), 2) for area in AREAS}
            else:
                areas = {area: round(min(0.95, max(0.2, rng.gauss(0.64, 0.12))), 2) for area in AREAS}
            if username == "mentee":
                # The story the demo tells: a learner who needs help with the labs.
                areas.update({"Labs": 0.48, "Homework": 0.66, "Midterm Exam": 0.71, "Final Exam": 0.69})
            if username == "newcomer":
                areas.update({"Labs": 0.52, "Final Exam": 0.55})
            percent = round(sum(areas.values()) / len(areas), 3)
            PersistentCourseGrade.objects.update_or_create(
                user_id=user.id, course_id=key,
                defaults={"percent_grade": percent, "grade_breakdown": areas, "passed": percent >= 0.6},
            )
            if strong:
                GeneratedCertificate.objects.update_or_create(user=user, course_id=key,
                                                              defaults={"status": "downloadable"})
            (people["strong"] if strong else people["learners"]).append(user)
        return people

    def _user(self, username, full_name, superuser=False):
        first, _, last = full_name.partition(" ")
        user, _created = get_user_model().objects.get_or_create(
            username=username,
            defaults={"email": f"{username}@example.com", "first_name": first, "last_name": last},
        )
        user.is_staff = user.is_superuser = superuser
        user.password = self.password
        user.save()
        return user

    # ----------------------------------------------------------------------------------------------------------
    # The mentoring side, through ementor_plugin.api only
    # ----------------------------------------------------------------------------------------------------------

    @staticmethod
    def _program(staff, key):
        api.configure_program(
            staff.id, key,
            title="Data Analysis buddies",
            pitch="Pair up with a learner who did well in this course. Mentors are strong exactly where you want "
                  "to improve, speak your language and are free when you are.\n\nIt takes about thirty minutes "
                  "a week, for as long as the course runs.",
            benefits="- A partner who did well in the areas you find hardest\n- Help with the labs, at times "
                     "that suit you both\n- For mentors: a deeper understanding, and a line on your CV",
            outcomes="- Finish the labs on time\n- Understand the analysis, not just run the code\n- Mentees in "
                     "earlier runs finished more labs than learners without a mentor",
            skills=SKILLS,
            mentor_grade_threshold=0.8,
            weak_area_threshold=0.6,
            default_mentor_capacity=3,
            max_mentor_capacity=5,
            strategy="optimal",
            objective="coverage",
            weights={"skills": 30, "aspirations": 15, "performance": 25, "language": 15, "availability": 15},
            language_required=True,
            requires_approval=False,
            schedule="weekly",
        )

    def _participants(self, people, key, rng):
        consent = api.get_viewer(people["staff"].id, key).privacy_notice_version
        joined = 0
        mentees = [user for user in people["learners"] if user.username != "newcomer"][:N_JOINED]
        for user in mentees:
            profile = self._mentee_profile(user, rng)
            joined += self._join(user, key, consent, profile, rng.sample(GOALS, rng.randint(1, 2)))
        for user in people["strong"]:
            profile = self._mentor_profile(user, rng)
            joined += self._join(user, key, consent, profile, rng.sample(MENTOR_GOALS, rng.randint(1, 2)))
        return joined

    @staticmethod
    def _join(user, key, consent, profile, goals):
        try:
            api.join_program(user.id, key, consent_version=consent, **profile)
        except plugin_errors.Conflict:
            return 0  # joined in an earlier run of this command
        for title, criteria in goals:
            api.create_goal(user.id, key, title=title, success_criteria=criteria)
        return 1

    @staticmethod
    def _week(rng, time_zone, count):
        cells = {f"{rng.randrange(7)}-{rng.choice(PERIODS[:3])}" for _ in range(count)}
        return time_zone, to_utc_slots(sorted(cells), time_zone)

    def _mentee_profile(self, user, rng):
        if user.username == "mentee":
            return {"role": "mentee", "skills_wanted": ["Python", "pandas"], "languages": ["en", "fr"],
                    "aspirations": ASPIRATIONS[0], "experience_level": "beginner", "time_zone": "Europe/Paris",
                    "availability": to_utc_slots(["0-evening", "2-evening", "5-morning"], "Europe/Paris")}
        time_zone, slots = self._week(rng, rng.choice(TIME_ZONES), rng.randint(2, 5))
        return {
            "role": "mentee",
            "skills_wanted": rng.sample(SKILLS, rng.randint(1, 3)),
            "aspirations": rng.choice(ASPIRATIONS),
            "languages": rng.choice(LANGUAGE_SETS),
            "experience_level": rng.choice(["beginner", "beginner", "intermediate"]),
            "time_zone": time_zone,
            "availability": slots,
            "share_performance": rng.random() > 0.1,
        }

    def _mentor_profile(self, user, rng):
        if user.username == "mentor":
            return {"role": "mentor", "skills_offered": ["Python", "pandas", "Plotting"], "languages": ["en", "fr"],
                    "about": ABOUTS[0], "experience_level": "expert", "time_zone": "Europe/Paris", "capacity": 3,
                    "availability": to_utc_slots(["0-evening", "2-evening", "3-evening"], "Europe/Paris")}
        time_zone, slots = self._week(rng, rng.choice(TIME_ZONES), rng.randint(4, 8))
        return {
            "role": "mentor",
            "skills_offered": rng.sample(SKILLS, rng.randint(2, 4)),
            "about": rng.choice(ABOUTS),
            "languages": rng.choice(LANGUAGE_SETS[:9]),
            "experience_level": rng.choice(["advanced", "expert"]),
            "time_zone": time_zone,
            "availability": slots,
            "capacity": rng.randint(2, 4),
        }

    def _match(self, staff, key):
        run = api.request_run(staff.id, key)  # the task is enqueued when this commits (eagerly run in the devsite)
        run = api.get_run(staff.id, run.id)
        if run.is_open and getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False):
            run = api.execute_run(run.id)  # the task did not run it (no task wiring): do what it would do
        if run.is_open:
            self.stdout.write(f"Matching run {run.id} is queued: start a Celery worker to run it.")
        elif run.status == "succeeded":
            figures = run.figures
            self.stdout.write(self.style.SUCCESS(
                f"Matching run {run.id}: {figures.get('n_new', 0)} new pairings, "
                f"{figures.get('n_matched', 0)} of {figures.get('n_mentees', 0)} mentees paired."))
        else:
            self.stdout.write(self.style.WARNING(f"Matching run {run.id} did not finish: {run.error}"))

    # ----------------------------------------------------------------------------------------------------------

    def _report(self, people, key, joined):
        figures = api.get_program_figures(key)
        self.stdout.write(self.style.SUCCESS(f"Demo course {key} is ready."))
        self.stdout.write(f"  {figures.participants} participants ({figures.mentors} mentors, {figures.mentees} "
                          f"mentees; {joined} joined now), {figures.active_matches} active pairings.")
        mentee = people["learners"][0]
        partner = ""
        try:
            matches = api.list_my_matches(mentee.id, key)
            if matches:
                partner = f" (paired with {matches[0].partner.username})"
        except plugin_errors.EmentorError:
            pass
        self.stdout.write(f"Log in at /accounts/login/ with the password '{DEMO_PASSWORD}' as:")
        self.stdout.write(f"  mentee    a learner who needs help with the labs{partner}: /scenario/ementor.0/")
        self.stdout.write("  mentor    a learner whose grade qualifies them to mentor: /scenario/ementor.1/")
        self.stdout.write("  staff     course staff (course-team panel, matching runs): /scenario/ementor.2/")
        self.stdout.write("            and the Studio editor: /scenario/ementor.0/studio_view/")
        self.stdout.write("  newcomer  a learner who has not joined yet (the joining steps): /scenario/ementor.0/")
        self.stdout.write("  admin     platform admin (Django admin at /admin/)")
