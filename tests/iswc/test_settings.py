"""The [iswc] section: defaults, the key from the environment, typos and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.config import ConfigError, IswcSettings, load_config, parse_config
from exchange.iswc import limits
from exchange.iswc.client import IswcClient
from exchange.store import Store

pytestmark = pytest.mark.iswc


def _parse(text: str, tmp_path: Path):
    import tomllib

    return parse_config(tomllib.loads(text), tmp_path / "node.toml")


def test_defaults_follow_the_specification(tmp_path: Path) -> None:
    config = _parse('[node]\nsociety_code = "52"\n[iswc]\nurl = "http://127.0.0.1:9/"\n', tmp_path)
    settings = config.iswc
    assert settings == IswcSettings(url="http://127.0.0.1:9", agency="052", source_db=52)
    assert settings.requests_per_minute == limits.REQUESTS_PER_MINUTE == 10
    assert settings.requests_per_month == limits.REQUESTS_PER_MONTH == 1_000_000
    assert settings.batch_size == 100 and settings.auto_approve_days == 30
    assert settings.key_env == "EXCHANGE_ISWC_KEY"
    assert settings.notification_partner is None and settings.notification_folder is None
    assert _parse("[node]\n", tmp_path).iswc is None


def test_the_example_configuration_has_an_iswc_section() -> None:
    config = load_config(Path(__file__).parents[2] / "config" / "node.example.toml")
    assert config.iswc is not None and config.iswc.agency == "052"
    assert config.iswc.schedule == "30 3 * * *"
    assert config.iswc.notification_folder.name == "iswc-notifications"


def test_the_key_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _parse(
        '[iswc]\nurl = "http://127.0.0.1:9"\nagency = "128"\nkey_env = "MY_KEY"\n', tmp_path
    )
    monkeypatch.delenv("MY_KEY", raising=False)
    with pytest.raises(ConfigError, match=r"\$MY_KEY"):
        config.iswc.key()
    monkeypatch.setenv("MY_KEY", " s3cret ")
    assert config.iswc.key() == "s3cret"
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.init()
    with IswcClient.from_settings(config.iswc, store) as client:
        assert (client.agency, client.source_db, client.batch_size) == ("128", 128, 100)


def test_the_url_is_needed_only_by_the_api(tmp_path: Path) -> None:
    """Without [iswc] url the file route works; a client for the API says what is missing."""
    config = _parse('[iswc]\nagency = "128"\n', tmp_path)
    assert config.iswc is not None and config.iswc.url is None
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(ConfigError, match=r"\[iswc\] url is not set.*--file"):
        IswcClient.from_settings(config.iswc, store)


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ('url = "http://x"\nbatchsize = 5', "did you mean 'batch_size'"),
        ("agency = '052'\nurl_ = 'http://x'", "did you mean 'url'"),
        ('url = "ftp://x"', "must be an http(s) URL"),
        ('url = "http://x"', "agency must be our agency code"),  # no society code either
        ('url = "http://x"\nagency = "52A"', "agency must be our agency code"),
        ('url = "http://x"\nagency = "052"\nrequests_per_minute = 0', "at least 1"),
        ('url = "http://x"\nagency = "052"\nbatch_size = "100"', "must be a int"),
        ('url = "http://x"\nagency = "052"\nkey_env = "the key"', "must name an environment"),
        ('url = "http://x"\nagency = "052"\nschedule = "nightly"', "cron expression"),
        ('url = "http://x"\nagency = "052"\ntimezone = "Mars/Base"', "unknown time zone"),
        ('url = "http://x"\nagency = "052"\nnotification_partner = "CIS"', "unknown partner"),
        (
            'url = "http://x"\nagency = "052"\nnotification_partner = "CIS"\n'
            'notification_folder = "in"',
            "not both",
        ),
    ],
)
def test_bad_settings_name_the_key(tmp_path: Path, lines: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        _parse(f"[iswc]\n{lines}\n", tmp_path)
    assert says in str(raised.value) and "node.toml: [iswc]" in str(raised.value)


def test_a_notification_partner_must_be_configured(tmp_path: Path) -> None:
    config = _parse(
        '[iswc]\nurl = "http://x"\nagency = "052"\nnotification_partner = "CIS"\n'
        '[[partners]]\ncode = "CIS"\n',
        tmp_path,
    )
    assert config.iswc.notification_partner == "CIS"


def test_a_partner_may_not_take_the_name_of_the_iswc_job(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="give that partner another code"):
        _parse(
            '[iswc]\nurl = "http://x"\nagency = "052"\nschedule = "0 3 * * *"\n'
            '[[partners]]\ncode = "iswc"\n',
            tmp_path,
        )
