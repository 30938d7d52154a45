"""The tour's sound as a moviepy ``CompositeAudioClip``: clip sound, narration, and music ducked by an envelope.

moviepy has no compressor, so ducking is a volume envelope computed from the narration: its RMS level in 10 ms
blocks, smoothed with the ducking's attack and release, turned into gain by the same law as ffmpeg's
``sidechaincompress`` (above the threshold, level is divided by ``ratio``: gain = (threshold/level)^(1-1/ratio)).
Everything is resampled to 48 kHz stereo by moviepy's readers. ``write_wav`` streams the mix to a WAV in
chunks, with the loudness gain and a peak limiter (moviepy has neither).
"""

from __future__ import annotations

import math
import wave
from pathlib import Path
from typing import Any

import numpy as np

from streamkit.media.codecs import SAMPLE_RATE
from streamkit.media.moviepy_binding import load_moviepy
from streamkit.tours.spec import Ducking
from streamkit.tours.timeline import Timeline

BLOCK_S = 0.010

Floats = np.ndarray[Any, np.dtype[np.float64]]


def ducking_gain(voice: Floats, ducking: Ducking, rate: int = SAMPLE_RATE) -> tuple[Floats, Floats]:
    """(block times in s, gain per block) for music under ``voice`` (samples x channels, -1..1)."""
    block = max(1, round(rate * BLOCK_S))
    mono = np.abs(voice).max(axis=1) if voice.ndim == 2 else np.abs(voice)
    count = max(1, math.ceil(len(mono) / block))
    padded = np.zeros(count * block)
    padded[: len(mono)] = mono
    rms = np.sqrt((padded.reshape(count, block) ** 2).mean(axis=1))
    attack = math.exp(-BLOCK_S * 1000 / ducking.attack_ms)
    release = math.exp(-BLOCK_S * 1000 / ducking.release_ms)
    level = np.empty(count)
    current = 0.0
    for i, value in enumerate(rms):
        coeff = attack if value > current else release
        current = coeff * current + (1 - coeff) * value
        level[i] = current
    over = np.maximum(level, ducking.threshold) / ducking.threshold
    gain = np.asarray(over ** -(1 - 1 / ducking.ratio), dtype=np.float64)
    times = np.asarray((np.arange(count) + 0.5) * BLOCK_S, dtype=np.float64)
    return times, gain


def open_sound(path: Path, opened: list[Any]) -> Any:
    """An ``AudioFileClip`` at 48 kHz, remembered in ``opened`` so the caller closes its reader (its ffmpeg)."""
    clip = load_moviepy().AudioFileClip(str(path), fps=SAMPLE_RATE)
    opened.append(clip)
    return clip


def sound_mix(timeline: Timeline, ducking: Ducking, opened: list[Any]) -> Any:
    """Every sound of the timeline mixed (moviepy ``CompositeAudioClip`` of the tour's exact length).

    Every file opened is appended to ``opened``; close them when the mix has been written.
    """
    mp = load_moviepy()
    afx = mp.afx
    total = timeline.duration_ms / 1000
    layers: list[Any] = [mp.AudioClip(lambda t: np.zeros((np.size(t), 2)), duration=total, fps=SAMPLE_RATE)]
    fps = float(timeline.fps)
    for i, shot in enumerate(timeline.shots):
        if shot.kind != "clip" or not shot.audio or shot.source is None:
            continue
        start = shot.trim_start_ms / 1000
        sound = open_sound(shot.source, opened)
        length = min(shot.frames / fps, sound.duration - start)
        sound = sound.subclipped(start, start + length).with_volume_scaled(shot.volume)
        following = timeline.shots[i + 1].overlap_in if i + 1 < len(timeline.shots) else 0
        effects = []
        if shot.overlap_in:
            effects.append(afx.AudioFadeIn(shot.overlap_in / fps))
        if following:
            effects.append(afx.AudioFadeOut(following / fps))
        layers.append(sound.with_effects(effects).with_start(shot.start_frame / fps))
    voices = [
        open_sound(v.source, opened).with_volume_scaled(v.volume).with_start(v.start_ms / 1000) for v in timeline.voices
    ]
    layers += voices
    beds = []
    for bed in timeline.music:
        music = open_sound(bed.source, opened).with_volume_scaled(bed.volume)
        length = total - bed.start_ms / 1000
        music = music.with_effects([afx.AudioLoop(duration=length)]) if bed.loop else music
        music = music.with_duration(min(music.duration, length))
        if bed.fade_out_ms:
            music = music.with_effects([afx.AudioFadeOut(min(bed.fade_out_ms / 1000, music.duration))])
        beds.append(music.with_start(bed.start_ms / 1000))
    if voices and beds:
        voice = mp.CompositeAudioClip(voices).with_duration(total)
        times, envelope = ducking_gain(voice.to_soundarray(fps=SAMPLE_RATE), ducking)

        def duck(get_frame: Any, t: Any) -> Any:
            return get_frame(t) * np.interp(t, times, envelope).reshape(-1, 1)

        beds = [mp.CompositeAudioClip(beds).with_duration(total).transform(duck)]
    layers += beds
    return mp.CompositeAudioClip(layers).with_duration(total)


class PeakLimiter:
    """Keeps samples under ``ceiling``: gain drops at once in 1 ms blocks whose peak is too high, recovers slowly.

    Stateful across chunks, so a long tour streams through it. Gain is constant within a block, so no sample of a
    block can exceed the ceiling; the 1 ms steps are inaudible under the ``release`` recovery.
    """

    def __init__(self, ceiling: float, release_ms: float = 80.0, rate: int = SAMPLE_RATE) -> None:
        self.ceiling = ceiling
        self.block = max(1, rate // 1000)
        self.recover = 1 - math.exp(-1.0 / release_ms)  # per 1 ms block
        self.gain = 1.0

    def __call__(self, chunk: Floats) -> Floats:
        count = math.ceil(len(chunk) / self.block)
        peaks = np.zeros(count * self.block)
        peaks[: len(chunk)] = np.abs(chunk).max(axis=1)
        needed = np.minimum(1.0, self.ceiling / np.maximum(peaks.reshape(count, self.block).max(axis=1), 1e-9))
        gains = np.empty(count)
        for i, limit in enumerate(needed):
            self.gain = min(limit, self.gain + (1 - self.gain) * self.recover)
            gains[i] = self.gain
        per_sample = np.repeat(gains, self.block)[: len(chunk)]
        return np.asarray(chunk * per_sample[:, None], dtype=np.float64)


def write_wav(sound: Any, path: Path, gain: float = 1.0, ceiling: float | None = None) -> None:
    """Stream a moviepy audio clip into a 16-bit 48 kHz stereo WAV, times ``gain``, through a ``PeakLimiter``."""
    limiter = PeakLimiter(ceiling) if ceiling is not None else None
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        for chunk in sound.iter_chunks(chunksize=SAMPLE_RATE, fps=SAMPLE_RATE):
            samples = np.asarray(chunk, dtype=np.float64) * gain
            if samples.ndim == 1:
                samples = np.repeat(samples[:, None], 2, axis=1)
            if limiter is not None:
                samples = limiter(samples)
            out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
