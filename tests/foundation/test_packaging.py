"""The built wheel carries everything the platform needs: code, templates, static files, migrations, catalogs.

Builds the wheel from this checkout, installs it (without dependencies) into a fresh virtualenv, and compares
the installed files with the source tree, so a file added later but forgotten in package data fails here.
"""

import subprocess
import sys
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
SHIPPED_DIRS = {
    "ementor_plugin": ["migrations", "templates", "static", "locale"],
    "ementor_xblock": ["templates", "public", "translations"],
}


def _source_files():
    files = set()
    for package, folders in SHIPPED_DIRS.items():
        for folder in folders:
            for path in (REPO / package / folder).rglob("*"):
                if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                    files.add(path.relative_to(REPO).as_posix())
    return files


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(work / "dist"), str(REPO)],
        check=True,
        capture_output=True,
    )
    wheels = list((work / "dist").glob("openedx_ementor-*.whl"))
    assert len(wheels) == 1
    target = work / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    python = target / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheels[0])],
        check=True,
        capture_output=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return Path(site)


def test_every_shipped_source_file_is_installed(installed):
    expected = _source_files()
    assert expected, "nothing to ship?"
    missing = sorted(f for f in expected if not (installed / f).is_file())
    assert missing == []


@pytest.mark.parametrize(
    "required",
    [
        "matching/__init__.py",
        "ementor_plugin/apps.py",
        "ementor_plugin/migrations/0001_initial.py",
        "ementor_xblock/block.py",
        "ementor_xblock/templates/student.html",
        "ementor_xblock/public/css/ementor.css",
        "ementor_xblock/public/js/ementor_student.js",
    ],
)
def test_key_files_are_installed(installed, required):
    assert (installed / required).is_file()


def test_compiled_catalogs_are_installed(installed):
    assert list((installed / "ementor_plugin" / "locale").glob("*/LC_MESSAGES/django.mo"))
    assert list((installed / "ementor_xblock" / "translations").glob("*/LC_MESSAGES/text.mo"))


def test_entry_points_are_declared(installed):
    dist_info = next(installed.glob("openedx_ementor-*.dist-info"))
    text = (dist_info / "entry_points.txt").read_text()
    assert "[lms.djangoapp]" in text
    assert "[cms.djangoapp]" in text
    assert "ementor = ementor_xblock.block:EmentorXBlock" in text


def test_locale_folder_is_not_a_package(installed):
    # A top-level "locale" package would shadow Python's own locale module.
    assert not (installed / "locale").exists()
    assert not (REPO / "locale" / "__init__.py").exists()
