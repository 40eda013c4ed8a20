"""Who is asking, and about which course: read from the runtime's services, never from the request body.

The LMS's ``user`` service names the user ``edx-platform.user_id``; the xblock-sdk workbench (and so the
devsite, which binds it to the logged-in Django user) names it ``xblock-workbench.user_id``. The course is the
usage key's context in the LMS and Studio; the workbench has no course, so the devsite names one in the
block's settings bucket (``XBLOCK_SETTINGS["EmentorXBlock"]["course_id"]``).
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

_USER_ID_KEYS = ("edx-platform.user_id", "xblock-workbench.user_id")


def current_user_id(block) -> int | None:
    """The id of the user the runtime says is viewing ``block``, or None for an anonymous visitor."""
    service = block.runtime.service(block, "user")
    user = service.get_current_user() if service is not None else None
    if user is None:
        return None
    attrs = getattr(user, "opt_attrs", None) or {}
    if attrs.get("edx-platform.is_authenticated") is False:
        return None
    for key in _USER_ID_KEYS:
        value = attrs.get(key)
        if value is None or isinstance(value, bool):
            continue
        try:
            user_id = int(value)
        except (TypeError, ValueError):
            continue  # the workbench's default "student_1" is no platform user
        if user_id > 0:
            return user_id
    return None


def course_key_of(block) -> str | None:
    """The course the block belongs to, as a string, or None when the runtime does not say."""
    usage_id = getattr(getattr(block, "scope_ids", None), "usage_id", None)
    context = getattr(usage_id, "context_key", None)
    if context is not None and getattr(context, "is_course", True):
        # Studio's keys may carry a branch or version; the program belongs to the course itself.
        if hasattr(context, "version_agnostic"):
            context = context.version_agnostic()
        if hasattr(context, "for_branch"):
            context = context.for_branch(None)
        return str(context)
    service = block.runtime.service(block, "settings")
    if service is not None:
        bucket = service.get_settings_bucket(block, default={}) or {}
        course_id = bucket.get("course_id")
        if isinstance(course_id, str) and course_id:
            return course_id
    log.warning("eMentor block %s cannot tell which course it belongs to", usage_id)
    return None
