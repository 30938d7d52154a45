from __future__ import annotations

from pathlib import Path

from streamkit import __version__
from tests.conftest import run_cli


def test_version_is_printed() -> None:
    done = run_cli(["--version"])
    assert done.returncode == 0
    assert done.stdout.strip() == f"streamkit {__version__}"


def test_missing_media_file_is_one_line_error_without_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    done = run_cli(["probe", str(missing)])
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {missing}: file not found"
    assert "Traceback" not in done.stderr + done.stdout


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "streamkit.yaml"
    bad.write_text("version: 1\nobs:\n  port: -3\n", encoding="utf-8")
    plain = run_cli(["--config", str(bad), "config", "check"])
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    debug = run_cli(["--debug", "--config", str(bad), "config", "check"])
    assert debug.returncode == 1
    assert "Traceback" in debug.stderr and "ConfigError" in debug.stderr


def test_usage_error_exits_2() -> None:
    done = run_cli(["samples", "--size", "big"])
    assert done.returncode == 2
    assert "WIDTHxHEIGHT" in done.stderr
