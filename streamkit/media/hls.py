"""An fMP4 HLS ladder from a finished MP4, and the tidying of ffmpeg's master playlist. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from streamkit.media.codecs import GOP_SECONDS, SAMPLE_RATE, gop_frames
from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand

SEGMENT_SECONDS = 2 * GOP_SECONDS  # every segment starts on a keyframe


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
    preset: str,
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
    gop = gop_frames(fps)
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
    argv += ["-f", "hls", "-hls_time", str(SEGMENT_SECONDS), "-hls_playlist_type", "vod", "-hls_segment_type", "fmp4"]
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
