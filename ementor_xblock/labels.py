"""Words the panels show for the plugin's codes (factors, roles, reasons), marked for translation.

The tables hold English source strings only: ``gettext_noop`` marks them so ``make extract_translations``
finds them, and the block translates them when it renders, through the runtime's i18n service (the LMS
picks the learner's language per request, so nothing may be translated at import time).
"""

from __future__ import annotations


def gettext_noop(text: str) -> str:
    """Mark ``text`` for extraction without translating it (the i18n service translates it at render time)."""
    return text


#: Matching factors (``matching.FACTORS``): a short name and what the factor measures, in plain words.
FACTORS = {
    "skills": (gettext_noop("Skills"), gettext_noop("Skills the mentee wants help with that the mentor offers.")),
    "aspirations": (
        gettext_noop("Aspirations"),
        gettext_noop("How close the mentee's hopes are to what the mentor wrote about themself."),
    ),
    "performance": (
        gettext_noop("Course performance"),
        gettext_noop("Course areas where the mentor scored well and the mentee wants to improve."),
    ),
    "language": (gettext_noop("Language"), gettext_noop("Languages you both speak.")),
    "availability": (gettext_noop("Availability"), gettext_noop("Weekly hours when you are both free.")),
}

ROLES = {
    "mentee": gettext_noop("Mentee"),
    "mentor": gettext_noop("Mentor"),
    "both": gettext_noop("Mentor and mentee"),
}

PARTICIPANT_STATUSES = {
    "active": gettext_noop("Taking part"),
    "paused": gettext_noop("Paused: no new pairings"),
    "withdrawn": gettext_noop("Left the program"),
}

EXPERIENCE_LEVELS = {
    "beginner": gettext_noop("Beginner: new to the subject"),
    "intermediate": gettext_noop("Intermediate: I know the basics"),
    "advanced": gettext_noop("Advanced: I use it regularly"),
    "expert": gettext_noop("Expert: I could teach it"),
}

GOAL_STATUSES = {
    "open": gettext_noop("Not started"),
    "in_progress": gettext_noop("In progress"),
    "achieved": gettext_noop("Achieved"),
    "dropped": gettext_noop("Dropped"),
}

MATCH_STATUSES = {
    "proposed": gettext_noop("Awaiting the course team"),
    "active": gettext_noop("Active"),
    "declined": gettext_noop("Declined"),
    "ended": gettext_noop("Ended"),
}

RESPONSES = {
    "pending": gettext_noop("Has not answered yet"),
    "accepted": gettext_noop("Accepted"),
    "declined": gettext_noop("Declined"),
}

#: Why a learner declines a pairing. The code is stored with the reason, so the course team can count them.
DECLINE_REASONS = {
    "expertise": gettext_noop("The partner's skills do not fit what I need"),
    "schedule": gettext_noop("Our schedules or time zones do not fit"),
    "language": gettext_noop("We do not share a language I am comfortable in"),
    "time": gettext_noop("I do not have time for mentoring right now"),
    "other": gettext_noop("Another reason"),
}

#: ``matching`` unmatched-reason codes, as the course team reads them.
UNMATCHED_REASONS = {
    "no_mentors": gettext_noop("No mentor was available"),
    "no_shared_language": gettext_noop("No mentor shares a language with this learner"),
    "mentors_at_capacity": gettext_noop("Every suitable mentor was full"),
    "below_min_score": gettext_noop("No mentor reached the minimum suitability"),
    "all_excluded": gettext_noop("Every mentor was excluded (earlier pairings)"),
    "not_chosen": gettext_noop("Others were a better fit for the available mentors"),
    "not_in_run": gettext_noop("Joined after the last run"),
    "no_run_yet": gettext_noop("No matching run yet"),
    "paused": gettext_noop("Paused their participation"),
}

RUN_STATUSES = {
    "queued": gettext_noop("Waiting to start"),
    "running": gettext_noop("Running"),
    "succeeded": gettext_noop("Finished"),
    "failed": gettext_noop("Failed"),
    "stale": gettext_noop("Stopped responding"),
}

RUN_STAGES = {
    "queued": gettext_noop("Waiting for a worker"),
    "loading": gettext_noop("Reading participants and grades"),
    "matching": gettext_noop("Finding the best pairs"),
    "storing": gettext_noop("Saving the pairings"),
    "done": gettext_noop("Done"),
}

STRATEGIES = {
    "optimal": (
        gettext_noop("Best overall fit"),
        gettext_noop("Chooses the pairs with the largest total suitability across the whole program."),
    ),
    "stable": (
        gettext_noop("Stable pairs"),
        gettext_noop("No mentee and mentor would both rather be paired with each other than with whom they got."),
    ),
}

OBJECTIVES = {
    "score": (gettext_noop("Suitability first"), gettext_noop("Maximise the total suitability of the pairs.")),
    "coverage": (
        gettext_noop("Pair as many as possible"),
        gettext_noop("Give as many mentees as possible a mentor, then maximise suitability."),
    ),
}

SCHEDULES = {
    "manual": gettext_noop("Only when the course team starts a run"),
    "daily": gettext_noop("Every day"),
    "weekly": gettext_noop("Every week"),
}

#: Why a learner cannot join (``ViewerData.join_blocked_reason``), plus the XBlock's own "anonymous".
JOIN_BLOCKED = {
    "anonymous": gettext_noop("Sign in to join the mentoring program."),
    "no_program": gettext_noop("The course team has not opened the mentoring program yet."),
    "not_enrolled": gettext_noop("Enroll in the course to join its mentoring program."),
    "enrollment_closed": gettext_noop("The mentoring program is not taking new participants right now."),
}

PANELS = {
    "recruitment": gettext_noop("Program"),
    "goals": gettext_noop("My goals"),
    "match": gettext_noop("My pairing"),
    "staff": gettext_noop("Course team"),
}

#: The weekdays, Monday first (hour-of-week slot 0 is Monday 00:00).
WEEKDAYS = (
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
)

#: Languages offered as checkboxes, by their own names (which need no translation). Others can be typed.
COMMON_LANGUAGES = (
    ("en", "English"),
    ("es", "Español"),
    ("fr", "Français"),
    ("de", "Deutsch"),
    ("pt", "Português"),
    ("it", "Italiano"),
    ("ar", "العربية"),
    ("zh", "中文"),
    ("hi", "हिन्दी"),
    ("ru", "Русский"),
    ("ja", "日本語"),
    ("tr", "Türkçe"),
)
