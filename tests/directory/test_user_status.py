"""Deactivating staff: inactive users cannot act; only admins decide; one admin remains."""

from conftest import one_line_error


def _staff(cli):
    cli("user", "add", "admin", "--name", "管理员", "--role", "admin")
    cli("user", "add", "sun", "--name", "孙丽", "--role", "operator", "--by", "admin")


def test_deactivated_user_can_no_longer_act(cli):
    _staff(cli)
    shown = cli.json("user", "deactivate", "sun", "--by", "admin", "--comment", "离职")
    assert shown["active"] is False
    ran = cli("shop", "add", "L1-001", "--name", "x", "--area", "5", "--by", "sun", code=1)
    assert one_line_error(ran.stderr) == "error: user 'sun' is inactive"
    assert cli.json("shop", "list") == []
    history = cli.json("audit", "list", "--entity", "user:sun")
    assert [(r["action"], r["from_state"], r["to_state"], r["comment"]) for r in history] == [
        ("create", None, "ACTIVE", None),
        ("deactivate", "ACTIVE", "INACTIVE", "离职"),
    ]


def test_reactivated_user_acts_again(cli):
    _staff(cli)
    cli("user", "deactivate", "sun", "--by", "admin")
    assert cli.json("user", "activate", "sun", "--by", "admin")["active"] is True
    cli("shop", "add", "L1-001", "--name", "x", "--area", "5", "--by", "sun")
    assert cli.json("user", "show", "sun")["active"] is True


def test_only_admins_change_status_and_the_last_admin_stays(cli):
    _staff(cli)
    ran = cli("user", "deactivate", "admin", "--by", "sun", code=1)
    assert one_line_error(ran.stderr) == (
        "error: changing a user's status needs role admin; 'sun' is operator"
    )
    ran = cli("user", "deactivate", "admin", "--by", "admin", code=1)
    assert "last active admin" in one_line_error(ran.stderr)
    assert cli.json("user", "show", "admin")["active"] is True


def test_status_change_needs_an_acting_user(cli):
    _staff(cli)
    ran = cli("user", "deactivate", "sun", code=1)
    assert "needs an acting user" in one_line_error(ran.stderr)


def test_a_refused_change_leaves_no_audit_record(cli):
    _staff(cli)
    cli("user", "deactivate", "sun", "--by", "admin")
    before = cli.json("audit", "list")
    cli("user", "deactivate", "sun", "--by", "admin", code=1)
    cli("shop", "add", "L1-001", "--name", "x", "--area", "5", "--by", "sun", code=1)
    assert cli.json("audit", "list") == before
