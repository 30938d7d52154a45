"""The options every group shares: ``--size`` is one type and a usage error (exit 2) wherever it is taken, and
help writes every default in one form."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from streamkit.cli import app, main
from streamkit.cli_common import FrameSize, parse_frame_size


@pytest.mark.parametrize(
    ("text", "size"),
    [("1920x1080", FrameSize(1920, 1080)), ("640X360", FrameSize(640, 360)), ("16x16", FrameSize(16, 16))],
)
def test_size_parses(text: str, size: FrameSize) -> None:
    assert parse_frame_size(text) == size
    assert str(size) == text.lower()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("big", "'big' is not WIDTHxHEIGHT"),
        ("1920x", "'1920x' is not WIDTHxHEIGHT"),
        ("1920*1080", "'1920*1080' is not WIDTHxHEIGHT"),
        ("-20x30", "'-20x30' is not WIDTHxHEIGHT"),
        (" 20x30", "' 20x30' is not WIDTHxHEIGHT"),
        ("15x100", "15x100 is smaller than 16x16"),
    ],
)
def test_bad_size_is_a_usage_error(text: str, message: str) -> None:
    with pytest.raises(typer.BadParameter, match=re.escape(message)) as raised:
        parse_frame_size(text)
    assert raised.value.exit_code == 2


def test_size_rules_of_a_command() -> None:
    assert parse_frame_size("64x36", minimum=36, even=True) == FrameSize(64, 36)
    with pytest.raises(typer.BadParameter, match="must be even"):
        parse_frame_size("65x36", minimum=36, even=True)
    with pytest.raises(typer.BadParameter, match="smaller than 64x64"):
        parse_frame_size("64x36", minimum=64)


@pytest.mark.parametrize(
    "command",
    [
        ["samples", "out"],
        ["obs", "launch"],
        ["overlay", "render", "title", "-t", "清明", "-o", "x.png"],
    ],
)
@pytest.mark.parametrize("size", ["big", "8x8"])
def test_every_size_option_exits_2_and_acts_not(
    command: list[str],
    size: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.setenv("STREAMKIT_OBS__LAUNCH_DIR", str(tmp_path / "obs"))
    with pytest.raises(SystemExit) as exited:
        main([*command, "--size", size])
    assert exited.value.code == 2
    assert "Invalid value for --size" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def _options(command: Any, path: str = "streamkit") -> list[tuple[str, Any]]:
    """Every parameter of a command and of the commands under it (typer's own click: typed loosely)."""
    found = [(path, p) for p in command.params]
    for name, sub in getattr(command, "commands", {}).items():
        found += _options(sub, f"{path} {name}")
    return found


def test_help_writes_defaults_one_way() -> None:
    options = _options(typer.main.get_command(app))
    assert len(options) > 60  # the walk reached the groups' commands
    for where, option in options:
        text = getattr(option, "help", None) or ""
        if "default" in text:
            # typer writes the defaults it knows as [default: …]; help names the others the same way, escaped so
            # that rich does not take the brackets for markup and drop them
            assert "\\[default: " in text and "(default" not in text, f"{where} {option.name}: {text}"


def test_defaults_from_settings_reach_the_help_text(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit):
        main(["obs", "launch", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "[default: settings obs.launch_dir]" in out and "[default: 640x360]" in out
