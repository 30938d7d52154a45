"""``streamkit overlay render`` as staff use it: a file on success; on failure one ``error:`` line, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from streamkit.cli import main
from streamkit.media.samples import SampleSet
from tests.conftest import run_cli


def test_render_lower_third_png(tmp_path: Path) -> None:
    out = tmp_path / "lt.png"
    done = run_cli(
        [
            "overlay",
            "render",
            "lower-third",
            "--text",
            "李青云",
            "--text",
            "1922–1949",
            "--size",
            "640x360",
            "-o",
            str(out),
        ]
    )
    assert done.returncode == 0, done.stderr
    with Image.open(out) as image:
        assert image.size == (640, 360) and image.mode == "RGBA"
        assert image.getpixel((639, 0))[3] == 0 and image.getchannel("A").getbbox() is not None


def test_render_vertical_title_and_countdown(tmp_path: Path) -> None:
    title, countdown = tmp_path / "t.png", tmp_path / "c.png"
    assert (
        run_cli(
            ["overlay", "render", "title", "-t", "英灵永存", "--vertical", "--size", "360x640", "-o", str(title)]
        ).returncode
        == 0
    )
    assert (
        run_cli(
            ["overlay", "render", "countdown", "--seconds", "45", "--size", "640x360", "-o", str(countdown)]
        ).returncode
        == 0
    )
    with Image.open(title) as t, Image.open(countdown) as c:
        assert t.size == (360, 640) and t.getchannel("A").getextrema() == (255, 255)
        assert c.getchannel("A").getextrema()[0] == 0


@pytest.mark.slow
def test_render_name_roll_video(samples: SampleSet, tmp_path: Path) -> None:
    out = tmp_path / "roll.webm"
    done = run_cli(
        [
            "overlay",
            "render",
            "name-roll",
            "--register",
            str(samples.register),
            "--size",
            "320x180",
            "--speed",
            "300",
            "-o",
            str(out),
        ]
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0 and "name roll of 40 names" in done.stdout


def _render(args: list[str], where: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    # in-process through the real entry point (a subprocess per case would cost seconds each); the
    # subprocess path is covered by the tests above and by test_glyphs_command_checks_a_register
    monkeypatch.chdir(where)
    monkeypatch.setenv("COLUMNS", "200")
    with pytest.raises(SystemExit) as exited:
        main(["overlay", "render", *args])
    return int(exited.value.code or 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lower-third", "-t", "周\U000f0000", "-o", "x.png"], "error: font Noto Sans CJK SC has no glyph for"),
        (["title", "-t", "清明", "--style", "nope", "-o", "x.png"], "error: nope: no overlay style of that name"),
        (["name-roll", "--register", "missing.csv", "-o", "x.webm"], "error: missing.csv: file not found"),
        (["lower-third", "-t", "李青云", "-t", "很长的说明" * 40, "-o", "x.png"], "the style allows 2"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    tmp_path: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _render(args, tmp_path, monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert message in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["lower-third", "-o", "x.png"], "Invalid value for --text: a lower-third needs --text NAME"),
        (["title", "-o", "x.png"], "Invalid value for --text: a title slate needs at least one --text LINE"),
        (["title", "-t", "清明", "--size", "big", "-o", "x.png"], "--size: 'big' is not WIDTHxHEIGHT"),
        (["title", "-t", "清明", "--size", "8x8", "-o", "x.png"], "--size: 8x8 is smaller than 16x16"),
        (["title", "-t", "清明", "-o", "x.jpg"], "--output: x.jpg: a title is a still image; name the output .png"),
        (["name-roll", "-o", "x.webm"], "Invalid value for --register: the name roll needs a register CSV"),
        (["countdown", "--dry-run", "-o", "frames"], "Invalid value for --dry-run: only a video has an ffmpeg command"),
    ],
)
def test_usage_errors_exit_2_and_write_nothing(
    tmp_path: Path,
    args: list[str],
    message: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _render(args, tmp_path, monkeypatch) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
