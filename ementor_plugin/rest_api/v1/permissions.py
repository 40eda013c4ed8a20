"""Who may call what.

"Enrolled" and "course staff" are answered by ``ementor_plugin.api`` (the platform's
enrollment and course-role APIs in the LMS); everything finer (whose goal, whose match) is checked by the ``api``
function the view calls, which answers ``NotFound`` for other people's records so ids leak nothing.

Each class first resolves the course in the URL through the view, so a malformed course id answers ``400`` and
a course without a program ``404`` before any role is checked.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from ementor_plugin import api


class IsCourseStaff(BasePermission):
    """Course staff of the course in the URL (instructors, global staff and superusers count as staff)."""

    message = _("Only the course team can do this.")
    code = "permission_denied"
    #: Whether the course must already have a program (False where staff create it).
    require_program = True

    def has_permission(self, request, view) -> bool:
        """Check the role once the course (and, if required, its program) is known to exist."""
        if self.require_program:
            view.get_program()
        return api.is_course_staff(request.user.id, view.course_key)


class IsCourseStaffOrNewProgram(IsCourseStaff):
    """Course staff, also where the course has no program yet (configuring it creates it)."""

    require_program = False


class IsEnrolledOrCourseStaff(BasePermission):
    """Learners enrolled in the course in the URL, and its staff."""

    message = _("Enroll in the course to take part in its mentoring program.")
    code = "not_enrolled"

    def has_permission(self, request, view) -> bool:
        """Enrolled or staff, once the course is known to have a program."""
        view.get_program()
        user_id = request.user.id
        return api.is_enrolled(user_id, view.course_key) or api.is_course_staff(user_id, view.course_key)
