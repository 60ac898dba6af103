"""The context of one invocation: settings, clock, acting user name, database.

The CLI's root callback builds one `AppContext` from the global options; the scheduler
builds one per job run. Settings are loaded on first use, not when the context is made,
so `mallctl shop --help` works even when the config file is broken. Nothing here is built
at import time.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mallctl import db, migrate
from mallctl.clock import Clock, clock_for
from mallctl.config import LoadedSettings, Settings, load_settings
from mallctl.errors import DatabaseUnavailable


@dataclass
class AppContext:
    overrides: dict[str, Any] = field(default_factory=dict)
    config_path: Path | None = None
    as_of: str | None = None
    by: str | None = None
    verbose: int = 0
    quiet: bool = False
    _loaded: LoadedSettings | None = field(default=None, repr=False)
    _clock: Clock | None = field(default=None, repr=False)
    _engine: Engine | None = field(default=None, repr=False)
    _schema_checked: bool = field(default=False, repr=False)  # once per engine

    @classmethod
    def from_loaded(cls, loaded: LoadedSettings, *, clock: Clock | None = None) -> AppContext:
        """A context over settings built elsewhere (jobs, tests)."""
        return cls(_loaded=loaded, _clock=clock)

    @property
    def loaded(self) -> LoadedSettings:
        if self._loaded is None:
            self._loaded = load_settings(overrides=self.overrides, config_path=self.config_path)
        return self._loaded

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    @property
    def clock(self) -> Clock:
        """Mall time, pinned by --as-of when given."""
        if self._clock is None:
            self._clock = clock_for(self.as_of, self.settings.tz)
        return self._clock

    def set_as_of(self, as_of: str) -> None:
        self.as_of = as_of
        self._clock = None

    @property
    def actor_name(self) -> str | None:
        """`--by`, else MALLCTL_USER / the config's `user`; None when neither is set."""
        return self.by or self.settings.user

    def engine(self, *, create: bool = False, require_schema: bool = True) -> Engine:
        """The database engine, opened once per invocation.

        `create` allows a new SQLite file (init, demo); otherwise a missing file is an
        error rather than a silently created empty database. `require_schema` checks the
        database is at the newest migration.
        """
        if self._engine is None:
            url = db.normalize_url(self.settings.db_url)
            if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
                path = Path(url.database)
                if create:
                    path.parent.mkdir(parents=True, exist_ok=True)
                elif not path.exists():
                    raise DatabaseUnavailable(
                        f"database file {path} does not exist; run `mallctl init` (or pass --db)"
                    )
            engine = db.make_engine(
                url.render_as_string(hide_password=False),
                busy_timeout_ms=self.settings.sqlite_busy_timeout_ms,
            )
            db.check_reachable(engine)
            self._engine = engine
        if require_schema and not self._schema_checked:
            migrate.require_head(self._engine)
            self._schema_checked = True
        return self._engine

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """The command's one unit of work, committed once when the block ends."""
        with db.transaction(self.engine(), write=write) as session:
            yield session

    def use_database(self, url: str) -> None:
        """Point this invocation at another database (the demo's own file)."""
        self.close()
        self.loaded.settings = self.settings.model_copy(update={"database_url": SecretStr(url)})

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._schema_checked = False
