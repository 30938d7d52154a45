"""Config files: every problem of a file at once, each with file, line and field path."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import Field

from streamkit.config.loader import SpecModel, format_loc, load_spec, parse_spec
from streamkit.config.settings import load_settings
from streamkit.errors import ConfigError
from tests.conftest import run_cli


class Stop(SpecModel):
    title: str
    duration: float = Field(gt=0)


class Output(SpecModel):
    width: int = Field(1280, gt=0)
    crf: int = Field(20, ge=0, le=51)


class Tour(SpecModel):
    version: int
    title: str
    output: Output = Output()
    stops: tuple[Stop, ...]


TOUR = """\
version: 1
title: 陵园导览
output:
  width: 640
  crf: 99
stops:
  - title: 大门
    duration: 4
  - title: 纪念馆
    duration: 5
  - title: 英名墙
    duration: 0
  - title: 松柏路
    durration: 3
"""


def _problems(tmp_path: Path, text: str, model: type[SpecModel] = Tour) -> list[str]:
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_spec(path, model)
    return caught.value.lines()


def test_every_problem_reported_with_file_line_and_field(tmp_path: Path) -> None:
    lines = _problems(tmp_path, TOUR)
    name = str(tmp_path / "x.yaml")
    assert lines == [
        f"{name}:5: output.crf: must be <= 51",
        f"{name}:12: stops[2].duration: must be > 0",
        f"{name}:13: stops[3].duration: required",
        f"{name}:14: stops[3].durration: unknown key; did you mean 'duration'?",
    ]


def test_relative_path_shown_when_inside_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "config" / "tours").mkdir(parents=True)
    path = tmp_path / "config" / "tours" / "x.yaml"
    path.write_text(TOUR, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_spec(Path("config/tours/x.yaml"), Tour)
    assert "config/tours/x.yaml:12: stops[2].duration: must be > 0" in caught.value.lines()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("title: a\nstops: []\n", ":1: missing 'version:' (this streamkit reads version 1)"),
        ("version: 7\ntitle: a\nstops: []\n", ":1: unsupported version 7; this streamkit reads 1"),
        ("version: 1\ntitle: [unclosed\n", ":3: invalid YAML"),
        ("version: 1\ntitle: a\ntitle: b\nstops: []\n", ":3: invalid YAML: duplicate key 'title'"),
        ("- just\n- a list\n", ":1: expected a mapping of keys at the top level"),
    ],
)
def test_file_level_mistakes(tmp_path: Path, text: str, expected: str) -> None:
    (line,) = _problems(tmp_path, text)
    assert line.startswith(str(tmp_path / "x.yaml") + expected)


def test_version_dispatch_picks_the_model(tmp_path: Path) -> None:
    class TourV2(SpecModel):
        version: int
        name: str

    path = tmp_path / "t.yaml"
    path.write_text("version: 2\nname: hall\n", encoding="utf-8")
    loaded = parse_spec(path, {1: Tour, 2: TourV2})
    assert isinstance(loaded, TourV2) and loaded.name == "hall"


def test_models_are_frozen(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("version: 1\ntitle: a\nstops:\n  - title: b\n    duration: 1\n", encoding="utf-8")
    tour = load_spec(path, Tour)
    with pytest.raises(ValueError, match="frozen"):
        tour.stops[0].duration = 3  # type: ignore[misc]


def test_format_loc() -> None:
    assert format_loc(("stops", 2, "captions", 0, "text")) == "stops[2].captions[0].text"


def test_settings_layering(tmp_path: Path) -> None:
    config = tmp_path / "streamkit.yaml"
    config.write_text("version: 1\nobs:\n  host: 10.0.0.5\n  port: 4456\nweb:\n  port: 9000\n", encoding="utf-8")
    env = {"STREAMKIT_OBS__PORT": "4460", "STREAMKIT_WEB__HOST": "0.0.0.0", "UNRELATED": "1"}
    settings = load_settings(config, environ=env, overrides={"web": {"port": 9100}})
    assert settings.obs.host == "10.0.0.5"  # file beats default
    assert settings.obs.port == 4460  # environment beats file
    assert settings.web.host == "0.0.0.0"
    assert settings.web.port == 9100  # flag beats file
    assert settings.obs.request_timeout_s == 5.0  # default stays


def test_setting_error_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={"STREAMKIT_OBS__PORT": "not-a-port"})
    assert caught.value.lines()[0].startswith("$STREAMKIT_OBS__PORT: obs.port: ")


def test_setting_error_in_file_has_line(tmp_path: Path) -> None:
    config = tmp_path / "streamkit.yaml"
    config.write_text("version: 1\nobs:\n  host: x\n  prot: 4456\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    assert caught.value.lines() == [f"{config}:4: obs.prot: unknown key; did you mean 'port'?"]


SECRET = "hunter2-Sup3rSecret"


def test_secret_in_versioned_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    config = tmp_path / "streamkit.yaml"
    config.write_text(f"version: 1\nobs:\n  password: {SECRET}\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config, environ={})
    message = str(caught.value)
    assert f"{config}:3: obs.password: secrets do not belong in a versioned file" in message
    assert "STREAMKIT_OBS__PASSWORD" in message
    assert SECRET not in message


def test_secrets_never_in_repr_logs_or_errors(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    env = {
        "STREAMKIT_OBS__PASSWORD": SECRET,
        "STREAMKIT_WEB__SECRET_KEY": SECRET + "web",
        "STREAMKIT_TARGETS__YOUTUBE__URL": "rtmp://a.example/live2",
        "STREAMKIT_TARGETS__YOUTUBE__KEY": SECRET + "key",
    }
    with caplog.at_level(logging.DEBUG):
        settings = load_settings(None, environ=env)
        logging.getLogger("streamkit.test").debug("settings: %s %r", settings, settings)
    assert settings.obs.password is not None and settings.obs.password.get_secret_value() == SECRET
    assert settings.targets["youtube"].key is not None
    for text in (repr(settings), str(settings), settings.model_dump_json(), caplog.text):
        assert SECRET not in text
    # a bad value next to a secret: the error must not carry the secret either
    with pytest.raises(ConfigError) as caught:
        load_settings(None, environ={**env, "STREAMKIT_OBS__PORT": "x"})
    assert SECRET not in str(caught.value)


def test_secrets_file_is_read(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.yaml"
    secrets.write_text(f"obs:\n  password: {SECRET}\n", encoding="utf-8")
    settings = load_settings(None, environ={"STREAMKIT_SECRETS_FILE": str(secrets)})
    assert settings.obs.password is not None and settings.obs.password.get_secret_value() == SECRET


def test_config_check_cli_hides_secrets(tmp_path: Path) -> None:
    done = run_cli(["config", "check"], cwd=tmp_path, env={"STREAMKIT_OBS__PASSWORD": SECRET})
    assert done.returncode == 0, done.stderr
    assert '"password": "**********"' in done.stdout
    assert SECRET not in done.stdout + done.stderr


def test_config_check_cli_lists_all_problems(tmp_path: Path) -> None:
    config = tmp_path / "streamkit.yaml"
    config.write_text("version: 1\nobs:\n  port: 0\nweb:\n  prt: 1\n", encoding="utf-8")
    done = run_cli(["--config", str(config), "config", "check"])
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: {config}:3: obs.port: must be > 0",
        f"error: {config}:5: web.prt: unknown key; did you mean 'port'?",
    ]


def test_named_config_file_must_exist(tmp_path: Path) -> None:
    done = run_cli(["--config", str(tmp_path / "typo.yaml"), "config", "check"])
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {tmp_path / 'typo.yaml'}: file not found"


def test_shipped_config_files_are_valid() -> None:
    root = Path(__file__).resolve().parents[2]
    settings = load_settings(root / "config" / "streamkit.yaml", environ={})
    assert settings.targets["local"].url.startswith("rtmp://127.0.0.1")
