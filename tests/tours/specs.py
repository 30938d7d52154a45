"""A small tour spec and its probed media, shared by the pure planning tests."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from streamkit.media.probe import AudioStream, MediaInfo, VideoStream
from streamkit.tours.spec import Tour


def clip_info(path: Path, seconds: float, audio: bool = True) -> MediaInfo:
    video = VideoStream(0, "h264", 320, 180, Fraction(25), Fraction(25), Fraction(1, 12800), 0, "yuv420p", None)
    sound = (AudioStream(1, "aac", 48000, 2, "stereo", None),) if audio else ()
    return MediaInfo(path, "mp4", round(seconds * 1000), 1000, (video,), sound)


def make_tour(**extra: object) -> Tour:
    data: dict[str, object] = {
        "version": 1,
        "media_root": "/media",
        "output": {"size": "320x180", "fps": "25"},
        "defaults": {"transition": {"name": "fade", "duration": 0.5}},
        "title": {"lines": ["标题"], "duration": 2},
        "stops": [
            {"title": "大门", "clip": {"path": "gate.mp4", "start": 1, "end": 4}, "captions": "第一句。第二句话！"},
            {
                "title": "墓区",
                "photos": {"paths": ["a.jpg", "b.jpg"], "seconds": 3},
                "transition": {"name": "cut"},
                "narration": {"path": "n.m4a", "offset": 0.5},
                "lower_third": {"name": "王", "start": 1, "duration": 2},
            },
            {"title": "小径", "clip": {"path": "path.mp4"}},
        ],
        "outro": {"lines": ["谢谢"], "duration": 2},
        "music": [{"path": "bed.m4a"}],
    }
    data.update(extra)
    return Tour.model_validate(data)


MEDIA = {
    Path("/media/gate.mp4"): clip_info(Path("/media/gate.mp4"), 10),
    Path("/media/path.mp4"): clip_info(Path("/media/path.mp4"), 2.2, audio=False),
}
