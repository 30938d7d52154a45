"""Loudness in the ffmpeg dialect: the measurement read back, and the normalising filters chosen from it."""

from __future__ import annotations

import pytest

from streamkit.media.loudness import (
    LIMITER_HEADROOM_DB,
    Loudness,
    MeasuredLoudness,
    linear_gain_db,
    normalise,
    parse_ebur128_stats,
)

WEB = (-16.0, -1.5, 11.0)  # the web preset's targets: LUFS, dBTP, LU


def test_ebur128_stats_parse_the_last_values() -> None:
    text = "frame:1\nlavfi.r128.I=-30.0\nframe:2\nlavfi.r128.I=-19.5\nlavfi.r128.LRA=3.2\nlavfi.r128.true_peak=0.5\n"
    m = parse_ebur128_stats(text)
    assert (m.integrated, m.lra, m.threshold) == (-19.5, 3.2, -29.5)
    assert m.true_peak == pytest.approx(-6.02, abs=0.01)
    with pytest.raises(ValueError):
        parse_ebur128_stats("nothing")


@pytest.mark.parametrize(
    ("measured", "expected"),
    [
        # -20 LUFS, peak -6 dBTP: +4 dB brings it to -16 with the peak at -2 (under -1.5): a plain gain
        ((-20.0, -6.0), "volume=4.00dB"),
        # too loud already: a plain cut always fits under the ceiling
        ((-9.5, -0.3), "volume=-6.50dB"),
        # exactly at the ceiling still fits (loudnorm's own test is <=)
        ((-20.0, -5.5), "volume=4.00dB"),
        # +4 dB would put the peak at -1.4 dBTP, over -1.5: the gain, and a limiter 1 dB under the ceiling
        ((-20.0, -5.4), "volume=4.00dB,alimiter=limit=0.7499:level=disabled:latency=1"),
        # the sample tour: +5.74 dB, peaks 4.8 dB over the limiter: still the limiter
        ((-21.74, -3.41), "volume=5.74dB,alimiter=limit=0.7499:level=disabled:latency=1"),
        # peaks more than 6 dB over the limiter: loudnorm (which then limits dynamically)
        (
            (-30.0, -8.0),
            "loudnorm=I=-16:TP=-1.5:LRA=11:measured_I=-30:measured_TP=-8:measured_LRA=4:measured_thresh=-40"
            ":linear=true,aresample=48000",
        ),
        # silence (no gated blocks) has nothing to scale: loudnorm, unmeasured
        ((-70.0, -99.0), "loudnorm=I=-16:TP=-1.5:LRA=11,aresample=48000"),
    ],
)
def test_normalisation_is_a_gain_a_gain_and_limiter_or_loudnorm_by_how_far_peaks_would_go(
    measured: tuple[float, float], expected: str
) -> None:
    integrated, peak = measured
    loudness = Loudness(*WEB, measured=MeasuredLoudness(integrated, peak, 4.0, integrated - 10))
    assert normalise(loudness) == expected
    assert (linear_gain_db(loudness) is None) == ("alimiter" in expected or expected.startswith("loudnorm"))


def test_normalisation_without_a_measurement_is_one_pass_loudnorm() -> None:
    assert normalise(Loudness(-23.0, -1.0, 11.0)) == "loudnorm=I=-23:TP=-1:LRA=11,aresample=48000"
    assert linear_gain_db(Loudness(*WEB)) is None


def test_the_limiter_sits_the_one_headroom_under_the_true_peak_target() -> None:
    """Both engines read the ceiling from ``Loudness.limiter_ceiling_db``; the graph's alimiter is set to it."""
    loudness = Loudness(*WEB, measured=MeasuredLoudness(-20.0, -5.4, 4.0, -30.0))
    assert loudness.limiter_ceiling_db == WEB[1] - LIMITER_HEADROOM_DB
    assert f"alimiter=limit={10 ** (loudness.limiter_ceiling_db / 20):.4f}:" in normalise(loudness)
