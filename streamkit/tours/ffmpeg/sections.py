"""The sound stem of a chunked tour render, in sections so its memory does not grow with the tour. Pure.

The whole-tour graph (``sound.audio_graph``) opens every clip's sound, narration voice and music bed at once:
ffmpeg holds each input's demuxer, decoder and resampler for the whole run, so its memory grows with the tour. A
chunked render instead runs, one after the other, each with few inputs:

1. ``music_command``: the music beds alone, looped, delayed and faded exactly as in the whole graph, to raw float
   PCM of the tour's exact length. The music is not cut: a looped bed's position is only known by decoding it
   from its start.
2. ``section_command`` per ``SoundSection`` (``SECTION_SECONDS`` of the timeline): only the clips and voices
   sounding in the section and its pre-roll, the music read from its raw file at an exact byte offset, the same
   ducking and sum as the whole graph, the pre-roll dropped, raw PCM of exactly the section's samples.
3. ``measure_command``: pass 1 (``ebur128``) over the sections read back to back (the ``concat`` protocol joins
   the raw files byte for byte: sample-exact).
4. ``sound_command``: the same joined sections, normalised and encoded to AAC: the stem.

Raw PCM (``f32le``, 48 kHz stereo) keeps the float mix as it was (no rounding, no codec delay), at the price of
temporary disk in the render's work folder. Each command's filter script, when its graph is too long for argv,
sits beside its output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from streamkit.errors import MediaError
from streamkit.media import loudness as levels
from streamkit.media.codecs import SAMPLE_RATE, aac_args
from streamkit.media.commands import COMMON_HEAD, PROGRESS_ARGS, FFmpegCommand, InputList, filter_graph_args
from streamkit.media.loudness import Loudness
from streamkit.tours.ffmpeg import sound
from streamkit.tours.ffmpeg.sound import SoundWindow, samples_at
from streamkit.tours.job import Encoding
from streamkit.tours.spec import Ducking
from streamkit.tours.timeline import Timeline

# the length of a section: its process holds only the sources sounding in it, so a minute keeps that to a few
# inputs while the tour's length only adds sections (each costs an ffmpeg start-up)
SECTION_SECONDS = 60.0
# a voice's container duration can differ a little from its decoded sound: a voice ending less than this before a
# section's pre-roll is opened anyway (a source opened needlessly changes nothing but a little memory)
VOICE_LENGTH_MARGIN_MS = 1000
BYTES_PER_SAMPLE = 8  # f32le stereo: 2 channels x 4 bytes
RAW_PCM = ["-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", "2"]
RAW_FORMAT = "aformat=sample_fmts=fltp:channel_layouts=stereo"


def preroll_samples(ducking: Ducking) -> int:
    """The sound a section renders before its start and throws away, so its ducking starts settled.

    ``sidechaincompress`` carries one state from sample to sample, its envelope of the key (the narration), which
    follows the key with the attack and release times. A section graph starts it at rest; rendered from
    ``start - preroll`` with the narration sounding there, the envelope converges to the whole graph's before the
    section starts: the gap shrinks by e (at least) each release time, and the compressor's own smoothing is a
    quarter of it (its coefficient is ``4000 / (release_ms * sample_rate)`` per sample), so five release times
    leave less than e^-20 of it. Two seconds at least, for short releases. The clips and voices sounding in the
    pre-roll are opened too, so the key there is the whole graph's.
    """
    seconds = max(2.0, 5 * max(ducking.release_ms, ducking.attack_ms) / 1000)
    return round(seconds * SAMPLE_RATE)


@dataclass(frozen=True)
class SoundSection:
    """Samples ``[start, end)`` of the tour's sound, rendered over ``window`` (the section and its pre-roll) from
    the clips (shot indexes) and voices (``Timeline.voices`` indexes) sounding in the window."""

    start: int
    end: int
    window: SoundWindow
    clips: tuple[int, ...]
    voices: tuple[int, ...]

    @property
    def samples(self) -> int:
        return self.end - self.start


def plan_sections(
    timeline: Timeline,
    voice_ms: Mapping[Path, int],
    ducking: Ducking,
    section_seconds: float = SECTION_SECONDS,
) -> tuple[SoundSection, ...]:
    """The tour's samples cut into sections of ``section_seconds`` (the last one shorter), each with the sources
    it opens. ``voice_ms`` gives the narration files' durations; a voice whose file is missing from it is opened
    in every section after its start."""
    total = samples_at(timeline.duration_ms)
    step = max(1, round(section_seconds * SAMPLE_RATE))
    preroll = preroll_samples(ducking)
    clips = [(i, *sound.clip_sound_span(timeline, i)) for i in sound.sounding_clips(timeline)]
    voices = []
    for j, placed in enumerate(timeline.voices):
        known = voice_ms.get(placed.source)
        length = total if known is None else samples_at(known + VOICE_LENGTH_MARGIN_MS)
        voices.append((j, samples_at(placed.start_ms), length))
    sections = []
    for start in range(0, total, step):
        end = min(start + step, total)
        window = SoundWindow(max(0, start - preroll), end)
        sections.append(
            SoundSection(
                start,
                end,
                window,
                tuple(i for i, at, length in clips if window.overlaps(at, length)),
                tuple(j for j, at, length in voices if window.overlaps(at, length)),
            )
        )
    return tuple(sections)


def _raw_output(output: Path) -> list[str]:
    return ["-c:a", "pcm_f32le", "-ar", str(SAMPLE_RATE), "-ac", "2", "-f", "f32le", str(output)]


def _command(
    args: InputList, parts: list[str], output: list[str], script: Path, duration_ms: int, ffmpeg_bin: str
) -> FFmpegCommand:
    graph_args, scripts = filter_graph_args(";".join(parts), script)
    argv = [ffmpeg_bin, *COMMON_HEAD, *PROGRESS_ARGS, *args.argv, *graph_args, "-map", "[aout]", *output]
    return FFmpegCommand(argv, duration_ms, scripts)


def _script(output: Path) -> Path:
    return output.with_suffix(".ffgraph")


def music_command(timeline: Timeline, output: Path, *, ffmpeg_bin: str) -> FFmpegCommand:
    """The music beds alone, summed, as raw PCM of the tour's exact length (needs ``timeline.music``)."""
    args = InputList()
    parts: list[str] = []
    total = samples_at(timeline.duration_ms)
    music = sound.sum_tracks(parts, sound.music_beds(timeline, args, parts), "music", total)
    parts.append(f"[{music}]anull[aout]")
    return _command(args, parts, _raw_output(output), _script(output), timeline.duration_ms, ffmpeg_bin)


def section_command(
    timeline: Timeline,
    section: SoundSection,
    ducking: Ducking,
    music: Path | None,
    output: Path,
    *,
    ffmpeg_bin: str,
) -> FFmpegCommand:
    """One section's mix as raw PCM of exactly its samples: its clips and voices placed on its window, the music
    read from ``music`` (``music_command``'s file) at the window's first sample, ducked and summed as in the whole
    graph, the pre-roll dropped."""
    args = InputList()
    window = section.window
    parts, mix, voices = sound.placed_sound(timeline, args, window, section.clips, section.voices)
    label = None
    if music is not None:
        # the raw demuxer has no header: skipping whole samples' bytes starts exactly on the window's first sample
        # (-ss would round the time to microseconds, and a sample is 20.8 of them)
        skip = str(window.start * BYTES_PER_SAMPLE)
        n = args.add(*RAW_PCM, "-skip_initial_bytes", skip, "-i", str(music))
        parts.append(f"[{n}:a]{RAW_FORMAT},atrim=end_sample={window.length}[music]")
        label = "music"
    voice = sound.sum_tracks(parts, voices, "voice", window.length)
    sound.duck_and_mix(parts, mix, voice, label, ducking, window.length)
    parts.append(f"[mix]atrim=start_sample={section.start - window.start},asetpts=PTS-STARTPTS[aout]")
    duration_ms = window.length * 1000 // SAMPLE_RATE
    return _command(args, parts, _raw_output(output), _script(output), duration_ms, ffmpeg_bin)


def joined(files: Sequence[Path]) -> str:
    """The sections' raw files read back to back as one input (the ``concat`` protocol: byte for byte)."""
    for path in files:
        if "|" in str(path):  # the render's work folder, under TMPDIR: say which setting to change
            reason = "the folder's path holds '|', which ffmpeg's concat protocol reads as a separator"
            raise MediaError(path.parent, f"{reason}; point TMPDIR at a folder without it")
    return "concat:" + "|".join(str(path) for path in files)


def measure_command(
    timeline: Timeline, sections: Sequence[Path], stats_file: Path, *, ffmpeg_bin: str
) -> FFmpegCommand:
    """Pass 1 on the sections' mix: ``ebur128`` (integrated, range, true peak) printed into ``stats_file``."""
    args = InputList()
    n = args.add(*RAW_PCM, "-i", joined(sections))
    parts = [f"[{n}:a]{RAW_FORMAT},{levels.measure_filter(stats_file)}[aout]"]
    return _command(args, parts, ["-f", "null", "-"], _script(stats_file), timeline.duration_ms, ffmpeg_bin)


def sound_command(
    timeline: Timeline,
    sections: Sequence[Path],
    output: Path,
    *,
    encoding: Encoding,
    loudness: Loudness,
    ffmpeg_bin: str,
) -> FFmpegCommand:
    """The stem (``.m4a``): the sections' mix normalised as the one-graph render is, encoded to AAC. The MP4
    muxer records the encoder's priming samples in an edit list, and ``join_command`` copies the packets and that
    edit list, so the muxed sound starts at 0 like the one-graph render's."""
    args = InputList()
    n = args.add(*RAW_PCM, "-i", joined(sections))
    parts = [f"[{n}:a]{RAW_FORMAT}[mix]", f"[mix]{levels.normalise(loudness)}[aout]"]
    output_args = [*aac_args(encoding.audio_bitrate), "-f", "mp4", str(output)]
    return _command(args, parts, output_args, _script(output), timeline.duration_ms, ffmpeg_bin)
