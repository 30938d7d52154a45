"""The moviepy engine's sound: music ducked under the narration by the envelope, loudness on target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from streamkit.media.samples import SampleSet
from streamkit.tours.moviepy.sound import PeakLimiter, ducking_gain
from streamkit.tours.render import RenderOptions, render_tour
from streamkit.tours.spec import Ducking
from tests.tours.conftest import ffmpeg_stderr, integrated_loudness, rms_db, write_spec
from tests.tours.moviepy.conftest import EngineRenders


def test_ducking_gain_follows_the_compressor_law() -> None:
    rate = 48_000
    voice = np.zeros((rate * 4, 2))
    voice[rate // 2 : rate] = 0.5 * np.sin(np.linspace(0, 2000, rate // 2))[:, None]  # speech from 0.5 to 1.0 s
    times, gain = ducking_gain(voice, Ducking(threshold=0.02, ratio=10, attack_ms=20, release_ms=350), rate)
    at = lambda s: float(gain[np.searchsorted(times, s)])  # noqa: E731
    assert at(0.2) == 1.0  # silence: no ducking
    level = 0.5 / np.sqrt(2)  # RMS of the sine
    expected = (0.02 / level) ** (1 - 1 / 10)
    assert at(0.9) == pytest.approx(expected, rel=0.05)  # about -26 dB, the research note's figure
    assert at(0.9) < at(1.2) < at(1.6) < 1.0  # released slowly (350 ms) after the voice stops
    assert at(3.9) == 1.0


@pytest.mark.slow
def test_moviepy_engine_ducks_music_and_reaches_the_loudness_target(samples: SampleSet, tmp_path: Path) -> None:
    tone = tmp_path / "tone.wav"
    ffmpeg_stderr("-v", "error", "-f", "lavfi", "-i", "sine=frequency=5000:sample_rate=48000:duration=12",
                  "-af", "volume=0.3", str(tone))  # fmt: skip
    spec = write_spec(tmp_path, f"""\
version: 1
media_root: {samples.folder}
output: {{size: 160x90, fps: "10", preset: ultrafast}}
stops:
  - title: 讲解
    card: {{lines: [讲解], duration: 10.5}}
    narration: {{path: audio/narration-1.m4a, offset: 1.5}}
music:
  - {{path: {tone}, volume: 1.0, fade_out: 0}}
""")  # fmt: skip
    out = tmp_path / "ducked.mp4"
    render_tour(spec, out, RenderOptions(show_progress=False, engine="moviepy"))
    pause = rms_db(out, 0.2, 1.3, band_hz=5000)
    speaking = rms_db(out, 3.0, 7.0, band_hz=5000)
    assert pause - speaking >= 10, (pause, speaking)
    assert abs(integrated_loudness(out) - -16) <= 1


def test_limiter_holds_peaks_under_the_ceiling_and_recovers() -> None:
    limiter = PeakLimiter(0.5)
    loud = np.full((4800, 2), 0.9)
    quiet = np.full((48_000, 2), 0.1)
    out = limiter(loud)
    assert np.abs(out).max() <= 0.5 + 1e-12
    after = limiter(quiet)  # the next chunk: state carries over, gain recovers towards 1
    assert after[0, 0] < 0.1 and after[-1, 0] == pytest.approx(0.1, abs=1e-3)


def test_both_engines_reach_the_same_loudness(engine_renders: EngineRenders) -> None:
    ff = integrated_loudness(engine_renders.ffmpeg.output)
    mp = integrated_loudness(engine_renders.moviepy.output)
    assert abs(ff - -16) <= 1 and abs(mp - -16) <= 1, (ff, mp)
