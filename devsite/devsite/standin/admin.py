"""Admin for the stand-in platform tables, so a demo operator can enroll users and give course roles."""

from django.contrib import admin

from .models import CourseAccessRole, CourseEnrollment, CourseOverview, GeneratedCertificate, PersistentCourseGrade


@admin.register(CourseOverview)
class CourseOverviewAdmin(admin.ModelAdmin):
    list_display = ("id", "display_name")


@admin.register(CourseEnrollment)
class CourseEnrollmentAdmin(admin.ModelAdmin):
    list_display = ("user", "course_id", "mode", "is_active", "created")
    list_filter = ("course_id", "mode", "is_active")
    search_fields = ("user__username", "user__email")


@admin.register(CourseAccessRole)
class CourseAccessRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "course_id", "role")
    list_filter = ("course_id", "role")
    search_fields = ("user__username", "user__email")


@admin.register(PersistentCourseGrade)
class PersistentCourseGradeAdmin(admin.ModelAdmin):
    list_display = ("user_id", "course_id", "percent_grade", "passed", "modified")
    list_filter = ("course_id", "passed")


@admin.register(GeneratedCertificate)
class GeneratedCertificateAdmin(admin.ModelAdmin):
    list_display = ("user", "course_id", "status")
    list_filter = ("course_id", "status")
