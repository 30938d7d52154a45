"""``--engine moviepy``: the same checked spec and the same ``Timeline``, executed by moviepy instead of one graph.

Shared with the ffmpeg engine: spec parsing and ``tour check``, the effect pre-render, ``build_timeline``, the
prepared stills and lower-thirds, the caption and chapter files, sidecars, poster, manifest and HLS. Different:
moviepy draws every frame (``moviepy_picture``) and mixes every sample (``moviepy_sound``). Loudness is measured
on moviepy's mix with ``ebur128`` and corrected by one gain, peaks held under the true-peak target by a limiter
(``loudnorm`` does both). ffmpeg then only muxes chapters, the soft caption track and ``+faststart`` (``tour_mux``).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from rich.console import Console

from streamkit.media import tour_graph as graph
from streamkit.media.moviepy_binding import load_moviepy
from streamkit.media.publish import atomic_output, partial_path, verify_media
from streamkit.media.runner import run_ffmpeg
from streamkit.media.tools import ffmpeg_binary
from streamkit.media.tour_mux import measure_loudness_command, mux_command
from streamkit.tours.moviepy_picture import ShotSources, TourPicture, caption_layers, rgba_layer
from streamkit.tours.moviepy_sound import tour_sound, write_wav
from streamkit.tours.spec import Ducking
from streamkit.tours.timeline import Timeline

if TYPE_CHECKING:
    from streamkit.tours.check import CheckedTour
    from streamkit.tours.render import RenderOptions, RenderResult


def loudness_gain_db(measured: graph.MeasuredLoudness, target: graph.Loudness) -> float:
    """The gain that brings the integrated loudness to the target (peaks are then held by the limiter)."""
    if measured.integrated <= -70:
        return 0.0  # silence: nothing to normalise
    return target.target_lufs - measured.integrated


def logo_layer(inputs: graph.TourInputs, timeline: Timeline) -> Any:
    logo = inputs.logo
    assert logo is not None
    with Image.open(logo.path) as img:
        rgba = img.convert("RGBA")
        height = max(1, round(rgba.height * logo.width / rgba.width))
        rgba = rgba.resize((logo.width, height), Image.Resampling.BICUBIC)
    x = logo.margin if logo.corner.endswith("left") else timeline.width - logo.width - logo.margin
    y = logo.margin if logo.corner.startswith("top") else timeline.height - height - logo.margin
    return rgba_layer(np.asarray(rgba), 0, timeline.duration_ms, (x, y), logo.opacity)


def picture_clip(checked: CheckedTour, timeline: Timeline, inputs: graph.TourInputs, sources: ShotSources,
                 burn: bool) -> Any:  # fmt: skip
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


def write_sound(timeline: Timeline, ducking: Ducking, wav: Path, target: graph.Loudness, *, measure: bool,
                console: Console) -> graph.Loudness:  # fmt: skip
    """Mix the sound into ``wav``; when ``measure``, measure it and write it again normalised to ``target``.

    Like ``loudnorm``: one gain to the integrated target, then a peak limiter 0.5 dB under the true-peak target
    (the margin covers inter-sample peaks, which the sample-peak limiter does not see).
    """
    opened: list[Any] = []
    try:
        return _normalised_sound(tour_sound(timeline, ducking, opened), timeline, wav, target, measure, console)
    finally:
        for clip in opened:
            clip.close()


def _normalised_sound(mix: Any, timeline: Timeline, wav: Path, target: graph.Loudness, measure: bool,
                      console: Console) -> graph.Loudness:  # fmt: skip
    write_wav(mix, wav)
    if not measure:
        return target
    stats = wav.with_suffix(".loudness.txt")
    command = measure_loudness_command(wav, stats, timeline.duration_ms, ffmpeg_bin=ffmpeg_binary())
    run_ffmpeg(command.argv, expected_duration_ms=command.expected_duration_ms, description="measuring loudness",
               show_progress=False, console=console)  # fmt: skip
    measured = graph.parse_ebur128_stats(stats.read_text(encoding="utf-8"))
    target = graph.Loudness(target.target_lufs, target.target_true_peak, measured=measured)
    gain = 10 ** (loudness_gain_db(measured, target) / 20)
    write_wav(mix, wav, gain, ceiling=10 ** ((target.target_true_peak - 0.5) / 20))
    return target


def render_with_moviepy(checked: CheckedTour, timeline: Timeline, output: Path, options: RenderOptions,
                        console: Console, result: RenderResult) -> graph.Loudness:  # fmt: skip
    """Draw, mix, measure and mux the tour into ``output``; returns the loudness settings used (for the manifest)."""
    from streamkit.tours.render import prepare_inputs, prepare_stills  # render dispatches here: no import cycle

    tour = checked.tour
    burn = tour.defaults.captions.burn_in if options.burn_captions is None else options.burn_captions
    encoding = _encoding(checked, options)
    target = graph.Loudness(tour.output.loudness.target_lufs, tour.output.loudness.target_true_peak)
    ffmpeg_bin = ffmpeg_binary()
    fps = float(timeline.fps)
    logger = "bar" if options.show_progress else None
    with tempfile.TemporaryDirectory(prefix="streamkit-moviepy-") as tmp:
        work = Path(tmp)
        # captions are drawn here, not by libass, and so are the shots (from `prepare_stills` below)
        inputs = prepare_inputs(checked, timeline, work, burn=False, shots=False)
        mix, picture_file = work / "mix.wav", work / "picture.mp4"
        mux = mux_command(
            picture_file, mix, partial_path(output), timeline.duration_ms, soft_srt=inputs.soft_srt,
            metadata=inputs.metadata, audio_bitrate=encoding.audio_bitrate, ffmpeg_bin=ffmpeg_bin,
        )  # fmt: skip
        if options.dry_run:
            run_ffmpeg(mux.argv, dry_run=True, console=console)
            return target
        target = write_sound(timeline, tour.ducking, mix, target, measure=not options.preview, console=console)
        result.measured = target.measured
        sources = ShotSources(timeline, prepare_stills(tour, timeline), checked.media, tour.defaults.ken_burns)
        try:
            gop = str(max(1, round(fps * 2)))
            params = ["-crf", str(encoding.crf), "-profile:v", "high", "-g", gop]
            picture_clip(checked, timeline, inputs, sources, burn).write_videofile(
                str(picture_file), fps=fps, codec="libx264", preset=encoding.preset, pixel_format="yuv420p",
                ffmpeg_params=params, audio=False, threads=options.threads, logger=logger,
            )  # fmt: skip
        finally:
            sources.close()
        frame_ms = 1000 / fps
        verify = verify_media(timeline.duration_ms, tolerance_ms=round(frame_ms) + 1, need_audio=True)
        with atomic_output(output, verify):
            run_ffmpeg(mux.argv, expected_duration_ms=mux.expected_duration_ms, description="muxing",
                       show_progress=False, console=console, output_path=output)  # fmt: skip
    return target


def _encoding(checked: CheckedTour, options: RenderOptions) -> graph.Encoding:
    tour = checked.tour
    if options.preview:
        return graph.Encoding(max(tour.output.crf, 28), "ultrafast", "96k", options.threads)
    return graph.Encoding(tour.output.crf, tour.output.preset, threads=options.threads)


def render_tour_moviepy(checked: CheckedTour, timeline: Timeline, output: Path, options: RenderOptions,
                        console: Console) -> RenderResult:  # fmt: skip
    """The moviepy executor behind ``render_tour(..., RenderOptions(engine="moviepy"))``."""
    from streamkit.tours.render import RenderResult, publish_hls, publish_sidecars, sidecar_paths, write_manifest

    began = time.monotonic()
    result = RenderResult(output, timeline)
    loudness = render_with_moviepy(checked, timeline, output, options, console, result)
    if options.dry_run:
        return result
    result.sidecars = publish_sidecars(checked, timeline, output)
    if options.hls_dir is not None:
        vtt = sidecar_paths(output)["vtt"] if timeline.captions else None
        tour = checked.tour
        publish_hls(tour, output, options.hls_dir, vtt, timeline.fps, ffmpeg_binary(), options, console)
    result.seconds = time.monotonic() - began
    write_manifest(checked, timeline, output, result, _encoding(checked, options), loudness)
    return result
