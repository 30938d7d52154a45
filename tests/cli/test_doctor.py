"""streamkit doctor: every piece OK or missing with the command that installs it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tests.conftest import run_cli


def test_doctor_reports_every_piece_ok_here() -> None:
    done = run_cli(["doctor"])
    assert done.returncode == 0, done.stdout + done.stderr
    for piece in ("ffmpeg", "ffprobe", "filter xfade", "filter acrossfade", "filter subtitles", "sidechaincompress",
                  "filter loudnorm", "filter ebur128", "encoder libx264", "encoder aac", "CJK font", "OBS Studio",
                  "obs-websocket", "Xvfb", "Chromium", "nginx RTMP module"):  # fmt: skip
        line = next((ln for ln in done.stdout.splitlines() if piece in ln), None)
        assert line is not None, f"{piece} missing from the table"
        assert "OK" in line, line
    assert "present (libass)" in done.stdout


def test_doctor_without_ffmpeg_exits_1_with_install_command(tmp_path: Path) -> None:
    # a PATH with the tools doctor needs to run but without ffmpeg, ffprobe or obs
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("fc-match", "fc-list", "dpkg-query"):
        found = shutil.which(tool)
        assert found is not None
        os.symlink(found, bin_dir / tool)
    done = run_cli(["doctor"], env={"PATH": str(bin_dir)})
    assert done.returncode == 1
    ffmpeg_line = next(ln for ln in done.stdout.splitlines() if ln.strip("│ ").startswith("ffmpeg"))
    assert "MISSING" in ffmpeg_line and "apt-get install ffmpeg" in ffmpeg_line
    obs_line = next(ln for ln in done.stdout.splitlines() if "OBS Studio" in ln)
    assert "missing" in obs_line and "apt-get install obs-studio" in obs_line
    assert "required piece(s) missing: ffmpeg, ffprobe" in done.stdout
