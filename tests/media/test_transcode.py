"""The transcode to a playable MP4, as data: which ladder a video gets, what counts as a video."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from streamkit.media.hls import HlsVariant
from streamkit.media.probe import AudioStream, MediaInfo, VideoStream
from streamkit.media.transcode import ladder_for, not_a_video, output_fps, web_mp4_command

LADDER = (HlsVariant(1080, 5000), HlsVariant(720, 2800), HlsVariant(360, 800))


def info(fps: Fraction = Fraction(30000, 1001), *, audio: bool = True, fmt: str = "mov,mp4") -> MediaInfo:
    video = VideoStream(0, "h264", 1920, 1080, fps, fps, Fraction(1, 90000), 0, "yuv420p", 5000)
    sound = (AudioStream(1, "aac", 44100, 2, "stereo", 5000),) if audio else ()
    return MediaInfo(Path("in.mp4"), fmt, 5000, 1000, (video,), sound)


def test_the_ladder_never_scales_up() -> None:
    assert ladder_for(1080, LADDER) == [HlsVariant(1080, 5000), HlsVariant(720, 2800), HlsVariant(360, 800)]
    assert ladder_for(720, LADDER) == [HlsVariant(720, 2800), HlsVariant(360, 800)]
    assert ladder_for(181, LADDER) == [HlsVariant(180, 800)]


def test_what_is_not_a_video() -> None:
    assert not_a_video(info()) == ""
    assert not_a_video(info(fmt="png_pipe")) == "a still picture, not a video"
    assert not_a_video(MediaInfo(Path("a.m4a"), "mov", 5000, 10, (), ())) == "no video stream"


def test_frame_rates_are_kept_but_capped() -> None:
    assert output_fps(info()) == Fraction(30000, 1001)
    assert output_fps(info(Fraction(120))) == Fraction(60)
    assert output_fps(info(Fraction(0))) == Fraction(25)


def test_the_mp4_drops_tags_and_adds_silence_when_there_is_no_sound() -> None:
    argv = web_mp4_command(Path("in.mp4"), info(audio=False), Path("out.mp4"), crf=22, preset="veryfast").argv
    assert argv[argv.index("-map_metadata") : argv.index("-map_metadata") + 2] == ["-map_metadata", "-1"]
    assert "anullsrc=r=48000:cl=stereo" in argv and "-shortest" in argv
    assert argv[argv.index("-g") + 1] == "60" and argv[-1] == "out.mp4"
    with_sound = web_mp4_command(Path("in.mp4"), info(), Path("out.mp4"), crf=22, preset="veryfast").argv
    assert "0:1" in with_sound and "anullsrc=r=48000:cl=stereo" not in with_sound
