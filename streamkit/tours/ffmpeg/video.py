"""The picture of a tour as an ffmpeg filter graph. Pure; nothing runs here.

Every shot is normalised to the output size, frame rate and timebase (``xfade`` refuses anything else), cut to an
exact number of frames, then joined by ``concat``; ``xfade`` blends only the frames two shots share. Photos move by
whole-pixel crops and scales planned to land within a fraction of a pixel of the exact window (``ken_burns``), or
with ``perspective`` evaluated per frame where no plan fits (``zoompan`` rounds its window to whole pixels and
jitters). Lower-thirds and the logo are overlays; captions are burned by libass (``subtitles``).
"""

from __future__ import annotations

from collections.abc import Sequence

from streamkit.media.commands import InputList, filter_value, seconds
from streamkit.tours.ffmpeg import ken_burns
from streamkit.tours.inputs import Overlay, TourInputs
from streamkit.tours.stills import STILL_PIXEL_FORMAT
from streamkit.tours.timeline import Chunk, Shot, Timeline


def perspective_move(move: str, frames: int, amount: float) -> str:
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


def clip_input(args: InputList, shot: Shot, timeline: Timeline) -> int:
    """A clip shot's file as an input, cut to the shot (and a frame more, in case its last one is short)."""
    assert shot.source is not None
    length = timeline.frame_seconds(shot.frames + 1)
    # one decoder thread per clip: a tour opens many inputs at once and x264 needs the cores
    return args.add("-threads", "1", "-ss", seconds(shot.trim_start_ms), "-t", length, "-i", str(shot.source))


def _still_input(args: InputList, i: int, timeline: Timeline, inputs: TourInputs) -> int:
    """A shot's raw still: a moving photo's at its plan's size, the others at the frame's."""
    width, height = inputs.moves[i].plan.still_size if i in inputs.moves else (timeline.width, timeline.height)
    raw = ["-f", "rawvideo", "-pixel_format", STILL_PIXEL_FORMAT, "-video_size", f"{width}x{height}"]
    return args.add(*raw, "-framerate", str(timeline.fps), "-i", str(inputs.stills[i]))


def _shot_video(i: int, n: int, timeline: Timeline, inputs: TourInputs) -> str:
    shot = timeline.shots[i]
    w, h, fps = timeline.width, timeline.height, timeline.fps
    # a still is read once and repeated by `loop` (image2 with -loop 1 would decode a PNG every frame), prepared
    # before `loop`, so its conversion runs once, not once per frame; `fps` gives the still the frame timebase:
    # without it xfade and concat run one frame late after a still
    repeat = [f"loop=loop={shot.frames}:size=1:start=0", "setpts=N/FRAME_RATE/TB", f"fps={fps}"]
    if shot.kind == "clip":
        steps = [f"[{n}:v]fps={fps}", f"scale={w}:{h}:force_original_aspect_ratio=decrease",
                 f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2:color=black"]  # fmt: skip
    elif i in inputs.moves:
        move = inputs.moves[i]
        commands = filter_value(str(move.commands))
        steps = [f"[{n}:v]" + ",".join(ken_burns.pad_steps(move.plan)), *repeat]
        steps += ken_burns.graph_steps(move.plan, commands, f"kb{i}")
    else:
        steps = [f"[{n}:v]format=yuv420p", *repeat]
        if shot.kind == "photo" and shot.move != "none":
            steps.append(perspective_move(shot.move, shot.frames, inputs.ken_burns))
    # clone the last frame if a source is a little short, then cut to the exact frame count
    steps += ["setsar=1", "format=yuv420p", "tpad=stop=-1:stop_mode=clone", f"trim=end_frame={shot.frames}"]
    steps.append(f"setpts=PTS-STARTPTS[s{i}]")
    return ",".join(steps)


def _join_shots(parts: list[str], timeline: Timeline, indexes: range, labels: dict[int, str]) -> str:
    """The shots one after the other, crossfaded where the plan says; returns the chain's label.

    ``xfade`` is given only the frames two shots share: each shot is split into its head (the frames it shares
    with the shot before), its body (shown alone) and its tail (shared with the next one), and the pieces are
    joined by ``concat``. ffmpeg 5.1's ``xfade`` works in 4:4:4 only: over whole shots it would convert every frame
    of the tour to 4:4:4 and back, and the overlays and libass would work on twice the chroma.
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
            duration = timeline.frame_seconds(head)
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


def video_graph(timeline: Timeline, inputs: TourInputs, args: InputList, window: Chunk | None = None) -> list[str]:
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
        n = clip_input(args, shot, timeline) if shot.kind == "clip" else _still_input(args, i, timeline, inputs)
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
        enable = f"between(t,{seconds(overlay.start_ms)},{seconds(overlay.end_ms)})"
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
