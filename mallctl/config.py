"""Settings: CLI flag > MALLCTL_* environment > TOML config file > defaults.

`load_settings` is the only way settings are built (never at import time). The config
file lives at `--config`, else `$MALLCTL_CONFIG`, else `$MALLCTL_HOME/mallctl.toml`; a
missing file is fine, a malformed one is an error naming the file and line, and a file
holding secrets that group or others can read is refused.
"""

from __future__ import annotations

import os
import stat
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from mallctl.errors import ConfigError

ENV_PREFIX = "MALLCTL_"
CONFIG_FILE_NAME = "mallctl.toml"

Source = Literal["flag", "env", "file", "default"]


def default_home() -> Path:
    """The platform's user data directory (`~/.local/share/mallctl` on Linux)."""
    return platformdirs.user_data_path("mallctl", appauthor=False)


class SmtpSettings(BaseModel):
    """[smtp]: the email provider."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "localhost"
    port: int = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    from_address: str = "mallctl@localhost"
    from_name: str | None = None
    timeout_s: float = 20.0


class AliyunSmsSettings(BaseModel):
    """[aliyun]: Aliyun SMS (dysmsapi)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    access_key_id: str | None = None
    access_key_secret: SecretStr | None = None
    sign_name: str | None = None
    endpoint: str = "https://dysmsapi.aliyuncs.com/"
    region: str = "cn-hangzhou"
    signature: Literal["rpc", "v3"] = "rpc"
    timeout_s: float = 10.0


class TencentSmsSettings(BaseModel):
    """[tencent]: Tencent Cloud SMS."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret_id: str | None = None
    secret_key: SecretStr | None = None
    sdk_app_id: str | None = None
    sign_name: str | None = None
    endpoint: str = "https://sms.tencentcloudapi.com/"
    region: str = "ap-guangzhou"
    timeout_s: float = 10.0


class WebhookSettings(BaseModel):
    """[webhook]: PUSH notifications as signed JSON POSTs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str | None = None
    secret: SecretStr | None = None
    timeout_s: float = 10.0


class NotificationSettings(BaseModel):
    """[notifications]: which provider serves each channel, and delivery policy."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sms_provider: Literal["log", "aliyun", "tencent"] = "log"
    email_provider: Literal["log", "smtp"] = "log"
    push_provider: Literal["log", "webhook"] = "log"
    log_file: Path | None = Field(default=None, description="default $MALLCTL_HOME/outbox.log")
    locale: Literal["zh-CN", "en"] = "zh-CN"
    max_attempts: int = Field(default=5, ge=1)
    backoff_base_s: int = Field(default=60, ge=1)
    rate_limit_wait_s: int = Field(default=300, ge=1)
    claim_lease_s: int = Field(
        default=600, ge=10, description="a claim older than this was lost in a crash"
    )
    deliver_after_commit: bool = True


class RequestSettings(BaseModel):
    """[requests]: how long a tenant request may wait for a decision (its SLA)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sla_days: int = Field(default=3, ge=1, description="days a request may wait for a decision")
    sla_days_by_type: dict[str, int] = Field(
        default_factory=dict, description='per request type, e.g. {"renovation": 5}'
    )

    @field_validator("sla_days_by_type")
    @classmethod
    def _known_types(cls, value: dict[str, int]) -> dict[str, int]:
        # The request types of domain.md; tenant_requests.rules.RequestType holds the same
        # (foundation cannot import a business area; a test keeps the two in step).
        known = ("renovation", "maintenance", "event", "extended_hours", "signage", "other")
        for kind, days in value.items():
            if kind not in known:
                raise ValueError(f"'{kind}' is not a request type ({', '.join(known)})")
            if days < 1:
                raise ValueError(f"{kind}: {days} days; an SLA is at least 1 day")
        return value


class ScheduleSettings(BaseModel):
    """[schedule]: monitoring pings of scheduled jobs (healthchecks-style URLs)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ping_urls: dict[str, str] = Field(
        default_factory=dict,
        description='per job, e.g. {"backup.run": "https://hc-ping.com/<uuid>"}: pinged at '
        "<url>/start, <url> on success, <url>/fail on failure",
    )
    ping_timeout_s: float = Field(default=10.0, gt=0)


class Settings(BaseSettings):
    """The effective configuration of one mallctl invocation."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", frozen=True
    )

    home: Path = Field(default_factory=default_home, description="data directory")
    database_url: SecretStr | None = Field(
        default=None, description="SQLAlchemy URL; default sqlite:///$MALLCTL_HOME/mallctl.db"
    )
    mall_name: str = Field(default="示例购物中心", description="shown on receipts and reports")
    timezone: str = Field(default="Asia/Shanghai", description="the mall's time zone")
    currency: str = Field(default="CNY", description="ISO 4217 code of all amounts")
    user: str | None = Field(default=None, description="acting user when --by is not given")
    sqlite_busy_timeout_ms: int = Field(default=15_000, ge=0)
    pdf_font: Path | None = Field(
        default=None,
        description="TrueType (.ttf/.ttc) font with Chinese glyphs for receipts and reports; "
        "default: the bundled WenQuanYi Micro Hei",
    )
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    aliyun: AliyunSmsSettings = Field(default_factory=AliyunSmsSettings)
    tencent: TencentSmsSettings = Field(default_factory=TencentSmsSettings)
    webhook: WebhookSettings = Field(default_factory=WebhookSettings)
    requests: RequestSettings = Field(default_factory=RequestSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)

    @field_validator("database_url", mode="before")
    @classmethod
    def _database_url(cls, value: object) -> object:
        # An empty MALLCTL_DATABASE_URL means "not set", as shells and cron files produce it.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if "://" not in text:
            raise ValueError("is not a database URL (sqlite:///PATH or postgresql+psycopg://…)")
        return text

    @field_validator("user", mode="before")
    @classmethod
    def _user(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known time zone (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, value: str) -> str:
        if len(value) != 3 or not value.isalpha():
            raise ValueError(f"'{value}' is not a three-letter currency code (e.g. CNY)")
        return value.upper()

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def db_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{self.home / 'mallctl.db'}"


class LoadedSettings:
    """Settings plus where each value came from, for `config show`."""

    def __init__(self, settings: Settings, config_path: Path, sources: dict[str, Source]) -> None:
        self.settings = settings
        self.config_path = config_path
        self.sources = sources


def config_path_for(explicit: Path | None, home: Path) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get(f"{ENV_PREFIX}CONFIG")
    return Path(env) if env else home / CONFIG_FILE_NAME


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse the TOML file; a missing file is an empty configuration."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"config file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)".
        raise ConfigError(f"config file {path}: {exc}") from None
    _refuse_readable_secrets(path, data)
    return data


def secret_keys(data: dict[str, Any], prefix: str = "") -> list[str]:
    """Dotted keys in a config mapping that hold secrets."""
    found = []
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            found += secret_keys(value, f"{dotted}.")
        elif _is_secret_key(key, value):
            found.append(dotted)
    return found


def _is_secret_key(key: str, value: object) -> bool:
    lowered = key.lower()
    if lowered == "database_url":
        return isinstance(value, str) and _url_has_password(value)
    return any(word in lowered for word in ("password", "secret", "token", "access_key"))


def _url_has_password(url: str) -> bool:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).password is not None
    except Exception:
        return False


def _refuse_readable_secrets(path: Path, data: dict[str, Any]) -> None:
    keys = secret_keys(data)
    if not keys or os.name != "posix":
        return
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"config file {path} holds secrets ({', '.join(keys)}) but others can read it "
            f"(mode {mode:04o}); run: chmod 600 {path}"
        )


def load_settings(
    *, overrides: dict[str, Any] | None = None, config_path: Path | None = None
) -> LoadedSettings:
    """Build the settings of one invocation from flags, environment, file and defaults."""
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    home = Path(flags.get("home") or os.environ.get(f"{ENV_PREFIX}HOME") or default_home())
    path = config_path_for(config_path, home)
    explicit = config_path is not None or f"{ENV_PREFIX}CONFIG" in os.environ
    if explicit and not path.exists():
        raise ConfigError(f"config file {path} does not exist")
    file_data = read_config_file(path)
    if "home" in file_data:
        raise ConfigError(
            f"config file {path}: 'home' cannot be set in the file that lives in it; "
            f"set {ENV_PREFIX}HOME instead"
        )

    class _Layered(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            return (init_settings, env_settings, InitSettingsSource(settings_cls, file_data))

    try:
        layered = _Layered(**flags)
    except ValidationError as exc:
        raise ConfigError(_describe_validation_error(exc, path)) from None
    settings = Settings.model_construct(**dict(layered))
    sources = {name: _source_of(name, flags, file_data) for name, _ in _flatten(settings)}
    return LoadedSettings(settings, path, sources)


def _source_of(name: str, flags: dict[str, Any], file_data: dict[str, Any]) -> Source:
    """Where a (dotted) setting came from: `smtp.host` ← MALLCTL_SMTP__HOST or [smtp] host."""
    parts = name.split(".")
    if parts[0] in flags:
        return "flag"
    env_name = (ENV_PREFIX + "__".join(parts)).upper()
    if any(key.upper() == env_name for key in os.environ):
        return "env"
    section: Any = file_data
    for part in parts:
        if not isinstance(section, dict) or part not in section:
            return "default"
        section = section[part]
    return "file"


def _describe_validation_error(exc: ValidationError, path: Path) -> str:
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = "unknown setting"
    return f"configuration ({path} or {ENV_PREFIX}* environment): {where}: {message}"


def masked_view(loaded: LoadedSettings) -> dict[str, Any]:
    """The effective settings as plain values under dotted names (`smtp.password`),
    secrets masked, each with its source."""
    from sqlalchemy.engine import make_url

    s = loaded.settings
    values: dict[str, Any] = {}
    for name, value in _flatten(s):
        if name == "database_url":
            value = make_url(s.db_url).render_as_string(hide_password=True)
        elif isinstance(value, SecretStr):
            value = "********" if value.get_secret_value() else ""
        elif name.endswith("url") and isinstance(value, str) and "?" in value:
            # Robot webhooks (DingTalk, WeCom, Feishu) carry their token in the query.
            value = value.split("?", 1)[0] + "?********"
        elif isinstance(value, Path):
            value = str(value)
        values[name] = value
    return {
        "config_file": str(loaded.config_path),
        "config_file_exists": loaded.config_path.exists(),
        "settings": values,
        "sources": {name: loaded.sources.get(name, "default") for name in values},
    }


def _flatten(model: BaseModel, prefix: str = "") -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            items += _flatten(value, f"{prefix}{name}.")
        else:
            items.append((f"{prefix}{name}", value))
    return items
