"""The README's set-up commands stay true: CI runs exactly the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Set up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section, re.S)


def test_readme_has_two_setup_commands_and_ci_runs_the_test_one():
    main_job, test_cmd = readme_commands()
    assert "\n" not in main_job and "\n" not in test_cmd
    assert "pytest" in test_cmd and "zkml" in main_job
    # the main job proves the bundled demo and verifies the proof
    assert "zkml prove demo" in main_job and "zkml verify" in main_job
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in ci, ".ci/run must run exactly the README's test command"
    assert "set -euo pipefail" in ci
