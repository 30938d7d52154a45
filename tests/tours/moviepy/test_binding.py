"""moviepy runs streamkit's ffmpeg (/usr/bin/ffmpeg here), not the binary bundled with imageio-ffmpeg."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from streamkit.media.moviepy_binding import moviepy_ffmpeg
from tests.conftest import run_cli

SYSTEM_FFMPEG = shutil.which("ffmpeg")


def _python(code: str, env: dict[str, str]) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("FFMPEG_BINARY", "IMAGEIO_FFMPEG_EXE")}
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          check=True, timeout=120)  # fmt: skip
    return done.stdout.strip()


def test_every_moviepy_module_points_at_our_ffmpeg() -> None:
    assert SYSTEM_FFMPEG == "/usr/bin/ffmpeg"
    used = moviepy_ffmpeg()
    assert len(used) >= 5
    assert set(used.values()) == {SYSTEM_FFMPEG}


def test_binding_wins_even_when_moviepy_was_imported_first() -> None:
    """Left alone, moviepy picks imageio's bundled ffmpeg at import; load_moviepy re-points every module."""
    code = (
        "import moviepy.config as c, moviepy.video.io.ffmpeg_writer as w\n"
        "print(c.FFMPEG_BINARY)\n"
        "from streamkit.media.moviepy_binding import load_moviepy\n"
        "load_moviepy()\n"
        "print(w.FFMPEG_BINARY)\n"
    )
    before, after = _python(code, {}).splitlines()
    assert before != SYSTEM_FFMPEG and "imageio" in before
    assert after == SYSTEM_FFMPEG


def test_moviepy_really_runs_the_configured_binary(tmp_path: Path) -> None:
    """A logging wrapper set as streamkit's ffmpeg sees moviepy's writer start it."""
    log = tmp_path / "calls.log"
    wrapper = tmp_path / "ffmpeg"
    wrapper.write_text(f'#!/bin/sh\necho "$@" >> {log}\nexec {SYSTEM_FFMPEG} "$@"\n')
    wrapper.chmod(0o755)
    out = tmp_path / "red.mp4"
    code = (
        "from streamkit.media.moviepy_binding import load_moviepy\n"
        "mp = load_moviepy()\n"
        f"mp.ColorClip((64, 64), color=(255, 0, 0), duration=0.2).write_videofile({str(out)!r}, fps=10, logger=None)\n"
    )
    _python(code, {"STREAMKIT_MEDIA__FFMPEG": str(wrapper)})
    assert out.stat().st_size > 0
    calls = log.read_text().splitlines()
    assert any("rawvideo" in line and str(out) in line for line in calls), calls


def test_doctor_shows_which_ffmpeg_moviepy_uses() -> None:
    done = run_cli(["doctor"])
    row = next(line for line in done.stdout.splitlines() if "moviepy" in line and "ffmpeg" in line)
    assert "OK" in row and SYSTEM_FFMPEG in row and "imageio" not in row
