"""Every model the devsite installs carries OEP-30 PII annotations (ours in docstrings, others in the safelist)."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_pii_annotation_lint_and_full_coverage(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "devsite.settings.base", "PYTHONPATH": str(ROOT / "devsite"),
           "DEVSITE_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", "import sys; from code_annotations.cli import entry_point; sys.exit(entry_point())",
         "django_find_annotations", "--config_file", ".pii_annotations.yml", "--lint", "--coverage"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Linting passed without errors" in output
    assert "Coverage is 100.0%" in output
