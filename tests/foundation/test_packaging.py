"""The built wheel carries the migrations and templates: `mallctl init` works from a
directory far from the checkout."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_installed_elsewhere_initialises_a_database(tmp_path):
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
    )
    site = tmp_path / "site"
    (wheel,) = wheels.glob("mallctl-*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
    )
    assert (site / "mallctl" / "_data" / "migrations" / "env.py").is_file()
    assert (site / "mallctl" / "_data" / "templates").is_dir()

    workdir = tmp_path / "elsewhere"
    workdir.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "MALLCTL_HOME": str(tmp_path / "home")}
    where = subprocess.run(
        [sys.executable, "-c", "import mallctl; print(mallctl.__file__)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert where.stdout.startswith(str(site))
    ran = subprocess.run(
        [sys.executable, "-m", "mallctl", "init", "--json"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["upgraded"] is True
    assert (tmp_path / "home" / "mallctl.db").is_file()
