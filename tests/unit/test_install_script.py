"""scripts/install says what it does on a first install and stays quiet on a re-run (run with a
stand-in for Python that records what pip was asked, so nothing is downloaded)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

#: Stands in for python3 and for .venv/bin/python: `-m venv DIR` makes DIR/bin/python (this
#: script again); `-m pip show` answers "installed" once pip install has run; every call is
#: recorded in calls.log.
FAKE_PYTHON = """#!/usr/bin/env bash
echo "$*" >> "$CALLS"
case "$*" in
  --version) echo "Python 3.11.9" ;;
  "-m venv "*) mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip show"*) [ -f "$INSTALLED" ] ;;
  "-m pip install --quiet"*) touch "$INSTALLED" ;;
  "-m pip install"*) echo "Collecting strawberry-graphql"; touch "$INSTALLED" ;;
esac
"""


def _checkout(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    checkout = tmp_path / "checkout"
    (checkout / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "install", checkout / "scripts" / "install")
    fake = tmp_path / "python3"
    fake.write_text(FAKE_PYTHON)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {
        **os.environ,
        "PYTHON": str(fake),
        "CALLS": str(tmp_path / "calls.log"),
        "INSTALLED": str(tmp_path / "installed"),
    }
    return checkout, env


def _install(checkout: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(checkout / "scripts" / "install")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_the_first_install_shows_progress_and_a_rerun_is_quiet(tmp_path: Path) -> None:
    checkout, env = _checkout(tmp_path)
    first = _install(checkout, env)
    assert first.splitlines()[0] == "scripts/install: creating .venv with Python 3.11.9"
    assert "installing the project and its development tools" in first
    assert "Collecting strawberry-graphql" in first  # pip's own progress reaches the terminal
    assert first.rstrip().endswith("scripts/install: done")
    calls = Path(env["CALLS"]).read_text().splitlines()
    assert any(
        c.startswith("-m pip install --disable-pip-version-check --progress-bar on") for c in calls
    )

    again = _install(checkout, env)
    assert again == ""
    assert Path(env["CALLS"]).read_text().splitlines()[-1].startswith("-m pip install --quiet")


def test_an_existing_venv_without_the_project_is_a_first_install(tmp_path: Path) -> None:
    checkout, env = _checkout(tmp_path)
    (checkout / ".venv" / "bin").mkdir(parents=True)
    shutil.copy(tmp_path / "python3", checkout / ".venv" / "bin" / "python")
    out = _install(checkout, env)
    assert "creating .venv" not in out
    assert "installing the project" in out and out.rstrip().endswith("done")
