"""Django admin for eMentor: course-scoped lists, audited access to private text, and staff actions.

The admin shows no encrypted text in lists or forms. A participant's private text (aspirations, about, goals)
has its own page, reached from the participant, and opening it writes an ``AuditEvent`` through the API.
Actions (run matching, approve, end, export) go through ``api`` so they are checked, audited and notified
exactly as from the staff panel. Matches and participants change only through those actions; audit events
never change at all.
"""

from __future__ import annotations

import re

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import api, errors, validation
from .models import AuditEvent, CoursePerformance, Goal, GoalUpdate, Match, MatchRun, Notice, Participant, Program
from .platform import get_platform


def course_filter(field_path: str) -> type[admin.SimpleListFilter]:
    """A list filter by course, for models that reach the course key through ``field_path``."""

    class CourseFilter(admin.SimpleListFilter):
        title = _("course")
        parameter_name = "course"

        def lookups(self, request, model_admin):
            """The courses that have a program."""
            keys = Program.objects.order_by("course_key").values_list("course_key", flat=True)
            return [(str(key), str(key)) for key in keys]

        def queryset(self, request, queryset):
            """Rows of the chosen course."""
            if self.value():
                return queryset.filter(**{field_path: self.value()})
            return queryset

    return CourseFilter


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that change only through the API (or never): viewable, not addable, editable or deletable here."""

    def has_add_permission(self, request):
        """Never: records are created through the API."""
        return False

    def has_change_permission(self, request, obj=None):
        """Never: records change through the API actions."""
        return False

    def has_delete_permission(self, request, obj=None):
        """Never: retirement and the API remove data."""
        return False


def _report(model_admin, request, done: int, failures: list[str], verb: str) -> None:
    if done:
        model_admin.message_user(request, _("%(count)d %(verb)s.") % {"count": done, "verb": verb}, messages.SUCCESS)
    for failure in failures:
        model_admin.message_user(request, failure, messages.ERROR)


# ----------------------------------------------------------------------------------------------------------------
# Programs
# ----------------------------------------------------------------------------------------------------------------


class ProgramForm(forms.ModelForm):
    """Checks the configuration with the same rules as ``api.configure_program``."""

    class Meta:
        model = Program
        fields = (
            "course_key", "title", "pitch", "benefits", "outcomes", "enrollment_opens", "enrollment_closes",
            "strategy", "objective", "weights", "min_score", "language_required", "default_mentor_capacity",
            "max_mentor_capacity", "mentor_grade_threshold", "weak_area_threshold", "requires_approval", "schedule",
            "skills",
        )

    def clean(self):
        """Apply the API's per-field rules and cross-field checks."""
        cleaned = super().clean()
        for name, cleaner in validation.PROGRAM_CLEANERS.items():
            if name in cleaned and name not in self.errors:
                try:
                    cleaned[name] = cleaner(cleaned[name])
                except ValueError as exc:
                    self.add_error(name, str(exc))
        default, maximum = cleaned.get("default_mentor_capacity"), cleaned.get("max_mentor_capacity")
        if default is not None and maximum is not None and default > maximum:
            self.add_error("default_mentor_capacity", _("The default capacity cannot exceed the maximum capacity."))
        opens, closes = cleaned.get("enrollment_opens"), cleaned.get("enrollment_closes")
        if opens and closes and opens >= closes:
            self.add_error("enrollment_closes", _("Enrollment must close after it opens."))
        course_key = cleaned.get("course_key")
        if self.instance.pk is None and course_key and not get_platform().course_exists(course_key):
            self.add_error("course_key", _("This course does not exist."))
        return cleaned


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    """Programs: configuration, and the matching actions."""

    form = ProgramForm
    list_display = ("course_key", "title", "strategy", "objective", "schedule", "requires_approval", "modified")
    list_filter = ("strategy", "schedule", "requires_approval")
    search_fields = ("course_key", "title")
    readonly_fields = ("created", "modified")
    actions = ("run_matching", "approve_proposed", "export_matches")

    def get_readonly_fields(self, request, obj=None):
        """The course of an existing program is fixed."""
        return (*self.readonly_fields, "course_key") if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        """Save through the API, so staff rights are checked and the change is audited like any other."""
        names = form.changed_data if change else list(form.cleaned_data)
        changes = {name: form.cleaned_data[name] for name in names if name in validation.PROGRAM_CLEANERS}
        try:
            api.configure_program(request.user.id, obj.course_key, **changes)
        except errors.EmentorError as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        saved = Program.objects.get(course_key=obj.course_key)
        obj.pk, obj.created, obj.modified = saved.pk, saved.created, saved.modified

    @admin.action(description=_("Run matching for the selected programs"))
    def run_matching(self, request, queryset):
        """Queue a run per program (or report the one already open)."""
        done, failures = 0, []
        for program in queryset:
            try:
                run = api.request_run(request.user.id, program.course_key)
                done += 1
                self.message_user(request, _("Run %(id)s for %(course)s is %(status)s.") % {
                    "id": run.id, "course": program.course_key, "status": run.status})
            except errors.EmentorError as exc:
                failures.append(f"{program.course_key}: {exc.message}")
        _report(self, request, 0, failures, "")

    @admin.action(description=_("Approve every proposed match of the selected programs"))
    def approve_proposed(self, request, queryset):
        """Publish the proposed matches of each program."""
        done, failures = 0, []
        for program in queryset:
            try:
                done += api.approve_proposed_matches(request.user.id, program.course_key)
            except errors.EmentorError as exc:
                failures.append(f"{program.course_key}: {exc.message}")
        _report(self, request, done, failures, "matches approved")

    @admin.action(description=_("Export the selected program's matches as CSV"))
    def export_matches(self, request, queryset):
        """Download one program's matches as CSV (audited)."""
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one program to export."), messages.ERROR)
            return None
        program = queryset.get()
        try:
            text = api.export_matches_csv(request.user.id, program.course_key)
        except errors.EmentorError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        response = HttpResponse(text, content_type="text/csv; charset=utf-8")
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", str(program.course_key))
        response["Content-Disposition"] = f'attachment; filename="ementor-matches-{name}.csv"'
        return response


# ----------------------------------------------------------------------------------------------------------------
# Participants and goals
# ----------------------------------------------------------------------------------------------------------------


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdmin):
    """Participants: searchable by username or e-mail; private text only on its audited page."""

    list_display = ("id", "username", "course", "role", "status", "capacity", "mentor_load", "created")
    list_filter = (course_filter("program__course_key"), "role", "status", "experience_level")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user", "program")
    fields = (
        "user", "program", "role", "status", "status_reason", "skills_offered", "skills_wanted", "languages",
        "availability", "time_zone", "capacity", "mentor_load", "experience_level", "share_performance",
        "consent_version", "consent_at", "created", "modified", "private_text",
    )
    readonly_fields = fields

    @admin.display(description=_("user"), ordering="user__username")
    def username(self, obj):
        """The participant's username."""
        return obj.user.username

    @admin.display(description=_("course"), ordering="program__course_key")
    def course(self, obj):
        """The course key."""
        return str(obj.program.course_key)

    @admin.display(description=_("private text"))
    def private_text(self, obj):
        """A link to the audited private-text page."""
        url = reverse("admin:ementor_plugin_participant_private", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("View aspirations, about and goals (this is logged)"))

    def get_urls(self):
        """Add the private-text page."""
        urls = [
            path(
                "<int:participant_id>/private/",
                self.admin_site.admin_view(self.private_view),
                name="ementor_plugin_participant_private",
            )
        ]
        return urls + super().get_urls()

    def private_view(self, request, participant_id):
        """Show the participant's private text; the API writes the AuditEvent."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        try:
            profile = api.get_participant_profile(request.user.id, participant_id)
        except errors.NotFound as exc:
            raise Http404(exc.message) from exc
        except errors.PermissionDenied as exc:
            raise DjangoPermissionDenied(exc.message) from exc
        goals = Goal.objects.filter(participant_id=participant_id).order_by("created").prefetch_related("updates")
        context = {
            **self.admin_site.each_context(request),
            "title": _("Private text of participant %(id)s") % {"id": participant_id},
            "profile": profile,
            "goals": goals,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "ementor_plugin/admin/participant_private.html", context)


@admin.register(Goal)
class GoalAdmin(ReadOnlyAdmin):
    """Goals: status and progress only (titles are private text, shown on the participant's audited page)."""

    list_display = ("id", "participant", "status", "progress", "target_date", "created")
    list_filter = (course_filter("participant__program__course_key"), "status")
    search_fields = ("participant__user__username", "participant__user__email")
    fields = ("participant", "status", "progress", "target_date", "suggestion_key", "created", "modified")
    readonly_fields = fields


@admin.register(GoalUpdate)
class GoalUpdateAdmin(ReadOnlyAdmin):
    """Progress updates: figures only (notes are private text)."""

    list_display = ("id", "goal", "progress", "created")
    list_filter = (course_filter("goal__participant__program__course_key"),)
    search_fields = ("goal__participant__user__username", "goal__participant__user__email")
    fields = ("goal", "progress", "created")
    readonly_fields = fields


# ----------------------------------------------------------------------------------------------------------------
# Matches and runs
# ----------------------------------------------------------------------------------------------------------------


@admin.register(Match)
class MatchAdmin(ReadOnlyAdmin):
    """Matches: who, status, score and factor breakdown; approve and end through the API."""

    list_display = ("id", "course", "mentee_name", "mentor_name", "status", "score", "origin", "created")
    list_filter = (course_filter("program__course_key"), "status", "origin")
    search_fields = (
        "mentee__user__username", "mentee__user__email", "mentor__user__username", "mentor__user__email",
    )
    list_select_related = ("program", "mentee__user", "mentor__user")
    fields = (
        "program", "mentee", "mentor", "status", "score", "factor_breakdown", "origin", "run", "created_by",
        "approved_by", "activated_at", "mentee_response", "mentee_responded_at", "mentor_response",
        "mentor_responded_at", "ended_at", "end_reason", "ended_by", "created", "modified",
    )
    readonly_fields = fields
    actions = ("approve_selected", "end_selected")

    @admin.display(description=_("course"), ordering="program__course_key")
    def course(self, obj):
        """The course key."""
        return str(obj.program.course_key)

    @admin.display(description=_("mentee"), ordering="mentee__user__username")
    def mentee_name(self, obj):
        """The mentee's username."""
        return obj.mentee.user.username if obj.mentee else "—"

    @admin.display(description=_("mentor"), ordering="mentor__user__username")
    def mentor_name(self, obj):
        """The mentor's username."""
        return obj.mentor.user.username if obj.mentor else "—"

    @admin.display(description=_("factors"))
    def factor_breakdown(self, obj):
        """Each factor's contribution and weight."""
        # The numbers only: the evidence quotes profiles and belongs to the participants.
        factors = (obj.explanation or {}).get("factors", ())
        if not factors:
            return "—"
        return ", ".join(f"{f['factor']} {float(f['contribution']):.2f} (weight {float(f['weight']):.2f})"
                         for f in factors)

    @admin.action(description=_("Approve the selected proposed matches"))
    def approve_selected(self, request, queryset):
        """Approve each selected proposed match."""
        done, failures = 0, []
        for match in queryset.order_by("id"):
            try:
                api.approve_match(request.user.id, match.id)
                done += 1
            except errors.EmentorError as exc:
                failures.append(f"#{match.id}: {exc.message}")
        _report(self, request, done, failures, "matches approved")

    @admin.action(description=_("End the selected matches"))
    def end_selected(self, request, queryset):
        """End each selected open match."""
        done, failures = 0, []
        for match in queryset.order_by("id"):
            try:
                api.end_match(request.user.id, match.id)
                done += 1
            except errors.EmentorError as exc:
                failures.append(f"#{match.id}: {exc.message}")
        _report(self, request, done, failures, "matches ended")


@admin.register(MatchRun)
class MatchRunAdmin(ReadOnlyAdmin):
    """Matching runs with their progress, figures and errors."""

    list_display = ("id", "course", "status", "stage", "progress_bar", "trigger", "created", "finished_at")
    list_filter = (course_filter("program__course_key"), "status", "trigger")
    list_select_related = ("program",)
    fields = (
        "program", "status", "stage", "percent", "trigger", "requested_by", "config", "figures", "error",
        "celery_task_id", "attempts", "created", "started_at", "heartbeat_at", "finished_at",
    )
    readonly_fields = fields
    actions = ("run_again",)

    @admin.display(description=_("course"), ordering="program__course_key")
    def course(self, obj):
        """The course key."""
        return str(obj.program.course_key)

    @admin.display(description=_("progress"))
    def progress_bar(self, obj):
        """The run's percent as a progress bar."""
        return format_html('<progress max="100" value="{}">{}%</progress>', obj.percent, obj.percent)

    @admin.action(description=_("Run matching again for these programs"))
    def run_again(self, request, queryset):
        """Request a new run for each selected run's program."""
        failures = []
        for course_key in {run.program.course_key for run in queryset.select_related("program")}:
            try:
                api.request_run(request.user.id, course_key)
            except errors.EmentorError as exc:
                failures.append(f"{course_key}: {exc.message}")
        _report(self, request, 0, failures, "")


# ----------------------------------------------------------------------------------------------------------------
# Performance, notices, audit
# ----------------------------------------------------------------------------------------------------------------


@admin.register(CoursePerformance)
class CoursePerformanceAdmin(ReadOnlyAdmin):
    """Performance snapshots (from grade events and CSV imports)."""

    list_display = ("user", "course_key", "grade", "passed", "has_certificate", "source", "recorded_at")
    list_filter = ("source", "passed")
    search_fields = ("user__username", "user__email", "course_key")
    list_select_related = ("user",)


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    """Notices shown to learners."""

    list_display = ("id", "user", "kind", "match", "created", "read_at")
    list_filter = (course_filter("program__course_key"), "kind")
    search_fields = ("user__username", "user__email")
    list_select_related = ("user",)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit trail: read-only, never deleted here."""

    list_display = ("created", "action", "actor", "program", "target_type", "target_id", "subject_user")
    list_filter = ("action", course_filter("program__course_key"))
    search_fields = ("actor__username", "actor__email", "subject_user__username", "subject_user__email")
    list_select_related = ("actor", "program", "subject_user")
    date_hierarchy = "created"
