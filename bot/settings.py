"""Deployment settings, read once at start from the environment and an optional `.env` file.

Every problem is reported at once, in plain words, before anything starts: the person setting up
the helper fixes the file in one go instead of meeting errors one restart at a time. Tests (and any
caller) can pass their own mapping instead of the process environment.
"""

import os
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from ipaddress import ip_address
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.reports.report import Targets
from bot.reports.week import Cutoff
from flows.content import DEFAULT_RETENTION_DAYS

ENV_FILE = Path(".env")
#: The dashboard's password is shared by the office; shorter ones are guessed.
MIN_PASSWORD = 10


class SettingsError(ValueError):
    """The settings cannot be used; `problems` lists every one of them."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _url(value: str, name: str) -> str:
    if not value:
        return value
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"phải là địa chỉ web đầy đủ, ví dụ https://xa.example.vn (đang là {value!r})")
    return value.rstrip("/") if name == "public_url" else value


_OFFICER = re.compile(r"^[a-z]+:[A-Za-z0-9_.-]{1,64}$")


class BotSettings(BaseModel):
    """What every bot platform's channel is configured with (`<PLATFORM>_*`); it starts only when
    the token is set. A platform says what its token and webhook secret look like."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: (pattern, what to say when the value does not match) for the token and the secret.
    token_form: ClassVar[tuple[re.Pattern[str], str]]
    secret_form: ClassVar[tuple[re.Pattern[str], str]]

    bot_token: SecretStr = SecretStr("")
    api_base: str = ""
    webhook_secret: SecretStr = SecretStr("")
    pacing: bool = True

    @field_validator("bot_token")
    @classmethod
    def _check_token(cls, value: SecretStr) -> SecretStr:
        return _secret(value, *cls.token_form)

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: SecretStr) -> SecretStr:
        return _secret(value, *cls.secret_form)

    @field_validator("api_base")
    @classmethod
    def _check_base(cls, value: str) -> str:
        return _url(value.strip(), "api_base")

    @property
    def configured(self) -> bool:
        return bool(self.bot_token.get_secret_value())


def _secret(value: SecretStr, form: re.Pattern[str], problem: str) -> SecretStr:
    text = value.get_secret_value().strip()
    if text and not form.match(text):
        raise ValueError(problem)
    return SecretStr(text)


class TelegramSettings(BotSettings):
    """`TELEGRAM_*`."""

    token_form = (
        re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$"),
        "không giống mã bot Telegram (dạng 123456789:AA..., lấy từ @BotFather)",
    )
    #: What Telegram allows in a webhook's secret header (Bot API `setWebhook`).
    secret_form = (
        re.compile(r"^[A-Za-z0-9_-]{1,256}$"),
        "chỉ gồm chữ không dấu, số, '_' và '-', tối đa 256 ký tự",
    )
    api_base: str = "https://api.telegram.org/bot"


class ZaloSettings(BotSettings):
    """`ZALO_*` (Zalo Bot Platform)."""

    token_form = (
        re.compile(r"^\d{3,}:\S{6,}$"),
        "không giống mã bot Zalo (dạng 12345689:abc-xyz, Zalo Bot Creator gửi qua tin nhắn Zalo)",
    )
    #: Zalo's `setWebhook` takes a secret of 8 to 256 characters; kept to header-safe ones.
    secret_form = (re.compile(r"^[A-Za-z0-9_-]{8,256}$"), "từ 8 đến 256 ký tự: chữ không dấu, số, '_' và '-'")
    api_base: str = "https://bot-api.zaloplatforms.com/bot"
    #: The hosts (and their subdomains) a resident's photo is fetched from: Zalo's image servers.
    photo_hosts: str = "zdn.vn,zadn.vn"

    @field_validator("photo_hosts")
    @classmethod
    def _check_hosts(cls, value: str) -> str:
        hosts = [host.strip().lower() for host in value.split(",") if host.strip()]
        if not hosts or any(not re.fullmatch(r"[a-z0-9.-]+", host) for host in hosts):
            raise ValueError("là tên máy chủ, cách nhau bằng dấu phẩy, ví dụ zdn.vn,zadn.vn")
        return ",".join(hosts)


#: Settings grouped per channel: `TELEGRAM_BOT_TOKEN` is `settings.telegram.bot_token`.
_GROUPS: dict[str, type[BaseModel]] = {"telegram": TelegramSettings, "zalo": ZaloSettings}


class Settings(BaseSettings):
    """Names and defaults are documented in `.env.example`."""

    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True)

    bot_host: str = "127.0.0.1"
    bot_port: int = Field(8080, ge=1, le=65535)
    bot_db_path: Path = Path("data/helper.sqlite3")
    public_url: str = ""
    commune_name: str = ""  # empty: the name in content/office.toml (xã Chợ Mới)
    bot_timezone: str = "Asia/Ho_Chi_Minh"
    report_cutoff: str = "WED 07:00"
    guide_video_url: str = ""
    retention_days: int = Field(DEFAULT_RETENTION_DAYS, ge=1, le=3650)
    web_rate_per_minute: int = Field(60, ge=1)
    web_rate_per_minute_per_address: int = Field(600, ge=1)
    trusted_proxy: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    officer_ids: str = ""
    campaign_start: date | None = None
    weekly_target_percent: int = Field(10, ge=1, le=100)
    signature_target: int = Field(1500, ge=0)
    dashboard_password: SecretStr = SecretStr("")
    telegram: TelegramSettings = TelegramSettings()
    zalo: ZaloSettings = ZaloSettings()

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource, **_: Any
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only what `load_settings` passes in: it decides where values come from."""
        return (init_settings,)

    @field_validator("public_url", "guide_video_url")
    @classmethod
    def _check_url(cls, value: str, info: Any) -> str:
        return _url(value.strip(), info.field_name)

    @field_validator("bot_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"không phải múi giờ hợp lệ, ví dụ Asia/Ho_Chi_Minh (đang là {value!r})"
            ) from None
        return value

    @field_validator("report_cutoff")
    @classmethod
    def _check_cutoff(cls, value: str) -> str:
        Cutoff.parse(value)
        return value.strip()

    @property
    def zone(self) -> ZoneInfo:
        """The commune's time zone: reporting weeks are counted in it."""
        return ZoneInfo(self.bot_timezone)

    @property
    def cutoff(self) -> Cutoff:
        return Cutoff.parse(self.report_cutoff)

    @property
    def campaign_since(self) -> datetime | None:
        """The campaign's first day, from midnight in the commune's zone."""
        return datetime.combine(self.campaign_start, time(), self.zone) if self.campaign_start else None

    @property
    def targets(self) -> Targets:
        return Targets(self.weekly_target_percent, self.signature_target)

    @field_validator("campaign_start", mode="before")
    @classmethod
    def _check_start(cls, value: object) -> object:
        if value == "":
            return None
        try:
            return date.fromisoformat(value) if isinstance(value, str) else value
        except ValueError:
            raise ValueError(f"ngày viết dạng 2025-09-01 (đang là {value!r})") from None

    @field_validator("dashboard_password")
    @classmethod
    def _check_password(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and len(value.get_secret_value()) < MIN_PASSWORD:
            raise ValueError(f"mật khẩu cần ít nhất {MIN_PASSWORD} ký tự")
        return value

    @field_validator("trusted_proxy")
    @classmethod
    def _check_proxy(cls, value: str) -> str:
        if value:
            try:
                ip_address(value.strip())
            except ValueError:
                raise ValueError(f"phải là một địa chỉ IP, ví dụ 127.0.0.1 (đang là {value!r})") from None
        return value.strip()

    @field_validator("officer_ids")
    @classmethod
    def _check_officers(cls, value: str) -> str:
        wrong = [item for item in _items(value) if not _OFFICER.match(item)]
        if wrong:
            raise ValueError(f"mỗi cán bộ ghi dạng kênh:mã, ví dụ telegram:12345 (sai: {', '.join(wrong)})")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def officers(self) -> frozenset[str]:
        """ "channel:user" of the commune's officers (the VHXH office)."""
        return frozenset(_items(self.officer_ids))

    def secrets(self) -> list[str]:
        """Every secret value set, for masking in logs and stored errors."""
        password = self.dashboard_password.get_secret_value()
        found = [password] if password else []
        for group in _GROUPS:
            for value in getattr(self, group).model_dump().values():
                if isinstance(value, SecretStr) and value.get_secret_value():
                    found.append(value.get_secret_value())
        return found


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


_PLAIN = {
    "int_parsing": "phải là số nguyên",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "literal_error": "phải là một trong: {choices}",
}


def _plain(error: Any) -> str:
    name = "_".join(str(part) for part in error["loc"]).upper() if error["loc"] else "?"
    if error["type"] == "value_error":
        return f"{name}: {error['msg'].removeprefix('Value error, ')}"
    template = _PLAIN.get(error["type"], error["msg"])
    context = dict(error.get("ctx", {}))
    context["choices"] = context.get("expected", "").replace("'", "").replace(" or ", ", ")
    message = template.format(**context)
    return f"{name}: {message} (đang là {error['input']!r})"


def setting_names() -> set[str]:
    """Every setting's environment name, lower case ("bot_port", "telegram_bot_token")."""
    flat = {name for name in Settings.model_fields if name not in _GROUPS}
    grouped = {f"{group}_{name}" for group, model in _GROUPS.items() for name in model.model_fields}
    return flat | grouped


def _ours(name: str, names: set[str]) -> bool:
    """A name that starts like one of this helper's ("TELEGRAM_", "BOT_", "WEB_", ...): a
    misspelling of one is reported, not ignored."""
    prefixes = {known.split("_", 1)[0] + "_" for known in names}
    return name.lower().startswith(tuple(prefixes))


def _nest(values: dict[str, str]) -> dict[str, Any]:
    """Flat environment names into the settings' shape, the channel groups as sub-mappings."""
    nested: dict[str, Any] = {}
    for name, value in values.items():
        group = name.split("_", 1)[0]
        if group in _GROUPS:
            nested.setdefault(group, {})[name.removeprefix(group + "_")] = value
        else:
            nested[name] = value
    return nested


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = ENV_FILE) -> Settings:
    """Settings from `env_file` (if it exists) overridden by `environ` (default: the process
    environment). Raises `SettingsError` listing every problem, misspelled names included."""
    environ = os.environ if environ is None else environ
    names = setting_names()
    from_file = dotenv_values(env_file) if env_file and env_file.is_file() else {}
    unknown = [k for k in from_file if k.lower() not in names]
    unknown += [k for k in environ if _ours(k, names) and k.lower() not in names]
    values = {k.lower(): v for k, v in from_file.items() if k.lower() in names and v is not None}
    values |= {k.lower(): v for k, v in environ.items() if k.lower() in names}
    problems = [f"{name}: không phải tên cấu hình nào (xem .env.example; sai chính tả?)" for name in unknown]
    try:
        settings = Settings(**_nest(values))
    except ValidationError as error:
        raise SettingsError(problems + [_plain(e) for e in error.errors()]) from None
    if problems:
        raise SettingsError(problems)
    return settings
