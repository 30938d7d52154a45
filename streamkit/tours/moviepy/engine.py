"""``--engine moviepy``: the same checked spec and the same ``Timeline``, executed by moviepy instead of ffmpeg.

Shared with the ffmpeg engine: spec parsing and ``tour check``, the effect pre-render, ``build_timeline``, the
prepared stills and lower-thirds, the caption and chapter files, sidecars, poster, manifest and HLS. Different:
moviepy draws every frame (``picture``) and mixes every sample (``sound``). Loudness is measured on moviepy's mix
with ``ebur128`` and corrected by one gain, peaks held under the true-peak target by a limiter (``loudnorm`` does
both). ffmpeg then only muxes chapters, the soft caption track and ``+faststart``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from streamkit.media import loudness as levels
from streamkit.media.codecs import aac_args, gop_frames
from streamkit.media.moviepy_binding import load_moviepy
from streamkit.media.mux import mux_command
from streamkit.media.publish import atomic_output, partial_path
from streamkit.tours.check import CheckedTour
from streamkit.tours.inputs import TourInputs, prepare_inputs, prepare_stills
from streamkit.tours.job import Rendered, RenderJob
from streamkit.tours.moviepy.picture import ShotSources, TourPicture, caption_layers, rgba_layer
from streamkit.tours.moviepy.sound import sound_mix, write_wav
from streamkit.tours.timeline import Timeline


def logo_layer(inputs: TourInputs, timeline: Timeline) -> Any:
    logo = inputs.logo
    assert logo is not None
    with Image.open(logo.path) as img:
        rgba = img.convert("RGBA")
        height = max(1, round(rgba.height * logo.width / rgba.width))
        rgba = rgba.resize((logo.width, height), Image.Resampling.BICUBIC)
    x = logo.margin if logo.corner.endswith("left") else timeline.width - logo.width - logo.margin
    y = logo.margin if logo.corner.startswith("top") else timeline.height - height - logo.margin
    return rgba_layer(np.asarray(rgba), 0, timeline.duration_ms, (x, y), logo.opacity)


def picture_clip(checked: CheckedTour, timeline: Timeline, inputs: TourInputs, sources: ShotSources, burn: bool) -> Any:
    """The whole picture: shots and transitions, then lower-thirds, logo and burned captions on top."""
    mp = load_moviepy()
    base = TourPicture(timeline, sources).clip(timeline.total_frames)
    layers = [base]
    for overlay in inputs.lower_thirds:
        with Image.open(overlay.path) as img:
            rgba = np.asarray(img.convert("RGBA"))
            layers.append(rgba_layer(rgba, overlay.start_ms, overlay.end_ms, (overlay.x, overlay.y)))
    if inputs.logo is not None:
        layers.append(logo_layer(inputs, timeline))
    if burn and timeline.captions and checked.font is not None:
        style = checked.tour.defaults.captions
        layers += caption_layers(timeline.captions, style, checked.font, (timeline.width, timeline.height))
    size = (timeline.width, timeline.height)
    return mp.CompositeVideoClip(layers, size=size, bg_color=(0, 0, 0)).with_duration(base.duration)


def write_sound(job: RenderJob, wav: Path) -> levels.Loudness:
    """Mix the sound into ``wav``; unless a preview, measure it and write it again normalised to the targets.

    Like ``loudnorm``: one gain to the integrated target, then a peak limiter at the same ceiling as the ffmpeg
    engine's (``Loudness.limiter_ceiling_db``: the margin covers inter-sample peaks, which it does not see).
    """
    opened: list[Any] = []
    try:
        mix = sound_mix(job.timeline, job.checked.tour.ducking, opened)
        write_wav(mix, wav)
        if job.preview:
            return job.loudness
        stats = wav.with_suffix(".loudness.txt")
        job.run(
            levels.measure_command(wav, stats, job.timeline.duration_ms, ffmpeg_bin=job.ffmpeg_bin),
            "measuring loudness",
            quiet=True,
        )
        measured = levels.parse_ebur128_stats(stats.read_text(encoding="utf-8"))
        loudness = dataclasses.replace(job.loudness, measured=measured)
        gain = 10 ** ((levels.gain_db(loudness) or 0.0) / 20)  # silence: nothing to normalise
        write_wav(mix, wav, gain, ceiling=10 ** (loudness.limiter_ceiling_db / 20))
        return loudness
    finally:
        for clip in opened:
            clip.close()


def render(job: RenderJob) -> Rendered:
    """Draw, mix, measure and mux the tour into its output (a dry run prints the mux)."""
    timeline, tour = job.timeline, job.checked.tour
    # captions are drawn here, not by libass, and so are the shots (from `prepare_stills` below)
    inputs = prepare_inputs(job.checked, timeline, job.work, burn=False, shots=False)
    mix, picture_file = job.work / "mix.wav", job.work / "picture.mp4"
    mux = mux_command(
        ["-i", str(picture_file)],
        mix,
        partial_path(job.output),
        timeline.duration_ms,
        audio=aac_args(job.encoding.audio_bitrate),
        soft_srt=inputs.soft_srt,
        metadata=inputs.metadata,
        cut=True,
        ffmpeg_bin=job.ffmpeg_bin,
    )
    if job.dry_run:
        job.run(mux, "muxing")
        return Rendered(job.loudness)
    loudness = write_sound(job, mix)
    sources = ShotSources(timeline, prepare_stills(tour, timeline), job.checked.media, tour.defaults.ken_burns)
    fps = float(timeline.fps)
    try:
        params = ["-crf", str(job.encoding.crf), "-profile:v", "high", "-g", str(gop_frames(timeline.fps))]
        picture_clip(job.checked, timeline, inputs, sources, job.burn).write_videofile(
            str(picture_file),
            fps=fps,
            codec="libx264",
            preset=job.encoding.preset,
            pixel_format="yuv420p",
            ffmpeg_params=params,
            audio=False,
            threads=job.encoding.threads,
            logger="bar" if job.show_progress else None,
        )
    finally:
        sources.close()
    with atomic_output(job.output, job.verify()):
        job.run(mux, "muxing", job.output, quiet=True)
    return Rendered(loudness)
