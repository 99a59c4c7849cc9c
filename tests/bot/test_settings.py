"""Settings: defaults with no configuration, .env under the environment, every problem at once."""

from pathlib import Path

import pytest

from bot.settings import SettingsError, load_settings, setting_names


def test_no_configuration_at_all_gives_the_documented_defaults():
    settings = load_settings({}, env_file=None)
    assert (settings.bot_host, settings.bot_port) == ("127.0.0.1", 8080)
    assert settings.bot_db_path == Path("data/helper.sqlite3")
    assert (
        settings.retention_days,
        settings.web_rate_per_minute,
        settings.web_rate_per_minute_per_address,
    ) == (
        30,
        60,
        600,
    )
    assert settings.public_url == settings.trusted_proxy == settings.guide_video_url == ""
    assert settings.bot_timezone == "Asia/Ho_Chi_Minh"
    assert not settings.secure_cookies


def test_the_environment_overrides_the_env_file(tmp_path):
    env = tmp_path / ".env"
    env.write_text("BOT_PORT=9000\nCOMMUNE_NAME=xã Thử\n", encoding="utf-8")
    settings = load_settings({"BOT_PORT": "9100", "log_level": "debug"}, env_file=env)
    assert (settings.bot_port, settings.commune_name, settings.log_level) == (9100, "xã Thử", "DEBUG")


def test_every_problem_is_reported_together_in_plain_words():
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "BOT_PORT": "abc",
                "RETENTION_DAYS": "0",
                "PUBLIC_URL": "xa.example.vn",
                "BOT_TIMEZONE": "Mars/Base",
                "TRUSTED_PROXY": "proxy",
                "LOG_LEVEL": "loud",
            },
            env_file=None,
        )
    problems = caught.value.problems
    assert len(problems) == 6
    assert "LOG_LEVEL: phải là một trong: DEBUG, INFO, WARNING, ERROR (đang là 'LOUD')" in problems
    assert any(p.startswith("BOT_PORT: phải là số nguyên") for p in problems)
    assert any(p.startswith("PUBLIC_URL: phải là địa chỉ web đầy đủ") for p in problems)
    assert any("Asia/Ho_Chi_Minh" in p for p in problems)


def test_an_https_public_url_makes_cookies_secure_and_loses_its_trailing_slash():
    settings = load_settings({"PUBLIC_URL": "https://xa.example.vn/"}, env_file=None)
    assert settings.public_url == "https://xa.example.vn"
    assert settings.secure_cookies


def test_env_example_documents_every_setting():
    example = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")
    for name in setting_names():
        assert f"\n{name.upper()}=" in example or f"\n# {name.upper()}=" in example, name


def test_a_misspelled_name_is_a_problem_not_silence(tmp_path):
    env = tmp_path / ".env"
    env.write_text("BOT_PROT=9000\n", encoding="utf-8")
    with pytest.raises(SettingsError) as caught:
        load_settings({"WEB_RATE_PER_MINUTES": "5", "PATH": "/usr/bin", "HOME": "/root"}, env_file=env)
    assert [p.split(":")[0] for p in caught.value.problems] == ["BOT_PROT", "WEB_RATE_PER_MINUTES"]


def test_misspellings_are_found_for_every_prefix_the_helper_uses():
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {"TELEGRAM_BOT_TOKN": "x", "OFFICER_ID": "telegram:1", "LOG_LEVELS": "INFO", "TELEPORT": "on"},
            env_file=None,
        )
    assert sorted(p.split(":")[0] for p in caught.value.problems) == [
        "LOG_LEVELS",
        "OFFICER_ID",
        "TELEGRAM_BOT_TOKN",
    ], "TELEPORT is not one of ours"


TOKEN = "123456789:AAH-secret_part_of_the_token_0123"


def test_channel_settings_are_grouped_and_secrets_never_print():
    settings = load_settings(
        {"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_WEBHOOK_SECRET": "s3cret-value", "TELEGRAM_PACING": "off"},
        env_file=None,
    )
    assert settings.telegram.configured
    assert settings.telegram.bot_token.get_secret_value() == TOKEN
    assert settings.telegram.pacing is False
    assert TOKEN not in repr(settings)
    assert "s3cret-value" not in str(settings)
    assert sorted(settings.secrets()) == sorted([TOKEN, "s3cret-value"])
    assert not load_settings({}, env_file=None).telegram.configured


def test_a_malformed_token_or_secret_names_the_setting_and_hides_the_value():
    with pytest.raises(SettingsError) as caught:
        load_settings(
            {
                "TELEGRAM_BOT_TOKEN": "not a token",
                "TELEGRAM_WEBHOOK_SECRET": "có dấu",
                "OFFICER_IDS": "12345",
            },
            env_file=None,
        )
    problems = caught.value.problems
    assert [p.split(":")[0] for p in problems] == [
        "OFFICER_IDS",
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_WEBHOOK_SECRET",
    ]
    assert "@BotFather" in problems[1]
    assert not any("not a token" in p or "có dấu" in p for p in problems), "secret values are not echoed"


def test_officers_are_channel_and_user():
    settings = load_settings({"OFFICER_IDS": "telegram:12345, zalo:abc"}, env_file=None)
    assert settings.officers == {"telegram:12345", "zalo:abc"}


def test_the_report_cutoff_and_the_time_zone_are_read_for_the_weeks():
    settings = load_settings({"REPORT_CUTOFF": "thu 17:30", "BOT_TIMEZONE": "Asia/Bangkok"}, env_file=None)
    assert (settings.cutoff.weekday, settings.cutoff.at.hour, settings.cutoff.at.minute) == (3, 17, 30)
    assert settings.zone.key == "Asia/Bangkok"
    with pytest.raises(SettingsError) as raised:
        load_settings({"REPORT_CUTOFF": "07:00"}, env_file=None)
    assert raised.value.problems[0].startswith("REPORT_CUTOFF: viết dạng thứ và giờ, ví dụ WED 07:00")
