"""How a provider names a setting it cannot do without."""

from __future__ import annotations

from mallctl.config import ENV_PREFIX


def not_set(setting: str) -> str:
    """`aliyun.access_key_secret` → the one-line error naming the setting and its variable.

    >>> not_set("aliyun.access_key_secret")
    'aliyun.access_key_secret is not set (MALLCTL_ALIYUN__ACCESS_KEY_SECRET)'
    """
    env = ENV_PREFIX + setting.upper().replace(".", "__")
    return f"{setting} is not set ({env})"
