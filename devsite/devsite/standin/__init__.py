"""Stand-ins for the platform tables eMentor reads (courses, enrollments, course roles, grades, certificates).

They exist only because the LMS cannot run here. Their shape follows the platform's own models
(``CourseEnrollment``, ``CourseAccessRole``, ``PersistentCourseGrade``, ``GeneratedCertificate``) so that
``StandinPlatform`` answers exactly what ``ementor_plugin.platform.lms.LmsPlatform`` answers in the LMS.
"""
