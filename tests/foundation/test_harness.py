"""The harness never turns a broken PostgreSQL set-up into a quiet skip."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _pytest(env_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "MALLCTL_TEST_POSTGRES_URL"}
    if env_url is not None:
        env["MALLCTL_TEST_POSTGRES_URL"] = env_url
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-rs",
            "tests/test_smoke.py",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_unreachable_postgres_fails_the_run():
    ran = _pytest("postgresql+psycopg://postgres@127.0.0.1:1/postgres")
    assert ran.returncode != 0
    assert "is set but PostgreSQL is unreachable" in ran.stdout


def test_unset_postgres_skips_with_a_visible_reason():
    ran = _pytest(None)
    assert ran.returncode == 0
    assert "SKIPPED" in ran.stdout and "set MALLCTL_TEST_POSTGRES_URL" in ran.stdout
