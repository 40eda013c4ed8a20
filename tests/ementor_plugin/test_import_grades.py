"""``manage.py ementor_import_grades``: CSV into performance snapshots, with per-line errors."""

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from ementor_plugin import api
from ementor_plugin.models import CoursePerformance

from .conftest import COURSE, OTHER_COURSE


def _csv(tmp_path, text):
    path = tmp_path / "grades.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_import_by_username_with_areas(world, tmp_path, capsys):
    world.program()
    ada, bob = world.user("ada"), world.user("bob")
    path = _csv(tmp_path, "username,grade,passed,certificate,Labs,Homework\n"
                          "ada,91%,yes,true,0.95,\n"
                          "bob,0.42,no,,30%,0.5\n")
    call_command("ementor_import_grades", path, "--course", str(COURSE))
    assert "2 rows imported" in capsys.readouterr().out
    ada_row = CoursePerformance.objects.get(user=ada)
    assert (ada_row.grade, ada_row.passed, ada_row.has_certificate, ada_row.source) == (0.91, True, True, "csv")
    assert ada_row.areas == {"Labs": 0.95}
    assert CoursePerformance.objects.get(user=bob).areas == {"Labs": 0.3, "Homework": 0.5}
    with override_settings(EMENTOR_PERFORMANCE_SOURCE="snapshots"):
        viewer = api.get_viewer(ada.id, COURSE)
    assert viewer.grade == 0.91 and [a.area for a in viewer.strong_areas] == ["Labs"]


def test_import_by_id_and_email_with_course_column_and_dates(world, tmp_path):
    ada = world.user("ada")
    path = _csv(tmp_path, f"user_id;course_id;grade;recorded_at\n{ada.id};{OTHER_COURSE};0.7;2026-01-01T10:00:00\n")
    call_command("ementor_import_grades", path, "--delimiter", ";")
    row = CoursePerformance.objects.get(user=ada, course_key=OTHER_COURSE)
    assert row.grade == 0.7 and row.recorded_at.year == 2026
    newer = _csv(tmp_path, f"email,grade\n{ada.email},0.2\n")
    call_command("ementor_import_grades", newer, "--course", str(OTHER_COURSE))
    assert CoursePerformance.objects.get(user=ada).grade == 0.2
    older = _csv(tmp_path, f"email,grade,recorded_at\n{ada.email},0.9,2020-01-01T00:00:00+00:00\n")
    call_command("ementor_import_grades", older, "--course", str(OTHER_COURSE))
    assert CoursePerformance.objects.get(user=ada).grade == 0.2  # an older row does not win


def test_invalid_rows_are_reported_by_line_and_the_rest_imported(world, tmp_path, capsys):
    world.user("ada")
    path = _csv(tmp_path, "username,grade,Labs,passed,recorded_at,course_id\n"
                          "ada,0.8,,,,\n"
                          "ghost,0.5,,,,\n"
                          "ada,1.5,,,,\n"
                          "ada,150%,,,,\n"
                          "ada,0.5,x,,,\n"
                          "ada,0.5,,maybe,,\n"
                          "ada,0.5,,,yesterday,\n"
                          "ada,0.5,,,,not-a-course\n")
    with pytest.raises(CommandError, match="7 rows were invalid"):
        call_command("ementor_import_grades", path, "--course", str(COURSE))
    err = capsys.readouterr().err
    for line in range(3, 10):
        assert f"line {line}:" in err
    assert "ghost" not in err  # problems name lines, not people
    assert CoursePerformance.objects.get().grade == 0.8


def test_dry_run_imports_nothing(world, tmp_path, capsys):
    world.user("ada")
    call_command("ementor_import_grades", _csv(tmp_path, "username,grade\nada,0.5\n"), "--course", str(COURSE),
                 "--dry-run")
    assert "1 rows valid" in capsys.readouterr().out
    assert not CoursePerformance.objects.exists()


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        ("name,grade\nada,0.5\n", ["--course", str(COURSE)], "header needs"),
        ("username,score\nada,0.5\n", ["--course", str(COURSE)], "header needs"),
        ("username,grade\nada,0.5\n", [], "--course or a course_id"),
        ("username,grade\nada,0.5\n", ["--course", "nope"], "--course"),
    ],
)
def test_unusable_files_are_refused(db, tmp_path, text, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("ementor_import_grades", _csv(tmp_path, text), *args)


def test_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("ementor_import_grades", str(tmp_path / "absent.csv"), "--course", str(COURSE))
