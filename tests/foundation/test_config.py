"""Configuration: flag > MALLCTL_* environment > TOML file > defaults; secrets guarded."""

import os

from conftest import one_line_error


def _write(path, text, mode=0o600):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


def test_defaults_live_under_mallctl_home(cli_nodb, isolated_env):
    view = cli_nodb.json("config", "show")
    assert view["config_file"] == str(isolated_env / "mallctl.toml")
    assert view["settings"]["timezone"] == "Asia/Shanghai"
    assert view["settings"]["currency"] == "CNY"
    assert view["settings"]["database_url"] == f"sqlite:///{isolated_env / 'mallctl.db'}"
    assert view["sources"]["timezone"] == "default"


def test_file_then_environment_then_flag_win_in_that_order(cli_nodb, isolated_env, monkeypatch):
    _write(
        isolated_env / "mallctl.toml",
        'mall_name = "万达广场"\ntimezone = "Europe/Berlin"\n'
        'database_url = "sqlite:////tmp/from-file.db"\n',
    )
    view = cli_nodb.json("config", "show")
    assert view["settings"]["mall_name"] == "万达广场"
    assert (view["settings"]["timezone"], view["sources"]["timezone"]) == ("Europe/Berlin", "file")

    monkeypatch.setenv("MALLCTL_TIMEZONE", "Asia/Tokyo")
    monkeypatch.setenv("MALLCTL_DATABASE_URL", "sqlite:////tmp/from-env.db")
    view = cli_nodb.json("config", "show")
    assert (view["settings"]["timezone"], view["sources"]["timezone"]) == ("Asia/Tokyo", "env")
    assert view["settings"]["database_url"] == "sqlite:////tmp/from-env.db"

    view = cli_nodb.json("--db", "sqlite:////tmp/from-flag.db", "config", "show")
    assert view["settings"]["database_url"] == "sqlite:////tmp/from-flag.db"
    assert view["sources"]["database_url"] == "flag"


def test_config_flag_chooses_another_file(cli_nodb, tmp_path):
    other = _write(tmp_path / "elsewhere.toml", 'currency = "hkd"\n')
    view = cli_nodb.json("--config", str(other), "config", "show")
    assert view["settings"]["currency"] == "HKD"
    assert view["config_file"] == str(other)


def test_passwords_are_masked_in_config_show(cli_nodb, isolated_env):
    _write(
        isolated_env / "mallctl.toml",
        'database_url = "postgresql+psycopg://mall:s3cret@db.example:5432/mall"\n',
    )
    ran = cli_nodb("config", "show")
    assert "s3cret" not in ran.stdout
    view = cli_nodb.json("config", "show")
    assert view["settings"]["database_url"] == "postgresql+psycopg://mall:***@db.example:5432/mall"


def test_secrets_in_a_file_others_can_read_are_refused(cli_nodb, isolated_env):
    path = _write(
        isolated_env / "mallctl.toml",
        'database_url = "postgresql+psycopg://mall:s3cret@db:5432/mall"\n',
        mode=0o644,
    )
    ran = cli_nodb("config", "show", code=1)
    line = one_line_error(ran.stderr)
    assert str(path) in line and "others can read it" in line and "chmod 600" in line
    assert "s3cret" not in ran.stderr


def test_a_readable_file_without_secrets_is_fine(cli_nodb, isolated_env):
    _write(isolated_env / "mallctl.toml", 'mall_name = "大悦城"\n', mode=0o644)
    assert cli_nodb.json("config", "show")["settings"]["mall_name"] == "大悦城"


def test_malformed_config_names_file_and_line(cli_nodb, isolated_env):
    path = _write(isolated_env / "mallctl.toml", 'mall_name = "ok"\ntimezone = \n')
    line = one_line_error(cli_nodb("config", "show", code=1).stderr)
    assert str(path) in line and "line 2" in line


def test_unknown_setting_and_bad_zone_are_named(cli_nodb, isolated_env):
    _write(isolated_env / "mallctl.toml", 'colour = "red"\n')
    assert "colour: unknown setting" in one_line_error(cli_nodb("config", "show", code=1).stderr)
    _write(isolated_env / "mallctl.toml", 'timezone = "Mars/Olympus"\n')
    line = one_line_error(cli_nodb("config", "show", code=1).stderr)
    assert "'Mars/Olympus' is not a known time zone" in line


def test_webhook_tokens_in_the_url_are_masked(cli_nodb, monkeypatch):
    monkeypatch.setenv(
        "MALLCTL_WEBHOOK__URL", "https://oapi.dingtalk.com/robot/send?access_token=SECRET123"
    )
    ran = cli_nodb("config", "show", "--json")
    assert "SECRET123" not in ran.stdout
    assert ran.json()["settings"]["webhook.url"] == "https://oapi.dingtalk.com/robot/send?********"
