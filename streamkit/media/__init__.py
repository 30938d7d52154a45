"""The ffmpeg dialect: probe files, build ffmpeg commands, run them, publish outputs atomically. Imports no area."""

from streamkit.media.probe import AudioStream, MediaInfo, VideoStream, probe
from streamkit.media.publish import atomic_output
from streamkit.media.runner import run_ffmpeg

__all__ = ["AudioStream", "MediaInfo", "VideoStream", "atomic_output", "probe", "run_ffmpeg"]
