"""``media.ffmpeg`` and ``media.ffprobe`` in a settings file are the binaries every command runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from streamkit.cli import main
from streamkit.media.tools import MediaTools, media_tools, using_media_tools
from tests.cli.conftest import calls, recording_tool, write_config
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Half a second of grey, 64x36."""
    path = tmp_path_factory.mktemp("clip") / "grey.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=64x36:r=10:d=0.5", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", str(path)],
        check=True,
    )  # fmt: skip
    return path


def test_ffprobe_named_in_the_config_file_is_the_one_probe_runs(clip: Path, tmp_path: Path) -> None:
    ffprobe, log = recording_tool(tmp_path, "ffprobe")
    config = write_config(tmp_path, f"media:\n  ffprobe: {ffprobe}\n")
    done = run_cli(["--config", str(config), "probe", str(clip)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "video h264 64x36" in done.stdout
    assert any(str(clip) in call for call in calls(log)), calls(log)


def test_without_the_setting_the_recording_tool_is_not_run(clip: Path, tmp_path: Path) -> None:
    # the negative control: the log above fills because of the setting, not because of the stand-in's presence
    _, log = recording_tool(tmp_path, "ffprobe")
    done = run_cli(["--config", str(write_config(tmp_path, "")), "probe", str(clip)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert calls(log) == []


def test_ffmpeg_named_in_the_config_file_is_the_one_a_render_runs(tmp_path: Path) -> None:
    ffmpeg, log = recording_tool(tmp_path, "ffmpeg")
    config = write_config(tmp_path, f"media:\n  ffmpeg: {ffmpeg}\n")
    out = tmp_path / "countdown.webm"
    done = run_cli(
        ["--config", str(config), "overlay", "render", "countdown", "--seconds", "1", "--size", "64x64", "-o",
         str(out)],
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0
    assert any("libvpx-vp9" in call for call in calls(log)), calls(log)


def test_environment_wins_over_the_config_file(clip: Path, tmp_path: Path) -> None:
    (tmp_path / "file").mkdir()
    (tmp_path / "env").mkdir()
    from_file, file_log = recording_tool(tmp_path / "file", "ffprobe")
    from_env, env_log = recording_tool(tmp_path / "env", "ffprobe")
    config = write_config(tmp_path, f"media:\n  ffprobe: {from_file}\n")
    done = run_cli(
        ["--config", str(config), "probe", str(clip)], cwd=tmp_path, env={"STREAMKIT_MEDIA__FFPROBE": str(from_env)}
    )
    assert done.returncode == 0, done.stderr
    assert calls(file_log) == [] and len(calls(env_log)) == 1


def test_a_wrong_path_in_the_config_file_is_one_line_naming_the_setting(clip: Path, tmp_path: Path) -> None:
    missing = tmp_path / "no" / "ffprobe"
    config = write_config(tmp_path, f"media:\n  ffprobe: {missing}\n")
    done = run_cli(["--config", str(config), "probe", str(clip)], cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: settings: media.ffprobe: {missing} is not an executable program"


def test_the_choice_lasts_for_the_command_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STREAMKIT_MEDIA__FFMPEG", raising=False)
    monkeypatch.delenv("STREAMKIT_MEDIA__FFPROBE", raising=False)
    config = write_config(tmp_path, "media:\n  ffprobe: /opt/elsewhere/ffprobe\n")
    with pytest.raises(SystemExit) as exited:
        main(["--config", str(config), "probe", "missing.mp4"])
    assert exited.value.code == 1
    assert media_tools() == MediaTools("ffmpeg", "ffprobe")  # what library code sees after the command


def test_using_media_tools_restores_the_previous_choice() -> None:
    outer, inner = MediaTools("/a/ffmpeg", "/a/ffprobe"), MediaTools("/b/ffmpeg", "/b/ffprobe")
    with using_media_tools(outer):
        with using_media_tools(inner):
            assert media_tools() == inner
        assert media_tools() == outer


def test_doctor_checks_the_tools_the_config_file_names(tmp_path: Path) -> None:
    ffmpeg, ffmpeg_log = recording_tool(tmp_path, "ffmpeg")
    ffprobe, ffprobe_log = recording_tool(tmp_path, "ffprobe")
    config = write_config(tmp_path, f"media:\n  ffmpeg: {ffmpeg}\n  ffprobe: {ffprobe}\n")
    done = run_cli(["--config", str(config), "doctor"], cwd=tmp_path)
    assert "-hide_banner -version" in calls(ffprobe_log)
    assert {"-hide_banner -version", "-hide_banner -filters", "-hide_banner -encoders"} <= set(calls(ffmpeg_log))
    # moviepy is bound to the same chosen ffmpeg (a different one would be reported "expected …")
    moviepy = next(line for line in done.stdout.splitlines() if "moviepy" in line and "using ffmpeg" in line)
    assert "OK" in moviepy and "expected" not in done.stdout, done.stdout
