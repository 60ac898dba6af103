"""Shared set-up for the contract tests: a small mall, and a snapshot of everything a
refused command must leave as it was."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from mallctl.db import make_engine

from conftest import Cli, one_line_error

SHOPS = [
    ("L1-001", "一层一号铺", "100"),
    ("L1-002", "一层二号铺", "50"),
    ("L2-001", "二层一号铺", "150"),
    ("L2-002", "二层二号铺", "120"),
]
TENANTS = [("T001", "星巴克咖啡"), ("T002", "优衣库"), ("T003", "海底捞")]
USERS = [
    ("liu", "刘伟", "operator"),
    ("wang", "王芳", "reviewer"),
    ("zhao", "赵磊", "reviewer"),
    ("admin", "管理员", "admin"),
]


def _build(cli: Cli) -> None:
    cli("init")
    for code, name, area in SHOPS:
        cli("shop", "add", code, "--name", name, "--area", area)
    for code, name in TENANTS:
        cli("tenant", "add", code, "--name", name, "--email", f"{code.lower()}@shop.example.cn")
    for username, name, role in USERS:
        cli(
            "user", "add", username, "--name", name, "--role", role,
            "--email", f"{username}@mall.example.cn",
        )  # fmt: skip


@pytest.fixture(scope="session")
def _mall_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The mall built once per database kind: a SQLite file, a PostgreSQL template database."""
    built: dict[str, str] = {}
    yield built
    if "postgresql" in built:
        server, name = built["postgres_server"], built["postgresql"]
        server.drop(name)  # type: ignore[attr-defined]


@pytest.fixture
def mall(
    cli: Cli,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    _mall_templates: dict[str, Any],
) -> Cli:
    """Default templates, four shops, three tenants, an operator, two reviewers, an admin,
    all with e-mail addresses; messages stay queued (no delivery after commit). Built once
    per database kind through the CLI, then copied for each test."""
    monkeypatch.setenv("MALLCTL_NOTIFICATIONS__DELIVER_AFTER_COMMIT", "false")
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        target = Path(url.database or "")
        if "sqlite" not in _mall_templates:
            _build(cli)
            saved = tmp_path_factory.mktemp("mall") / "mall.db"
            _checkpoint(db_url)
            shutil.copyfile(target, saved)
            _mall_templates["sqlite"] = str(saved)
        else:
            for suffix in ("-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            shutil.copyfile(_mall_templates["sqlite"], target)
        return cli
    server = request.getfixturevalue("postgres")
    if "postgresql" not in _mall_templates:
        _build(cli)
        name = f"mallctl_mall_{uuid.uuid4().hex[:10]}"
        server.create(name, template=url.database)
        _mall_templates["postgresql"], _mall_templates["postgres_server"] = name, server
    else:
        server.drop(url.database)
        server.create(url.database, template=_mall_templates["postgresql"])
    return cli


def _checkpoint(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()


def create(
    cli: Cli,
    *,
    shop: str = "L1-001",
    tenant: str = "T001",
    start: str = "2026-01-01",
    end: str = "2026-12-31",
    rent: str = "12000",
    by: str = "liu",
    extra: tuple[str, ...] = (),
    **kwargs: Any,
) -> dict[str, Any]:
    args = ["--shop", shop, "--tenant", tenant, "--start", start, "--end", end, "--rent", rent]
    return cli.json("contract", "create", *args, *extra, "--by", by, **kwargs)


def approved(cli: Cli, **kwargs: Any) -> dict[str, Any]:
    """A contract created by liu, submitted by liu and approved by wang."""
    number = create(cli, **kwargs)["number"]
    cli.json("contract", "submit", number, "--by", "liu")
    return cli.json("contract", "approve", number, "--by", "wang")


def pending(cli: Cli, **kwargs: Any) -> dict[str, Any]:
    number = create(cli, **kwargs)["number"]
    return cli.json("contract", "submit", number, "--by", "liu")


def snapshot(cli: Cli) -> dict[str, Any]:
    """Every contract, charge term, audit record and queued message."""
    contracts = cli.json("contract", "list")
    return {
        "contracts": contracts,
        "audit": cli.json("audit", "list"),
        "outbox": cli.json("notify", "outbox", "--limit", "1000"),
    }


class Refusals:
    """Commands that must fail: exit 1, nothing on stdout, one `error:` line naming what
    is wrong, and nothing changed in the database. The snapshot taken after one refusal
    is the "before" of the next, as long as nothing else ran in between."""

    def __init__(self, cli: Cli) -> None:
        self.cli = cli
        self.before: dict[str, Any] | None = None

    def __call__(self, *args: str, says: str | list[str], **kwargs: Any) -> str:
        before = self.before if self.before is not None else snapshot(self.cli)
        ran = self.cli(*args, code=1, **kwargs)
        assert ran.stdout == "", ran.stdout
        line = one_line_error(ran.stderr)
        for part in [says] if isinstance(says, str) else says:
            assert part in line, line
        self.before = snapshot(self.cli)
        assert self.before == before
        return line.removeprefix("error: ")


def refused(cli: Cli, *args: str, says: str | list[str], **kwargs: Any) -> str:
    """One command that must fail and change nothing (see Refusals)."""
    return Refusals(cli)(*args, says=says, **kwargs)


def history(cli: Cli, number: str) -> list[tuple[str | None, str, str | None, str | None]]:
    """(actor, from, to, comment) of each transition, oldest first."""
    return [
        (h["actor"], h["from"], h["to"], h["comment"])
        for h in cli.json("contract", "show", number)["history"]
    ]


def inbox_events(cli: Cli, *, user: str | None = None, tenant: str | None = None) -> list[str]:
    who = ["--user", user] if user else ["--tenant", tenant or ""]
    return sorted(n["event"] for n in cli.json("notify", "list", *who))
