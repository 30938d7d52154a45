"""The ffmpeg command lines of a tour: one graph composes, mixes and encodes everything. Pure; nothing runs here.

Video: every shot is normalised to the output size, frame rate and timebase (``xfade`` refuses anything else),
cut to an exact number of frames, then joined by ``concat``; ``xfade`` blends only the frames two shots share.
Photos move by whole-pixel crops and scales planned to land within 0.15 px of the exact window
(``streamkit.tours.ffmpeg.ken_burns``), or with ``perspective`` evaluated per frame where no plan fits
(``zoompan`` rounds its window to whole pixels and jitters). Lower-thirds and the logo are overlays; captions are
burned by libass (``subtitles``).

Audio: clip sound, narration and music are resampled to 48 kHz stereo and placed with ``adelay`` in samples;
music is ducked with ``sidechaincompress`` keyed on the narration, everything is summed with
``amix=normalize=0`` over a silent bed of the exact length, then measured (pass 1, ``ebur128``) or normalised
(pass 2: a plain ``volume`` gain when the measured true peak allows it, else ``loudnorm`` with the measured
values; see ``normalise``).

A chunked render (``chunk_video_command`` per chunk) renders the sound apart as a stem file while the pictures
encode, in sections of the timeline so its memory does not grow with the tour (``streamkit.media.tour_sound``),
and ``mux_command`` only copies the chunks and the stem into the MP4.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand, filter_graph_args
from streamkit.tours.ffmpeg import ken_burns as moves
from streamkit.tours.ffmpeg.ken_burns import KenBurnsPlan

if TYPE_CHECKING:
    from streamkit.tours.timeline import Chunk, Shot, Timeline

SAMPLE_RATE = 48_000
AUDIO_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"


def filter_value(text: str) -> str:
    """Quote a value (a path) for an option inside a filtergraph: both escaping levels ffmpeg applies."""
    quoted = "'" + text.replace("'", "'\\''") + "'"  # level 1: the option parser
    return "".join("\\" + c if c in "\\'[],;" else c for c in quoted)  # level 2: the graph parser


@dataclass(frozen=True)
class LogoPlacement:
    path: Path
    corner: Literal["top-left", "top-right", "bottom-left", "bottom-right"]
    opacity: float
    margin: int
    width: int  # pixels


@dataclass(frozen=True)
class Overlay:
    """An RGBA picture shown between two times with its top-left corner at ``(x, y)`` of the frame (a
    lower-third, cropped to its visible pixels: blending a full transparent frame cost every shown frame a
    full-frame blend, and every chunk held every lower-third of the tour)."""

    path: Path
    start_ms: int
    end_ms: int
    x: int = 0
    y: int = 0


@dataclass(frozen=True)
class Ducking:
    threshold: float = 0.02
    ratio: float = 10.0
    attack_ms: float = 20.0
    release_ms: float = 350.0


@dataclass(frozen=True)
class MeasuredLoudness:
    integrated: float
    true_peak: float
    lra: float
    threshold: float


@dataclass(frozen=True)
class Loudness:
    target_lufs: float = -16.0
    target_true_peak: float = -1.5
    target_lra: float = 11.0
    measured: MeasuredLoudness | None = None


@dataclass(frozen=True)
class Encoding:
    crf: int = 20
    preset: str = "veryfast"
    audio_bitrate: str = "160k"
    threads: int | None = None


@dataclass(frozen=True)
class PlannedMove:
    """A photo's Ken Burns move as whole-pixel crops and scales, and the ``sendcmd`` file the executor wrote."""

    plan: KenBurnsPlan
    commands: Path


@dataclass(frozen=True)
class PosterFrames:
    """Frames of a command's picture to save as images while rendering (the poster's candidates), by index from
    the command's first frame, and the ``image2`` pattern (``%02d``) they are written to, in order."""

    frames: tuple[int, ...]
    pattern: Path

    @property
    def selected(self) -> list[int]:
        """Every frame the branch writes: the candidates and frame 0 (see ``_poster_branch``)."""
        return sorted({0, *self.frames})

    def saved(self) -> list[Path]:
        """The files holding the candidates (``image2`` numbers the written frames from 1)."""
        return [Path(str(self.pattern) % (k + 1)) for k, f in enumerate(self.selected) if f in self.frames]


@dataclass(frozen=True)
class TourInputs:
    """Files the render uses besides the spec's media (prepared stills, caption files, metadata)."""

    stills: dict[int, Path] = field(default_factory=dict)  # shot index -> raw 4:4:4 still (photos and cards)
    lower_thirds: tuple[Overlay, ...] = ()
    logo: LogoPlacement | None = None
    burn_ass: Path | None = None
    fonts_dir: Path | None = None
    soft_srt: Path | None = None
    metadata: Path | None = None
    ducking: Ducking = Ducking()
    ken_burns: float = 0.12
    moves: dict[int, PlannedMove] = field(default_factory=dict)  # shot index -> planned move (else perspective)


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.3f}"


class _Args:
    """Collects ``-i`` inputs and hands out their indexes."""

    def __init__(self) -> None:
        self.argv: list[str] = []
        self.count = 0

    def add(self, *args: str) -> int:
        self.argv += [*args]
        self.count += 1
        return self.count - 1


def _frames_s(timeline: Timeline, frames: int) -> str:
    return timeline.frame_seconds(frames)


def ken_burns(move: str, frames: int, amount: float) -> str:
    """``perspective`` corner expressions for a move over ``frames`` frames (sub-pixel, linear in time).

    The visible window has the frame's aspect; zoom ``z`` shows ``W/z`` by ``H/z`` of the prepared photo.
    """
    p = f"(in/{max(frames - 1, 1)})"
    if move == "in":
        z = f"(1+{amount:g}*{p})"
    elif move == "out":
        z = f"(1+{amount:g}*(1-{p}))"
    else:
        z = f"{1 + amount:g}"
    if move in ("pan-left", "pan-right"):
        travel = f"(W-W/{z})"
        left = f"{travel}*{p}" if move == "pan-right" else f"{travel}*(1-{p})"
    else:
        left = f"(W-W/{z})/2"
    top = f"(H-H/{z})/2"
    right = f"{left}+W/{z}"
    bottom = f"{top}+H/{z}"
    corners = {"x0": left, "y0": top, "x1": right, "y1": top, "x2": left, "y2": bottom, "x3": right, "y3": bottom}
    return "perspective=" + ":".join(f"{k}='{v}'" for k, v in corners.items()) + ":interpolation=linear:eval=frame"


def _clip_input(args: _Args, shot: Shot, timeline: Timeline) -> int:
    assert shot.source is not None
    seconds = _frames_s(timeline, shot.frames + 1)
    # one decoder thread per clip: a tour opens many inputs at once and x264 needs the cores
    return args.add("-threads", "1", "-ss", _seconds(shot.trim_start_ms), "-t", seconds, "-i", str(shot.source))


STILL_PIXEL_FORMAT = "yuv444p"  # of the raw stills the graph reads (``streamkit.tours.stills.raw_still``)


def _still_input(args: _Args, i: int, timeline: Timeline, inputs: TourInputs) -> int:
    """A shot's raw still: a moving photo's at its plan's size, the others at the frame's."""
    width, height = inputs.moves[i].plan.still_size if i in inputs.moves else (timeline.width, timeline.height)
    raw = ["-f", "rawvideo", "-pixel_format", STILL_PIXEL_FORMAT, "-video_size", f"{width}x{height}"]
    return args.add(*raw, "-framerate", str(timeline.fps), "-i", str(inputs.stills[i]))


def _shot_video(i: int, n: int, timeline: Timeline, inputs: TourInputs) -> str:
    shot = timeline.shots[i]
    w, h, fps = timeline.width, timeline.height, timeline.fps
    # a still is read once and repeated by `loop` (image2 with -loop 1 would decode a PNG every frame), prepared
    # before `loop`, so its conversion runs once, not once per frame; `fps` gives the still the frame timebase:
    # without it xfade and concat ran one frame late after a still
    repeat = [f"loop=loop={shot.frames}:size=1:start=0", "setpts=N/FRAME_RATE/TB", f"fps={fps}"]
    if shot.kind == "clip":
        steps = [f"[{n}:v]fps={fps}", f"scale={w}:{h}:force_original_aspect_ratio=decrease",
                 f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black"]  # fmt: skip
    elif i in inputs.moves:
        move = inputs.moves[i]
        commands = filter_value(str(move.commands))
        steps = [f"[{n}:v]" + ",".join(moves.pad_steps(move.plan)), *repeat]
        steps += moves.graph_steps(move.plan, commands, f"kb{i}")
    else:
        steps = [f"[{n}:v]format=yuv420p", *repeat]
        if shot.kind == "photo" and shot.move != "none":
            steps.append(ken_burns(shot.move, shot.frames, inputs.ken_burns))
    # clone the last frame if a source is a little short, then cut to the exact frame count
    steps += ["setsar=1", "format=yuv420p", "tpad=stop=-1:stop_mode=clone", f"trim=end_frame={shot.frames}"]
    steps.append(f"setpts=PTS-STARTPTS[s{i}]")
    return ",".join(steps)


def _join_shots(parts: list[str], timeline: Timeline, indexes: range, labels: dict[int, str]) -> str:
    """The shots one after the other, crossfaded where the plan says; returns the chain's label.

    ``xfade`` is given only the frames two shots share: each shot is split into its head (the frames it shares
    with the shot before), its body (shown alone) and its tail (shared with the next one), and the pieces are
    joined by ``concat``. ffmpeg 5.1's ``xfade`` works in 4:4:4 only, so a chain of xfades over whole shots
    converted every frame of the tour to 4:4:4 and back (two software scalings of every frame, and the overlays
    and libass working on twice the chroma): about a third of the picture's filtering time.
    The first shot of a window starts whole and the last one ends whole (their neighbours are not built).
    Timestamps leave in the frame timebase, counted in frames from the first shot's start.
    """
    first, last = indexes[0], indexes[-1]
    pieces: list[str] = []
    tail_label = ""
    for i in indexes:
        shot = timeline.shots[i]
        head = shot.overlap_in if i != first else 0
        tail = timeline.shots[i + 1].overlap_in if i != last else 0
        cuts = [(f"h{i}", 0, head), (f"b{i}", head, shot.frames - tail), (f"t{i}", shot.frames - tail, shot.frames)]
        cuts = [cut for cut in cuts if cut[2] > cut[1]]
        if len(cuts) == 1:
            parts.append(f"[{labels[i]}]null[{cuts[0][0]}]")
        else:
            parts.append(f"[{labels[i]}]split={len(cuts)}" + "".join(f"[{name}in]" for name, _, _ in cuts))
            parts += [
                f"[{name}in]trim=start_frame={start}:end_frame={end},setpts=PTS-STARTPTS[{name}]"
                for name, start, end in cuts
            ]
        if head:
            duration = _frames_s(timeline, head)
            parts.append(
                f"[{tail_label}][h{i}]xfade=transition={shot.transition_in}:duration={duration}:offset=0,"
                f"format=yuv420p[f{i}]"
            )
            pieces.append(f"f{i}")
        if shot.frames - head - tail > 0:
            pieces.append(f"b{i}")
        tail_label = f"t{i}"
    tb = f"{timeline.fps.denominator}/{timeline.fps.numerator}"
    joined = "".join(f"[{label}]" for label in pieces)
    concat = f"concat=n={len(pieces)}:v=1:a=0," if len(pieces) > 1 else "null,"
    parts.append(f"{joined}{concat}settb={tb},setpts=N[chain]")
    return "chain"


def video_graph(timeline: Timeline, inputs: TourInputs, args: _Args, window: Chunk | None = None) -> list[str]:
    """The picture: shots, transitions, lower-thirds, logo, burned captions -> ``[vout]``.

    With ``window`` only the shots feeding that chunk are built (whole, so their pictures and moves are the same as
    in one graph), the chain is trimmed to the chunk's frames and carries the tour's timestamps through the
    overlays and libass (so cues need no offset), then restarts at 0 for the encoder.
    """
    parts: list[str] = []
    labels = {}
    indexes = range(len(timeline.shots)) if window is None else range(window.first_shot, window.last_shot + 1)
    base = timeline.shots[indexes[0]].start_frame
    for i in indexes:
        shot = timeline.shots[i]
        n = _clip_input(args, shot, timeline) if shot.kind == "clip" else _still_input(args, i, timeline, inputs)
        parts.append(_shot_video(i, n, timeline, inputs))
        labels[i] = f"s{i}"
    current = _join_shots(parts, timeline, indexes, labels)
    if window is not None:
        parts.append(
            f"[{current}]trim=start_frame={window.start_frame - base}:end_frame={window.end_frame - base},"
            f"setpts=N+{window.start_frame}[window]"
        )
        current = "window"
    for j, overlay in enumerate(_shown_in(inputs.lower_thirds, timeline, window)):
        n = args.add("-i", str(overlay.path))
        enable = f"between(t,{_seconds(overlay.start_ms)},{_seconds(overlay.end_ms)})"
        parts.append(f"[{current}][{n}:v]overlay={overlay.x}:{overlay.y}:enable='{enable}'[lt{j}]")
        current = f"lt{j}"
    if inputs.logo is not None:
        logo = inputs.logo
        n = args.add("-i", str(logo.path))
        m = logo.margin
        x = f"{m}" if logo.corner.endswith("left") else f"W-w-{m}"
        y = f"{m}" if logo.corner.startswith("top") else f"H-h-{m}"
        parts.append(f"[{n}:v]scale={logo.width}:-1,format=rgba,colorchannelmixer=aa={logo.opacity:g}[logo]")
        parts.append(f"[{current}][logo]overlay={x}:{y}[logoed]")
        current = "logoed"
    if inputs.burn_ass is not None:
        opts = f"filename={filter_value(str(inputs.burn_ass))}"
        if inputs.fonts_dir is not None:
            opts += f":fontsdir={filter_value(str(inputs.fonts_dir))}"
        parts.append(f"[{current}]subtitles={opts}[subbed]")
        current = "subbed"
    restart = ",setpts=PTS-STARTPTS" if window is not None else ""
    parts.append(f"[{current}]format=yuv420p{restart}[vout]")
    return parts


def _shown_in(overlays: Sequence[Overlay], timeline: Timeline, window: Chunk | None) -> list[Overlay]:
    """The overlays a window shows (all without one): a chunk opens only its own, so its memory does not grow
    with the tour. ``between`` includes both ends, and so does this test."""
    if window is None:
        return list(overlays)
    first, last = timeline.frame_ms(window.start_frame), timeline.frame_ms(window.end_frame - 1)
    return [o for o in overlays if o.start_ms <= last + 1 and o.end_ms >= first - 1]


def samples_at(ms: int) -> int:
    """The sample of the 48 kHz timeline at ``ms`` milliseconds."""
    return ms * SAMPLE_RATE // 1000


@dataclass(frozen=True)
class SoundWindow:
    """The samples ``[start, end)`` of the tour's timeline that a sound graph builds: the whole tour, or one
    section of a chunked render's sound with its pre-roll (``streamkit.media.tour_sound``)."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start

    def overlaps(self, at: int, length: int) -> bool:
        """Whether a track on samples ``[at, at + length)`` of the tour sounds inside this window."""
        return at < self.end and at + length > self.start

    def place(self, at: int) -> str:
        """The filter that puts a track beginning at sample ``at`` of the tour on this window's time: a delay when
        it begins inside, else its head cut off. The track is still decoded, resampled and faded from its own
        start, so the samples kept are the ones the whole-tour graph has there."""
        if at >= self.start:
            return f"adelay=delays={at - self.start}S:all=1"
        return f"atrim=start_sample={self.start - at},asetpts=PTS-STARTPTS"


def clip_sound_span(timeline: Timeline, i: int) -> tuple[int, int]:
    """Where shot ``i``'s own sound lies on the tour: (first sample, samples)."""
    shot = timeline.shots[i]
    return samples_at(timeline.frame_ms(shot.start_frame)), samples_at(timeline.frame_ms(shot.frames))


def sounding_clips(timeline: Timeline) -> list[int]:
    """The shots whose own sound is mixed."""
    return [i for i, shot in enumerate(timeline.shots) if shot.kind == "clip" and shot.audio]


def _clip_sound(timeline: Timeline, i: int, n: int, window: SoundWindow) -> str:
    """Shot ``i``'s sound from input ``n``: its volume, exact length, crossfades with its neighbours -> ``[c{i}]``."""
    shot = timeline.shots[i]
    at, length = clip_sound_span(timeline, i)
    dur = timeline.frame_ms(shot.frames)
    fade_in = timeline.frame_ms(shot.overlap_in)
    following = timeline.shots[i + 1].overlap_in if i + 1 < len(timeline.shots) else 0
    fade_out = timeline.frame_ms(following)
    steps = [f"[{n}:a]{AUDIO_FORMAT}", f"volume={shot.volume:g}", "apad", f"atrim=end_sample={length}"]
    if fade_in:
        steps.append(f"afade=t=in:d={_seconds(fade_in)}")
    if fade_out:
        steps.append(f"afade=t=out:st={_seconds(dur - fade_out)}:d={_seconds(fade_out)}")
    return ",".join(steps) + f",{window.place(at)}[c{i}]"


def placed_sound(
    timeline: Timeline, args: _Args, window: SoundWindow, clips: Sequence[int], voices: Sequence[int]
) -> tuple[list[str], list[str], list[str]]:
    """The clips' sound and the narration voices named by index, placed on ``window`` over a silent bed of its
    exact length: (graph parts, labels to mix, voice labels to sum and key the ducking on).

    Clip sound comes from a second input of the same file: ``amix`` needs every track from time 0, and reading
    a later clip's audio from the video input would decode its pictures early and queue them in memory.
    """
    parts = [f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=end_sample={window.length}[silence]"]
    mix = ["silence"]
    for i in clips:
        parts.append(_clip_sound(timeline, i, _clip_input(args, timeline.shots[i], timeline), window))
        mix.append(f"c{i}")
    labels = []
    for j in voices:
        placed = timeline.voices[j]
        n = args.add("-i", str(placed.source))
        where = window.place(samples_at(placed.start_ms))
        parts.append(f"[{n}:a]{AUDIO_FORMAT},volume={placed.volume:g},{where}[n{j}]")
        labels.append(f"n{j}")
    return parts, mix, labels


def music_beds(timeline: Timeline, args: _Args, parts: list[str]) -> list[str]:
    """The music beds, each looped, delayed, padded to the tour's exact length and faded at its end -> labels.

    Always built over the whole tour: a looped bed's position at any moment is only known by decoding it from
    its start, so a chunked render renders them once, alone (``tour_sound.music_command``).
    """
    total = samples_at(timeline.duration_ms)
    beds = []
    for j, bed in enumerate(timeline.music):
        n = args.add(*(["-stream_loop", "-1"] if bed.loop else []), "-i", str(bed.source))
        steps = [f"[{n}:a]{AUDIO_FORMAT}", f"volume={bed.volume:g}", f"adelay=delays={samples_at(bed.start_ms)}S:all=1"]
        steps += ["apad", f"atrim=end_sample={total}"]
        if bed.fade_out_ms:
            fade = min(bed.fade_out_ms, timeline.duration_ms)
            steps.append(f"afade=t=out:st={_seconds(timeline.duration_ms - fade)}:d={_seconds(fade)}")
        parts.append(",".join(steps) + f"[m{j}]")
        beds.append(f"m{j}")
    return beds


def duck_and_mix(
    parts: list[str], mix: list[str], voice: str | None, music: str | None, ducking: Ducking, total: int
) -> None:
    """Music ducked under the narration (``sidechaincompress`` keyed on the voice sum), everything summed with
    ``amix=normalize=0`` -> ``[mix]`` of exactly ``total`` samples."""
    if voice and music:
        d = ducking
        parts.append(f"[{voice}]asplit=2[voice_mix][voice_key]")
        parts.append(
            f"[{music}][voice_key]sidechaincompress=threshold={d.threshold:g}:ratio={d.ratio:g}"
            f":attack={d.attack_ms:g}:release={d.release_ms:g}[ducked]"
        )
        mix = [*mix, "voice_mix", "ducked"]
    else:
        mix = [*mix, *(label for label in (voice, music) if label)]
    inputs_text = "".join(f"[{label}]" for label in mix)
    parts.append(
        f"{inputs_text}amix=inputs={len(mix)}:duration=first:dropout_transition=0:normalize=0,"
        f"atrim=end_sample={total}[mix]"
    )


def audio_graph(timeline: Timeline, inputs: TourInputs, args: _Args) -> list[str]:
    """The sound: clip audio, narration, ducked music, summed -> ``[mix]`` of exactly the tour's length."""
    total = samples_at(timeline.duration_ms)
    window = SoundWindow(0, total)
    parts, mix, voices = placed_sound(timeline, args, window, sounding_clips(timeline), range(len(timeline.voices)))
    beds = music_beds(timeline, args, parts)
    voice = sum_tracks(parts, voices, "voice", total)
    music = sum_tracks(parts, beds, "music", total)
    duck_and_mix(parts, mix, voice, music, inputs.ducking, total)
    return parts


def sum_tracks(parts: list[str], labels: Sequence[str], name: str, total: int) -> str | None:
    """Mix several tracks of one kind into one of the tour's exact length; None when there are none."""
    if not labels:
        return None
    joined = "".join(f"[{label}]" for label in labels)
    parts.append(
        f"{joined}amix=inputs={len(labels)}:duration=longest:dropout_transition=0:normalize=0,"
        f"apad=whole_len={total},atrim=end_sample={total}[{name}]"
    )
    return name


def loudness_measure_command(
    timeline: Timeline, inputs: TourInputs, stats_file: Path, *, ffmpeg_bin: str = "ffmpeg"
) -> FFmpegCommand:
    """Pass 1: the audio mix only, measured with ``ebur128`` (integrated, range, true peak) into ``stats_file``."""
    args = _Args()
    parts = audio_graph(timeline, inputs, args)
    parts.append(f"[mix]ebur128=peak=true:metadata=1,ametadata=mode=print:file={filter_value(str(stats_file))}[aout]")
    graph_args, temp = filter_graph_args(";".join(parts))
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, *graph_args, "-map", "[aout]", "-f", "null", "-"]
    return FFmpegCommand(argv, timeline.duration_ms, temp)


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


def linear_gain_db(loudness: Loudness) -> float | None:
    """The gain that brings the measured programme to the target, when it keeps the true peak under the ceiling.

    This is loudnorm's own test for its linear mode (``measured_TP + (target_I - measured_I) <= target_TP``, with a
    real measurement): loudnorm then only multiplies by this gain, so ``volume`` gives the same samples, and the
    graph says which normalisation the tour gets. None when there is no measurement or the gain would push peaks
    over the ceiling.
    """
    m = loudness.measured
    if m is None or m.integrated <= -70:
        return None
    gain = loudness.target_lufs - m.integrated
    if m.true_peak + gain > loudness.target_true_peak:
        return None
    return gain


# limiting more than this off the peaks would take the programme's loudness too far below the target: loudnorm
LIMITER_MAX_DB = 6.0
# under the true-peak ceiling, for peaks between samples (alimiter sees samples at 48 kHz) and the AAC encoder
LIMITER_HEADROOM_DB = 1.0


def normalise(loudness: Loudness) -> str:
    """The filters that bring ``[mix]`` to the target loudness.

    A plain gain when it keeps the true peak under the ceiling (loudnorm's linear mode, the same samples). When
    the gain would push peaks over it by up to ``LIMITER_MAX_DB``, the gain and ``alimiter`` just under the
    ceiling: loudnorm's fallback (its dynamic mode, run at 192 kHz) cost 2.3 s more CPU on the sample tour than
    the whole rest of its sound. Otherwise, and without a measurement, ``loudnorm``.
    """
    gain = linear_gain_db(loudness)
    if gain is not None:
        return f"volume={gain:.2f}dB"
    m = loudness.measured
    if m is not None and m.integrated > -70:
        gain = loudness.target_lufs - m.integrated
        ceiling = loudness.target_true_peak - LIMITER_HEADROOM_DB
        if m.true_peak + gain - ceiling <= LIMITER_MAX_DB:
            # latency=1: the limiter's look-ahead is taken back, the sound stays on the picture's samples
            return f"volume={gain:.2f}dB,alimiter=limit={10 ** (ceiling / 20):.4f}:level=disabled:latency=1"
    opts = f"loudnorm=I={loudness.target_lufs:g}:TP={loudness.target_true_peak:g}:LRA={loudness.target_lra:g}"
    if m is not None and m.integrated > -70:
        opts += (
            f":measured_I={m.integrated:g}:measured_TP={m.true_peak:g}:measured_LRA={m.lra:g}"
            f":measured_thresh={m.threshold:g}:linear=true"
        )
    return opts + f",aresample={SAMPLE_RATE}"


def _soft_track_and_chapters(inputs: TourInputs, args: _Args) -> tuple[list[str], list[str]]:
    """Maps and output options for the soft ``mov_text`` captions and the ffmetadata chapters."""
    maps: list[str] = []
    tail: list[str] = []
    if inputs.soft_srt is not None:
        n = args.add("-i", str(inputs.soft_srt))
        maps += ["-map", f"{n}:s"]
        tail += ["-c:s", "mov_text", "-metadata:s:s:0", "language=chi", "-metadata:s:s:0", "title=中文字幕"]
    if inputs.metadata is not None:
        n = args.add("-i", str(inputs.metadata))
        tail += ["-map_metadata", str(n), "-map_chapters", str(n)]
    return maps, tail


def _video_codec(timeline: Timeline, encoding: Encoding) -> list[str]:
    gop = max(1, round(timeline.fps * 2))
    video = ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", encoding.preset]
    video += ["-crf", str(encoding.crf), "-g", str(gop), "-r", str(timeline.fps)]
    if encoding.threads:
        video += ["-threads", str(encoding.threads)]
    return video


def _audio_codec(encoding: Encoding) -> list[str]:
    return ["-c:a", "aac", "-b:a", encoding.audio_bitrate, "-ar", str(SAMPLE_RATE), "-ac", "2"]


def tour_command(
    timeline: Timeline,
    inputs: TourInputs,
    output: Path,
    *,
    encoding: Encoding = Encoding(),
    loudness: Loudness = Loudness(),
    ffmpeg_bin: str = "ffmpeg",
    poster: PosterFrames | None = None,
) -> FFmpegCommand:
    """Pass 2: the whole tour in one process and one graph, encoded to H.264 High / AAC 48 kHz in MP4."""
    args = _Args()
    parts = video_graph(timeline, inputs, args)
    poster_output = _poster_branch(parts, poster)
    parts += audio_graph(timeline, inputs, args)
    parts.append(f"[mix]{normalise(loudness)}[aout]")
    maps = ["-map", "[vout]", "-map", "[aout]"]
    soft_maps, tail = _soft_track_and_chapters(inputs, args)
    graph_args, temp = filter_graph_args(";".join(parts))
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, *graph_args, *maps, *soft_maps]
    argv += [*_video_codec(timeline, encoding), *_audio_codec(encoding), *tail, "-movflags", "+faststart", str(output)]
    return FFmpegCommand(argv + poster_output, timeline.duration_ms, temp)


def _poster_branch(parts: list[str], poster: PosterFrames | None) -> list[str]:
    """Split the finished picture (``[vout]``, the last part) to save the poster's candidate frames as BMP images;
    returns the extra output's arguments. ``select`` passes only those frames, so the branch costs next to nothing.

    ffmpeg feeds first the output that lags behind, and pulling one frame from a sparse branch makes the graph run
    (and queue the picture's frames) up to the next candidate: ~120 MB more at 720p. So the branch's timestamps
    are moved a day ahead, and it writes frame 0 as well, so it never lags (``PosterFrames.saved`` skips it).
    """
    if poster is None or not poster.frames:
        return []
    parts[-1] = parts[-1].removesuffix("[vout]") + ",split=2[vout][posterin]"
    picks = _any_frame(poster.selected)
    parts.append(f"[posterin]setpts=PTS+86400/TB,select='{picks}',format=bgr24[poster]")
    return ["-map", "[poster]", "-fps_mode", "passthrough", "-c:v", "bmp", "-f", "image2", str(poster.pattern)]


def _any_frame(frames: Sequence[int]) -> str:
    """An expression true at the frame numbers ``frames`` (sorted): a balanced ``if`` tree, as ffmpeg's parser
    rejects long flat chains."""
    if len(frames) == 1:
        return f"eq(n\\,{frames[0]})"
    mid = len(frames) // 2
    return f"if(lt(n\\,{frames[mid]})\\,{_any_frame(frames[:mid])}\\,{_any_frame(frames[mid:])})"


# every chunk must carry the same SPS/PPS for the `-c copy` join: x264's stitchable mode keeps the headers
# independent of each chunk's content (initial QP), and x264's GOPs are closed, so each chunk opens on an IDR
STITCHABLE = ["-x264-params", "stitchable=1"]


def chunk_video_command(
    timeline: Timeline,
    chunk: Chunk,
    inputs: TourInputs,
    output: Path,
    *,
    encoding: Encoding = Encoding(),
    ffmpeg_bin: str = "ffmpeg",
    poster: PosterFrames | None = None,
) -> FFmpegCommand:
    """One chunk's picture (no sound) with the tour's encoder settings, to be joined by ``mux_command``."""
    args = _Args()
    parts = video_graph(timeline, inputs, args, chunk)
    poster_output = _poster_branch(parts, poster)
    graph_args, temp = filter_graph_args(";".join(parts))
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, *graph_args, "-map", "[vout]"]
    argv += [*_video_codec(timeline, encoding), *STITCHABLE, "-an", "-f", "mp4", str(output), *poster_output]
    return FFmpegCommand(argv, timeline.frame_ms(chunk.frames), temp)


def concat_list(chunk_files: Sequence[Path]) -> str:
    """The concat demuxer's list of chunk files (paths quoted for its parser)."""
    return "ffconcat version 1.0\n" + "".join("file '" + str(p).replace("'", "'\\''") + "'\n" for p in chunk_files)


def mux_command(
    timeline: Timeline,
    inputs: TourInputs,
    concat_file: Path,
    sound_file: Path,
    output: Path,
    *,
    ffmpeg_bin: str = "ffmpeg",
) -> FFmpegCommand:
    """The final step of a chunked render: the chunks and the sound stem copied (no decoding, no encoding) into
    the MP4 with the soft captions and chapters, ``+faststart``."""
    args = _Args()
    args.add("-f", "concat", "-safe", "0", "-i", str(concat_file))
    args.add("-i", str(sound_file))
    soft_maps, tail = _soft_track_and_chapters(inputs, args)
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, "-map", "0:v", "-map", "1:a", *soft_maps]
    argv += ["-c:v", "copy", "-c:a", "copy", *tail, "-movflags", "+faststart", str(output)]
    return FFmpegCommand(argv, timeline.duration_ms)


@dataclass(frozen=True)
class HlsVariant:
    height: int
    bitrate_kbps: int


def hls_command(
    source: Path,
    captions_vtt: Path | None,
    out_dir: Path,
    variants: Sequence[HlsVariant],
    fps: Fraction,
    *,
    preset: str = "veryfast",
    ffmpeg_bin: str = "ffmpeg",
) -> FFmpegCommand:
    """An fMP4 HLS ladder from the finished MP4: decode once, ``split`` into one scaler and encoder per variant.

    ``-profile:v high`` with ``-maxrate`` makes ffmpeg 5.1 write the right CODECS and a video BANDWIDTH in the
    master playlist (without them it writes ``avc1.f4001f`` and an audio-only bandwidth).
    """
    n = len(variants)
    parts = [f"[0:v]split={n}" + "".join(f"[v{i}]" for i in range(n))]
    parts += [f"[v{i}]scale=-2:{v.height}[o{i}]" for i, v in enumerate(variants)]
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, "-i", str(source)]
    if captions_vtt is not None:
        argv += ["-i", str(captions_vtt)]
    argv += ["-filter_complex", ";".join(parts)]
    gop = max(1, round(fps * 2))
    stream_map = []
    for i, v in enumerate(variants):
        argv += ["-map", f"[o{i}]", "-map", "0:a"]
        argv += [f"-b:v:{i}", f"{v.bitrate_kbps}k", f"-maxrate:v:{i}", f"{v.bitrate_kbps * 11 // 10}k"]
        argv += [f"-bufsize:v:{i}", f"{v.bitrate_kbps * 2}k"]
        # ffmpeg 5.1 crashes when only some variants name a subtitle stream: every variant gets a copy
        stream_map.append(
            f"v:{i},a:{i}" + (f",s:{i},sgroup:subs" if captions_vtt is not None else "") + f",name:{v.height}p"
        )
    if captions_vtt is not None:
        argv += [arg for _ in variants for arg in ("-map", "1:s")] + ["-c:s", "webvtt"]
    argv += ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", preset]
    argv += ["-g", str(gop), "-keyint_min", str(gop), "-sc_threshold", "0"]
    argv += ["-c:a", "aac", "-b:a", "128k", "-ar", str(SAMPLE_RATE)]
    argv += ["-f", "hls", "-hls_time", "4", "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"]
    argv += ["-hls_flags", "independent_segments", "-master_pl_name", "master.m3u8"]
    argv += ["-hls_segment_filename", str(out_dir / "%v" / "seg-%03d.m4s")]
    argv += ["-var_stream_map", " ".join(stream_map), str(out_dir / "%v" / "index.m3u8")]
    return FFmpegCommand(argv, None)


def tidy_master_playlist(text: str, language: str = "zh", name: str = "中文") -> str:
    """One subtitle rendition per group (ffmpeg writes one per variant, each DEFAULT=YES), named and tagged."""
    seen: set[str] = set()
    lines = []
    for line in text.splitlines():
        if line.startswith("#EXT-X-MEDIA:TYPE=SUBTITLES"):
            group = line.split('GROUP-ID="')[1].split('"')[0]
            if group in seen:
                continue
            seen.add(group)
            line = re.sub(r'NAME="[^"]*"', f'NAME="{name}",LANGUAGE="{language}"', line)
        lines.append(line)
    return "\n".join(line for i, line in enumerate(lines) if line or (i and lines[i - 1])) + "\n"
