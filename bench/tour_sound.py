"""Benchmark: the sound of the sample tour alone, normalised with a plain gain and with loudnorm (1280x720 samples).

    python bench/tour_sound.py [--samples var/bench-samples] [--loudness web|broadcast]

Runs, one after the other with nothing else of ours running, the chunked render's sound branch: the music and
the mix in sections to raw PCM, pass 1 (ebur128) on it, then the sound stem twice, once with ``volume=<gain>dB``
and once with two-pass ``loudnorm`` (linear=true). For each it prints wall time and the
CPU time of ffmpeg (user + system, from the children's rusage), then measures each stem with
``ebur128=peak=true``: integrated loudness and true peak against the target.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import resource
import subprocess
import tempfile
import time
from pathlib import Path

from tour import make_spec  # type: ignore[import-not-found]

from streamkit.media import loudness as levels
from streamkit.media.codecs import X264_THREADS
from streamkit.media.runner import run_ffmpeg
from streamkit.tours.check import check_tour
from streamkit.tours.ffmpeg import sections
from streamkit.tours.inputs import prepare_inputs
from streamkit.tours.job import encoding_for, loudness_targets
from streamkit.tours.timeline import build_timeline

ROOT = Path(__file__).resolve().parent.parent


def timed(argv: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ffmpeg run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    run_ffmpeg(argv, show_progress=False)
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def loudness_of(path: Path) -> tuple[float, float]:
    """Integrated loudness (LUFS) and true peak (dBTP) measured by ffmpeg's ebur128."""
    done = subprocess.run(
        ["ffmpeg", "-hide_banner", "-nostdin", "-i", str(path), "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    summary = done.stderr[done.stderr.rindex("Summary:") :]
    integrated = float(re.search(r"I:\s+(-?[\d.]+) LUFS", summary).group(1))  # type: ignore[union-attr]
    peak = float(re.search(r"Peak:\s+(-?[\d.]+|-inf) dBFS", summary).group(1))  # type: ignore[union-attr]
    return integrated, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=Path, default=ROOT / "var" / "bench-samples")
    parser.add_argument("--loudness", choices=["web", "broadcast"], default="web", help="the tour's loudness preset")
    args = parser.parse_args()
    from streamkit.media.samples import generate

    generate(args.samples, width=1280, height=720)
    with tempfile.TemporaryDirectory(prefix="bench-sound-") as tmp:
        work = Path(tmp)
        spec = make_spec(args.samples, work, 1)
        spec.write_text(spec.read_text(encoding="utf-8").replace("preset: web", f"preset: {args.loudness}"))
        checked = check_tour(spec)
        checked.raise_if_problems()
        tour = checked.tour
        timeline = build_timeline(tour, checked.media, size=(tour.output.width, tour.output.height))
        inputs = prepare_inputs(checked, timeline, work, burn=False)
        music = work / "music.f32"
        wall, cpu = timed(sections.music_command(timeline, music, ffmpeg_bin="ffmpeg").argv)
        voice_ms = {path: info.duration_ms for path, info in checked.media.items()}
        files = []
        for k, section in enumerate(sections.plan_sections(timeline, voice_ms, inputs.ducking)):
            files.append(work / f"mix-{k:04d}.f32")
            command = sections.section_command(timeline, section, inputs.ducking, music, files[-1], ffmpeg_bin="ffmpeg")
            wall, cpu = (a + b for a, b in zip((wall, cpu), timed(command.argv), strict=True))
        print(f"music and {len(files)} section(s) wall {wall:5.2f} s  cpu {cpu:5.2f} s")
        stats = work / "loudness.txt"
        wall, cpu = timed(sections.measure_command(timeline, files, stats, ffmpeg_bin="ffmpeg").argv)
        print(f"pass 1 (ebur128)        wall {wall:5.2f} s  cpu {cpu:5.2f} s")
        measured = levels.parse_ebur128_stats(stats.read_text(encoding="utf-8"))
        target = loudness_targets(tour.output.loudness)
        encoding = encoding_for(tour.output, preview=False, threads=X264_THREADS)
        loudness = dataclasses.replace(target, measured=measured)
        gain = target.target_lufs - measured.integrated
        print(f"measured I {measured.integrated} LUFS, TP {measured.true_peak} dBTP; gain {gain:+.2f} dB "
              f"-> peak {measured.true_peak + gain:+.2f} dBTP (ceiling {target.target_true_peak}); "
              f"the render uses: {levels.normalise(loudness)}")  # fmt: skip
        # loudnorm with the real ceiling, whichever branch the render would choose
        loudnorm = levels.normalise(dataclasses.replace(loudness, target_true_peak=-99.0))
        loudnorm = loudnorm.replace(":TP=-99:", f":TP={target.target_true_peak:g}:")
        for name, chain in (("volume", f"volume={gain:.2f}dB"), ("loudnorm", loudnorm)):
            stem = work / f"{name}.m4a"
            command = sections.sound_command(
                timeline, files, stem, encoding=encoding, loudness=loudness, ffmpeg_bin="ffmpeg"
            )
            argv = [a.replace(levels.normalise(loudness), chain) if "[mix]" in a else a for a in command.argv]
            wall, cpu = timed(argv)
            integrated, peak = loudness_of(work / f"{name}.m4a")
            print(f"stem with {name:9} wall {wall:5.2f} s  cpu {cpu:5.2f} s  -> I {integrated} LUFS, TP {peak} dBTP")


if __name__ == "__main__":
    main()
