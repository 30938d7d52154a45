"""Tour fixtures: specs over the session's sample media, one shared full render, and measuring helpers."""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from streamkit.media.samples import SampleSet
from streamkit.tours.render import RenderOptions, RenderResult, render_tour

TRICKY = "引号' 冒号: 逗号, [括号] 等号= 百分% 反斜\\杠"

MAIN_SPEC = """\
version: 1
media_root: {root}
output:
  size: 320x180
  fps: "25"
  crf: 24
  preset: veryfast
  hls:
    - {{height: 180, bitrate_kbps: 400}}
    - {{height: 90, bitrate_kbps: 150}}
defaults:
  transition: {{name: fade, duration: 0.4}}
  captions: {{max_chars: 12}}
title:
  lines: [烈士陵园导览, Memorial Tour]
  duration: 1.5
stops:
  - title: 陵园大门
    clip: {{path: clips/memorial-gate.mp4, start: 0.5, end: 2.5, volume: 0.5}}
    captions:
      - {{text: "{tricky}", start: 0.2, end: 1.4}}
    lower_third: {{name: 陵园大门, detail: 始建于一九五五年, start: 0.2, duration: 1.2}}
  - title: 手机竖拍
    clip: {{path: clips/phone-portrait.mp4, end: 2}}
    transition: {{name: cut}}
  - title: 英烈墓区
    photos: {{paths: [photos/tomb-002.jpg, photos/tomb-011.jpg], seconds: 2}}
    captions: "第一句。\\n第二句话。"
  - title: 松柏小径
    clip: {{path: clips/cypress-path.mp4, end: 2}}
  - title: 献花
    clip: {{path: clips/wreath-vfr.mp4, end: 2.5}}
outro:
  lines: [英烈永垂不朽]
  duration: 1.5
narration:
  - {{path: audio/narration-3.m4a, at: 2.0}}
music:
  - {{path: audio/music-bed.m4a, volume: 0.4}}
logo: {{path: logo.png, corner: top-right, width: 0.1, margin: 6}}
"""


def write_spec(folder: Path, text: str, name: str = "tour.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@dataclass(frozen=True)
class MainRender:
    spec: Path
    output: Path
    hls: Path
    result: RenderResult


@pytest.fixture(scope="session")
def main_render(samples: SampleSet, tmp_path_factory: pytest.TempPathFactory) -> MainRender:
    """The mixed tour (title, rotated, VFR and silent clips, EXIF photo, narration, music, logo) rendered once."""
    folder = tmp_path_factory.mktemp("main-tour")
    spec = write_spec(folder, MAIN_SPEC.format(root=samples.folder, tricky=TRICKY.replace("\\", "\\\\")))
    out = folder / "out" / "tour.mp4"
    result = render_tour(spec, out, RenderOptions(hls_dir=folder / "hls", show_progress=False))
    return MainRender(spec, out, folder / "hls", result)


def ffprobe_json(path: Path, *args: str) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-of", "json", *args, str(path)], capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def ffmpeg_stderr(*args: str) -> str:
    done = subprocess.run(["ffmpeg", "-hide_banner", "-nostdin", *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stderr


def integrated_loudness(path: Path) -> float:
    text = ffmpeg_stderr("-i", str(path), "-map", "0:a", "-af", "ebur128", "-f", "null", "-")
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", text)[-1])


def rms_db(path: Path, start: float, end: float, band_hz: float | None = None) -> float:
    """RMS level (dBFS) of the audio between two times, optionally through a narrow band-pass."""
    chain = f"atrim={start}:{end},pan=mono|c0=c0"
    if band_hz:
        chain += f",bandpass=f={band_hz}:width_type=q:w=40,bandpass=f={band_hz}:width_type=q:w=40"
    text = ffmpeg_stderr("-i", str(path), "-map", "0:a", "-af", chain + ",astats=measure_overall=RMS_level",
                         "-f", "null", "-")  # fmt: skip
    return float(re.findall(r"RMS level dB:\s+(-?[\d.]+|-inf)", text)[-1])


def gray_frames(path: Path, width: int, height: int, *, start: float = 0, end: float | None = None) -> np.ndarray:
    """All frames between two times as a (n, height, width) uint8 array."""
    limit = ["-t", f"{end - start:.3f}"] if end is not None else []
    done = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-ss",
            str(start),
            "-i",
            str(path),
            "-map",
            "0:v",
            *limit,
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ],
        capture_output=True,
        check=True,
    )
    return np.frombuffer(done.stdout, np.uint8).reshape(-1, height, width)


def frame_at(path: Path, seconds: float, width: int, height: int) -> np.ndarray:
    return gray_frames(path, width, height, start=seconds, end=seconds + 0.04)[0]


def render_texture_move(tmp_path: Path, move: str, title: str) -> Path:
    """A 3 s photo of blurred noise moved by ``move`` (Ken Burns 0.2), rendered at 320x180 25 fps, CRF 10."""
    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (180, 320, 3), dtype=np.uint8), (0, 0), 2.0)
    cv2.imwrite(str(tmp_path / "texture.png"), texture)
    spec = write_spec(tmp_path, f"""\
version: 1
media_root: {tmp_path}
output: {{size: 320x180, fps: "25", crf: 10, preset: ultrafast}}
defaults: {{ken_burns: 0.2}}
stops:
  - title: {title}
    photos: {{paths: [texture.png], seconds: 3, move: {move}}}
""")  # fmt: skip
    out = tmp_path / f"{move}.mp4"
    render_tour(spec, out, RenderOptions(show_progress=False))
    return out


@pytest.fixture
def process_nice(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The output file name of every ffmpeg (not ffprobe) started -> its nice value, read from /proc as it ends."""
    import streamkit.media.runner as runner_module

    seen: dict[str, int] = {}
    popen = subprocess.Popen

    class Recording(popen):  # type: ignore[misc,valid-type]
        def wait(self, timeout: float | None = None) -> int:
            if Path(self.args[0]).name != "ffmpeg":
                return super().wait(timeout)  # type: ignore[no-any-return]
            with contextlib.suppress(OSError), open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:
                seen[Path(self.args[-1]).name] = int(stat.read().rsplit(")", 1)[1].split()[16])  # not reaped yet
            return super().wait(timeout)  # type: ignore[no-any-return]

    monkeypatch.setattr(runner_module.subprocess, "Popen", Recording)
    return seen


@pytest.fixture
def started_commands(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The output file name of every ffmpeg the tour renderer starts, in order (the renderer still runs them)."""
    import streamkit.tours.job as job_module

    started: list[str] = []
    original = job_module.run_ffmpeg

    def recording(argv: list[str], **kwargs: object) -> None:
        started.append(Path(argv[-1]).name)
        original(argv, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(job_module, "run_ffmpeg", recording)
    return started
