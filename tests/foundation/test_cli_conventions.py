"""The command-line conventions of cli.md "Everywhere": streams, JSON, exit codes."""

import json
import subprocess
import sys

from conftest import one_line_error


def test_json_is_exactly_one_document_and_messages_stay_on_stderr(cli):
    ran = cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "88", "--json")
    assert json.loads(ran.stdout)["area"] == "88.00"
    assert "added shop" not in ran.stdout


def test_usage_error_exits_2(cli):
    ran = cli("shop", "frobnicate", code=2)
    assert ran.stdout == ""
    assert "frobnicate" in ran.stderr


def test_missing_database_file_is_explained(cli_nodb, isolated_env):
    ran = cli_nodb("shop", "list", code=1)
    assert one_line_error(ran.stderr) == (
        f"error: database file {isolated_env / 'mallctl.db'} does not exist; "
        "run `mallctl init` (or pass --db)"
    )


def test_unreachable_postgres_names_the_host_without_traceback(cli_nodb):
    ran = cli_nodb("--db", "postgresql+psycopg://nobody@127.0.0.1:1/mall", "shop", "list", code=1)
    line = one_line_error(ran.stderr)
    assert "cannot reach database mall at 127.0.0.1:1" in line


def test_verbose_shows_the_traceback(cli_nodb):
    ran = cli_nodb(
        "-v", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/mall", "shop", "list", code=1
    )
    assert "Traceback" in ran.stderr
    assert ran.stderr.rstrip().splitlines()[-1].startswith("error: cannot reach database")


def test_unsupported_database_url_is_refused(cli_nodb):
    ran = cli_nodb("--db", "mysql://root@localhost/mall", "shop", "list", code=1)
    assert "unsupported database 'mysql'" in one_line_error(ran.stderr)


def test_as_of_without_offset_in_a_spring_forward_gap_is_refused(cli, monkeypatch):
    monkeypatch.setenv("MALLCTL_TIMEZONE", "Europe/Berlin")
    ran = cli(
        "shop", "add", "L1-001", "--name", "x", "--area", "5", as_of="2026-03-29T02:30:00", code=1
    )
    assert "does not exist in Europe/Berlin" in one_line_error(ran.stderr)
    assert cli.json("shop", "list") == []


def test_as_of_without_offset_is_mall_local_time():
    from zoneinfo import ZoneInfo

    from mallctl.clock import clock_for

    clock = clock_for("2026-07-01T09:15:00", ZoneInfo("Europe/Berlin"))
    assert clock.now().isoformat() == "2026-07-01T07:15:00+00:00"
    assert clock_for("2026-07-01", ZoneInfo("Asia/Shanghai")).now().isoformat() == (
        "2026-06-30T16:00:00+00:00"
    )


def test_malformed_as_of_fails_before_anything_runs(cli):
    ran = cli("shop", "list", as_of="yesterday", code=1)
    assert "--as-of 'yesterday' is not a date" in one_line_error(ran.stderr)


def test_console_script_module_and_version_agree(tmp_path):
    from mallctl import __version__

    ran = subprocess.run(
        [sys.executable, "-m", "mallctl", "--version"], capture_output=True, text=True, check=True
    )
    assert ran.stdout.strip() == f"mallctl {__version__}"


def test_no_colour_escapes_when_not_a_terminal(cli, monkeypatch, tmp_path):
    """Rich's own terminal detection, not NO_COLOR, keeps pipes and cron logs plain."""
    monkeypatch.delenv("NO_COLOR")
    cli("shop", "add", "L1-001", "--name", "一楼1号铺", "--area", "88")
    listed = cli("shop", "list")
    assert "\x1b[" not in listed.stdout and "L1-001" in listed.stdout
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name,area\nL1-002,x,abc\nL1-003,y,5\n", encoding="utf-8")
    imported = cli("shop", "import", str(bad), "--skip-invalid", code=3)
    assert "warning:" in imported.stderr and "\x1b[" not in imported.stderr
