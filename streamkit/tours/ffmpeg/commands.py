"""The ffmpeg commands of a tour render. Pure; nothing runs here.

A short tour is one graph: pass 1 measures the mix (``measure_command``), pass 2 composes, mixes, normalises and
encodes everything (``tour_command``). A longer one encodes the picture in chunks (``chunk_video_command``) while
the sound renders beside them as a stem in sections (``sections``), and ``join_command`` copies the chunks and the
stem into the MP4. A graph too long for argv goes into the script file each builder is given (see
``filter_graph_args``): the executor writes it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from streamkit.media import loudness as levels
from streamkit.media import mux
from streamkit.media.codecs import X264_DETERMINISTIC, aac_args, gop_frames
from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand, InputList, filter_graph_args
from streamkit.media.loudness import Loudness
from streamkit.tours.ffmpeg.posters import PosterFrames, poster_branch
from streamkit.tours.ffmpeg.sound import audio_graph
from streamkit.tours.ffmpeg.video import video_graph
from streamkit.tours.inputs import TourInputs
from streamkit.tours.job import Encoding
from streamkit.tours.timeline import Chunk, Timeline


def measure_command(
    timeline: Timeline, inputs: TourInputs, stats_file: Path, *, script: Path, ffmpeg_bin: str
) -> FFmpegCommand:
    """Pass 1: the audio mix only, measured with ``ebur128`` (integrated, range, true peak) into ``stats_file``."""
    args = InputList()
    parts = audio_graph(timeline, inputs.ducking, args)
    parts.append(f"[mix]{levels.measure_filter(stats_file)}[aout]")
    graph_args, scripts = filter_graph_args(";".join(parts), script)
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, *graph_args, "-map", "[aout]", "-f", "null", "-"]
    return FFmpegCommand(argv, timeline.duration_ms, scripts)


def video_codec(timeline: Timeline, encoding: Encoding, *, stitchable: bool = False) -> list[str]:
    """H.264 High in 4:2:0 at the spec's quality, a keyframe every ``GOP_SECONDS``, the same pictures every run."""
    video = ["-c:v", "libx264", "-profile:v", "high", "-pix_fmt", "yuv420p", "-preset", encoding.preset]
    video += ["-crf", str(encoding.crf), "-g", str(gop_frames(timeline.fps)), "-r", str(timeline.fps)]
    video += ["-threads", str(encoding.threads)]
    return [*video, "-x264-params", ":".join([*X264_DETERMINISTIC, *(["stitchable=1"] if stitchable else [])])]


def tour_command(
    timeline: Timeline,
    inputs: TourInputs,
    output: Path,
    *,
    encoding: Encoding,
    loudness: Loudness,
    script: Path,
    ffmpeg_bin: str,
    poster: PosterFrames | None = None,
) -> FFmpegCommand:
    """Pass 2: the whole tour in one process and one graph, encoded to H.264 High / AAC 48 kHz in MP4."""
    args = InputList()
    parts = video_graph(timeline, inputs, args)
    poster_output = poster_branch(parts, poster)
    parts += audio_graph(timeline, inputs.ducking, args)
    parts.append(f"[mix]{levels.normalise(loudness)}[aout]")
    maps = ["-map", "[vout]", "-map", "[aout]"]
    soft_maps, tail = mux.captions_and_chapters(args, inputs.soft_srt, inputs.metadata)
    graph_args, scripts = filter_graph_args(";".join(parts), script)
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, *graph_args, *maps, *soft_maps]
    argv += [*video_codec(timeline, encoding), *aac_args(encoding.audio_bitrate), *tail]
    argv += ["-movflags", "+faststart", str(output)]
    return FFmpegCommand(argv + poster_output, timeline.duration_ms, scripts)


def chunk_video_command(
    timeline: Timeline,
    chunk: Chunk,
    inputs: TourInputs,
    output: Path,
    *,
    encoding: Encoding,
    script: Path,
    ffmpeg_bin: str,
    poster: PosterFrames | None = None,
) -> FFmpegCommand:
    """One chunk's picture (no sound) with the tour's encoder settings, to be joined by ``join_command``."""
    args = InputList()
    parts = video_graph(timeline, inputs, args, chunk)
    poster_output = poster_branch(parts, poster)
    graph_args, scripts = filter_graph_args(";".join(parts), script)
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, *graph_args, "-map", "[vout]"]
    # every chunk must carry the same SPS/PPS for the `-c copy` join: x264's stitchable mode keeps the headers
    # independent of each chunk's content (initial QP), and x264's GOPs are closed, so each chunk opens on an IDR
    video = video_codec(timeline, encoding, stitchable=True)
    argv += [*video, "-an", "-f", "mp4", str(output), *poster_output]
    return FFmpegCommand(argv, timeline.frame_ms(chunk.frames), scripts)


def concat_list(chunk_files: Sequence[Path]) -> str:
    """The concat demuxer's list of chunk files (paths quoted for its parser)."""
    return "ffconcat version 1.0\n" + "".join("file '" + str(p).replace("'", "'\\''") + "'\n" for p in chunk_files)


def join_command(
    timeline: Timeline, inputs: TourInputs, concat_file: Path, sound_file: Path, output: Path, *, ffmpeg_bin: str
) -> FFmpegCommand:
    """The final step of a chunked render: the chunks and the sound stem copied (no decoding, no encoding) into
    the MP4 with the soft captions and chapters, ``+faststart``."""
    picture = ["-f", "concat", "-safe", "0", "-i", str(concat_file)]
    return mux.mux_command(
        picture,
        sound_file,
        output,
        timeline.duration_ms,
        soft_srt=inputs.soft_srt,
        metadata=inputs.metadata,
        ffmpeg_bin=ffmpeg_bin,
    )
