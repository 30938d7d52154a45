"""Loudness in the ffmpeg dialect: the ``ebur128`` measurement, reading it back, and the normalising filters.

Both tour engines measure with ``measure_filter`` and keep their peaks ``LIMITER_HEADROOM_DB`` under the
true-peak target: the same promise, spelled once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from streamkit.media.codecs import SAMPLE_RATE
from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand, filter_value

# limiting more than this off the peaks would take the programme's loudness too far below the target: loudnorm
LIMITER_MAX_DB = 6.0
# under the true-peak ceiling, for peaks between samples (a limiter sees samples at 48 kHz) and the AAC encoder
LIMITER_HEADROOM_DB = 1.0
SILENCE_LUFS = -70.0  # at or below this, a measurement is silence: nothing to normalise


@dataclass(frozen=True)
class MeasuredLoudness:
    integrated: float
    true_peak: float
    lra: float
    threshold: float


@dataclass(frozen=True)
class Loudness:
    """The targets a programme is normalised to, and what pass 1 measured (None before it, or in a preview)."""

    target_lufs: float
    target_true_peak: float
    target_lra: float
    measured: MeasuredLoudness | None = None

    @property
    def limiter_ceiling_db(self) -> float:
        """Where a sample-peak limiter holds the peaks so the true peak stays under the target."""
        return self.target_true_peak - LIMITER_HEADROOM_DB


def measure_filter(stats_file: Path) -> str:
    """``ebur128`` (integrated, range, true peak) with its values printed into ``stats_file``."""
    return f"ebur128=peak=true:metadata=1,ametadata=mode=print:file={filter_value(str(stats_file))}"


def measure_command(sound: Path, stats_file: Path, duration_ms: int, *, ffmpeg_bin: str) -> FFmpegCommand:
    """``measure_filter`` over one sound file (read the result with ``parse_ebur128_stats``)."""
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, "-i", str(sound), "-af", measure_filter(stats_file)]
    return FFmpegCommand([*argv, "-f", "null", "-"], duration_ms)


def parse_ebur128_stats(text: str) -> MeasuredLoudness:
    """The last ``lavfi.r128.*`` values ametadata printed: they describe the whole programme."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.startswith("lavfi.r128."):
            try:
                values[key.removeprefix("lavfi.r128.")] = float(value)
            except ValueError:
                continue
    if "I" not in values:
        raise ValueError("no loudness measurement found (is the tour silent or empty?)")
    peak = values.get("true_peak", 0.0)
    peak_db = -99.0 if peak <= 0 else 20 * math.log10(peak)
    integrated = values["I"]
    # loudnorm wants the relative gate threshold; R128's relative gate sits 10 LU under the gated loudness
    return MeasuredLoudness(integrated, round(peak_db, 2), values.get("LRA", 0.0), integrated - 10)


def gain_db(loudness: Loudness) -> float | None:
    """The gain that brings the measured programme to the target; None without a measurement or for silence."""
    m = loudness.measured
    if m is None or m.integrated <= SILENCE_LUFS:
        return None
    return loudness.target_lufs - m.integrated


def linear_gain_db(loudness: Loudness) -> float | None:
    """The gain that brings the measured programme to the target, when it keeps the true peak under the ceiling.

    This is loudnorm's own test for its linear mode (``measured_TP + (target_I - measured_I) <= target_TP``, with a
    real measurement): loudnorm then only multiplies by this gain, so ``volume`` gives the same samples, and the
    graph says which normalisation the tour gets.
    """
    gain = gain_db(loudness)
    if gain is None or loudness.measured is None or loudness.measured.true_peak + gain > loudness.target_true_peak:
        return None
    return gain


def normalise(loudness: Loudness) -> str:
    """The filters that bring a mix to the target loudness.

    A plain gain when it keeps the true peak under the ceiling (loudnorm's linear mode, the same samples). When
    the gain would push peaks over it by up to ``LIMITER_MAX_DB``, the gain and ``alimiter`` just under the
    ceiling, which is far cheaper than loudnorm's fallback (its dynamic mode, run at 192 kHz). Otherwise, and
    without a measurement, ``loudnorm``.
    """
    linear = linear_gain_db(loudness)
    if linear is not None:
        return f"volume={linear:.2f}dB"
    gain, m = gain_db(loudness), loudness.measured
    if gain is not None and m is not None:
        ceiling = loudness.limiter_ceiling_db
        if m.true_peak + gain - ceiling <= LIMITER_MAX_DB:
            # latency=1: the limiter's look-ahead is taken back, the sound stays on the picture's samples
            return f"volume={gain:.2f}dB,alimiter=limit={10 ** (ceiling / 20):.4f}:level=disabled:latency=1"
    opts = f"loudnorm=I={loudness.target_lufs:g}:TP={loudness.target_true_peak:g}:LRA={loudness.target_lra:g}"
    if gain is not None and m is not None:
        opts += (
            f":measured_I={m.integrated:g}:measured_TP={m.true_peak:g}:measured_LRA={m.lra:g}"
            f":measured_thresh={m.threshold:g}:linear=true"
        )
    return opts + f",aresample={SAMPLE_RATE}"
