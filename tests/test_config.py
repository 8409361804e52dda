"""Settings: defaults under one home, environment, config file, precedence."""

from __future__ import annotations

from pathlib import Path

import pytest

from chainsleuth.config import load_settings
from chainsleuth.errors import Invalid


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in (
        "CHAINSLEUTH_HOME",
        "CHAINSLEUTH_STORE",
        "CHAINSLEUTH_DATABASE_URL",
        "CHAINSLEUTH_CONFIG",
        "CHAINSLEUTH_NETWORK",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


def test_defaults_live_under_one_home(tmp_path: Path) -> None:
    s = load_settings()
    assert s.home == tmp_path / "xdg" / "chainsleuth"
    assert s.store_dir == s.home / "store"
    assert s.db_url == f"sqlite:///{s.home / 'chainsleuth.db'}"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CHAINSLEUTH_STORE", str(tmp_path / "s"))
    monkeypatch.setenv("CHAINSLEUTH_DATABASE_URL", "postgresql+psycopg://x@h/db")
    s = load_settings()
    assert s.store_dir == tmp_path / "s"
    assert s.db_url == "postgresql+psycopg://x@h/db"


def test_file_values_yield_to_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "cs.toml"
    cfg.write_text('[chainsleuth]\nnetwork = "testnet"\nbatch_blocks = 42\nhome = "/srv/cs"\n')
    monkeypatch.setenv("CHAINSLEUTH_CONFIG", str(cfg))
    monkeypatch.setenv("CHAINSLEUTH_HOME", str(tmp_path / "h"))
    s = load_settings()
    assert (s.network, s.batch_blocks, s.home) == ("testnet", 42, tmp_path / "h")


def test_bad_file_names_the_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text("network = \n")
    monkeypatch.setenv("CHAINSLEUTH_CONFIG", str(cfg))
    with pytest.raises(Invalid, match=r"bad\.toml"):
        load_settings()


def test_unknown_setting_is_rejected(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "cs.toml"
    cfg.write_text('[chainsleuth]\nstroe = "/x"\n')
    monkeypatch.setenv("CHAINSLEUTH_CONFIG", str(cfg))
    with pytest.raises(Invalid, match="stroe"):
        load_settings()
