"""The sound of a tour as an ffmpeg filter graph. Pure; nothing runs here.

Clip sound, narration and music are resampled to 48 kHz stereo and placed with ``adelay`` in samples; music is
ducked with ``sidechaincompress`` keyed on the narration, everything is summed with ``amix=normalize=0`` over a
silent bed of the exact length. The whole-tour graph builds it over every sample; a chunked render builds it in
sections (``sections``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from streamkit.media.codecs import SAMPLE_RATE
from streamkit.media.commands import InputList, seconds
from streamkit.tours.ffmpeg.video import clip_input
from streamkit.tours.spec import Ducking
from streamkit.tours.timeline import Timeline

AUDIO_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:sample_rates={SAMPLE_RATE}:channel_layouts=stereo"


def samples_at(ms: int) -> int:
    """The sample of the 48 kHz timeline at ``ms`` milliseconds."""
    return ms * SAMPLE_RATE // 1000


@dataclass(frozen=True)
class SoundWindow:
    """The samples ``[start, end)`` of the tour's timeline that a sound graph builds: the whole tour, or one
    section of a chunked render's sound with its pre-roll (``sections``)."""

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
        steps.append(f"afade=t=in:d={seconds(fade_in)}")
    if fade_out:
        steps.append(f"afade=t=out:st={seconds(dur - fade_out)}:d={seconds(fade_out)}")
    return ",".join(steps) + f",{window.place(at)}[c{i}]"


def placed_sound(
    timeline: Timeline, args: InputList, window: SoundWindow, clips: Sequence[int], voices: Sequence[int]
) -> tuple[list[str], list[str], list[str]]:
    """The clips' sound and the narration voices named by index, placed on ``window`` over a silent bed of its
    exact length: (graph parts, labels to mix, voice labels to sum and key the ducking on).

    Clip sound comes from a second input of the same file: ``amix`` needs every track from time 0, and reading
    a later clip's audio from the video input would decode its pictures early and queue them in memory.
    """
    parts = [f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=end_sample={window.length}[silence]"]
    mix = ["silence"]
    for i in clips:
        parts.append(_clip_sound(timeline, i, clip_input(args, timeline.shots[i], timeline), window))
        mix.append(f"c{i}")
    labels = []
    for j in voices:
        placed = timeline.voices[j]
        n = args.add("-i", str(placed.source))
        where = window.place(samples_at(placed.start_ms))
        parts.append(f"[{n}:a]{AUDIO_FORMAT},volume={placed.volume:g},{where}[n{j}]")
        labels.append(f"n{j}")
    return parts, mix, labels


def music_beds(timeline: Timeline, args: InputList, parts: list[str]) -> list[str]:
    """The music beds, each looped, delayed, padded to the tour's exact length and faded at its end -> labels.

    Always built over the whole tour: a looped bed's position at any moment is only known by decoding it from
    its start, so a chunked render renders them once, alone (``sections.music_command``).
    """
    total = samples_at(timeline.duration_ms)
    beds = []
    for j, bed in enumerate(timeline.music):
        n = args.add(*(["-stream_loop", "-1"] if bed.loop else []), "-i", str(bed.source))
        steps = [f"[{n}:a]{AUDIO_FORMAT}", f"volume={bed.volume:g}", f"adelay=delays={samples_at(bed.start_ms)}S:all=1"]
        steps += ["apad", f"atrim=end_sample={total}"]
        if bed.fade_out_ms:
            fade = min(bed.fade_out_ms, timeline.duration_ms)
            steps.append(f"afade=t=out:st={seconds(timeline.duration_ms - fade)}:d={seconds(fade)}")
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


def audio_graph(timeline: Timeline, ducking: Ducking, args: InputList) -> list[str]:
    """The sound: clip audio, narration, ducked music, summed -> ``[mix]`` of exactly the tour's length."""
    total = samples_at(timeline.duration_ms)
    window = SoundWindow(0, total)
    parts, mix, voices = placed_sound(timeline, args, window, sounding_clips(timeline), range(len(timeline.voices)))
    beds = music_beds(timeline, args, parts)
    voice = sum_tracks(parts, voices, "voice", total)
    music = sum_tracks(parts, beds, "music", total)
    duck_and_mix(parts, mix, voice, music, ducking, total)
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
