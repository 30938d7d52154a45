"""What a render publishes beside the MP4: sidecars (captions, chapters, poster), the HLS ladder, the manifest.

Every file is published atomically, so a failure never leaves a broken file under a final name.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from streamkit import __version__
from streamkit.media.checksum import file_sha256
from streamkit.media.commands import FFmpegCommand
from streamkit.media.hls import HlsVariant, hls_command, tidy_master_playlist
from streamkit.media.loudness import Loudness, MeasuredLoudness, normalise
from streamkit.media.probe import probe
from streamkit.media.publish import atomic_output, write_text_atomic
from streamkit.media.versions import ffmpeg_version, x264_version
from streamkit.tours import captions
from streamkit.tours.job import RenderJob
from streamkit.tours.poster import choose_poster
from streamkit.tours.spec import Tour
from streamkit.tours.timeline import Timeline


def sidecar_paths(output: Path) -> dict[str, Path]:
    stem = output.with_suffix("")
    return {
        "srt": stem.with_suffix(".srt"),
        "vtt": stem.with_suffix(".vtt"),
        "chapters": Path(f"{stem}.chapters.vtt"),
        "poster": stem.with_suffix(".jpg"),
        "manifest": stem.with_suffix(".json"),
    }


def publish_sidecars(timeline: Timeline, output: Path, saved_posters: Sequence[Path] = ()) -> list[Path]:
    """The captions (SRT, WebVTT), the chapters (WebVTT) and the poster (JPEG) beside ``output``."""
    paths = sidecar_paths(output)
    written = []
    if timeline.captions:
        write_text_atomic(paths["srt"], captions.srt(timeline.captions))
        write_text_atomic(paths["vtt"], captions.vtt(timeline.captions))
        written += [paths["srt"], paths["vtt"]]
    write_text_atomic(paths["chapters"], captions.vtt(timeline.chapters))
    written.append(paths["chapters"])
    jpeg = choose_poster(output, timeline, saved_posters)
    with atomic_output(paths["poster"]) as partial:
        partial.write_bytes(jpeg)
    written.append(paths["poster"])
    return written


def ladder_command(job: RenderJob, out_dir: Path) -> FFmpegCommand:
    """The spec's HLS ladder from the finished MP4, with the captions as a WebVTT track when there are any."""
    tour = job.checked.tour
    vtt = sidecar_paths(job.output)["vtt"] if job.timeline.captions else None
    variants = [HlsVariant(v.height, v.bitrate_kbps) for v in tour.output.hls]
    return hls_command(
        job.output, vtt, out_dir, variants, job.timeline.fps, preset=tour.output.preset, ffmpeg_bin=job.ffmpeg_bin
    )


def publish_hls(job: RenderJob, hls_dir: Path) -> None:
    """Write the ladder into ``.DIR.partial`` and rename it into place only when ffmpeg succeeded."""
    partial = hls_dir.with_name(f".{hls_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    try:
        job.run(ladder_command(job, partial), "HLS ladder", hls_dir)
        master = partial / "master.m3u8"
        master.write_text(tidy_master_playlist(master.read_text(encoding="utf-8")), encoding="utf-8")
        old = hls_dir.with_name(f".{hls_dir.name}.old")
        if hls_dir.exists():
            os.replace(hls_dir, old)
        os.replace(partial, hls_dir)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _input_paths(timeline: Timeline, tour: Tour) -> Sequence[Path]:
    paths = [s.source for s in timeline.shots if s.source is not None]
    paths += [v.source for v in timeline.voices] + [m.source for m in timeline.music]
    if tour.logo is not None:
        paths.append(tour.resolve(tour.logo.path))
    return list(dict.fromkeys(paths))


def write_manifest(job: RenderJob, loudness: Loudness, seconds: float, sidecars: Sequence[Path]) -> Path:
    """The JSON manifest beside the MP4: what was rendered from which inputs, with which settings."""
    tour, timeline, output = job.checked.tour, job.timeline, job.output
    info = probe(output)
    measured: MeasuredLoudness | None = loudness.measured
    manifest = {
        "version": 1,
        "streamkit": __version__,
        "rendered_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "render_seconds": round(seconds, 2),
        "output": output.name,
        "duration_ms": info.duration_ms,
        "planned_duration_ms": timeline.duration_ms,
        "size": [timeline.width, timeline.height],
        "fps": str(timeline.fps),
        "chapters": [
            {"title": c.title, "start_ms": c.start_ms, "end_ms": c.end_ms} | ({"martyr": c.martyr} if c.martyr else {})
            for c in timeline.chapters
        ],
        "captions": [{"text": c.text, "start_ms": c.start_ms, "end_ms": c.end_ms} for c in timeline.captions],
        "inputs": [
            {"path": str(p), "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in _input_paths(timeline, tour)
        ],
        "settings": {
            "crf": job.encoding.crf,
            "preset": job.encoding.preset,
            "loudness_target_lufs": loudness.target_lufs,
            "true_peak_dbtp": loudness.target_true_peak,
            "measured": None if measured is None else dataclasses.asdict(measured),
            "normalisation": normalise(loudness),  # a plain gain, or loudnorm when peaks need limiting
            "captions_burned_in": tour.defaults.captions.burn_in,
        },
        "tools": {"ffmpeg": ffmpeg_version(job.ffmpeg_bin), "x264": x264_version(output)},
        "sidecars": [p.name for p in sidecars],
    }
    path = sidecar_paths(output)["manifest"]
    write_text_atomic(path, json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
    return path
