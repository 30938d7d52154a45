"""The standby switch: the program when it flows, a standby slate while it is missing, one stream on air throughout.

OBS publishes the program to the relay's ``live`` application; the legs and the site's HLS take the relay's ``air``
application, which only this switch publishes. It pulls the program and a looping slate (rendered once with the
program's picture size, rate and sound layout) as FLV, splices them tag by tag (``flv.Splicer``) and pushes the one
continuous stream to ``air``. When OBS drops, the legs' sessions with the platforms never see an end of stream: they
carry the slate until the program is back.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from streamkit.live.errors import LiveError
from streamkit.live.flv import HEADER, Source, Splicer, Tag, read_tags
from streamkit.live.relay import RelayPlan, StreamShape
from streamkit.media.commands import flv_pull_argv, flv_push_argv, live_probe_argv, slate_argv
from streamkit.media.runner import run_tool, start_piped, stop_piped

RESTART_S = 0.2  # a source that ended is started again after this
PUSH_RESTART_S = 1.0  # the push to the relay is started again at most this often
SLATE_TEXT = "直播稍候继续 · Back shortly"


def probe_shape(url: str, *, ffprobe_bin: str = "ffprobe") -> StreamShape | None:
    """The program's picture size, frame rate and sound layout, read from the stream itself (None if it fails)."""
    result = run_tool(live_probe_argv(url, ffprobe_bin=ffprobe_bin), timeout_s=30)
    try:
        streams = json.loads(result.stdout or b"{}").get("streams", [])
    except ValueError:
        return None
    video = next((s for s in streams if s.get("codec_type") == "video" and s.get("width")), None)
    audio: dict[str, Any] = next((s for s in streams if s.get("codec_type") == "audio"), {})
    if video is None:
        return None
    fps = 25.0
    for field in ("avg_frame_rate", "r_frame_rate"):
        try:
            rate = Fraction(str(video.get(field, "0/1")))
        except (ValueError, ZeroDivisionError):
            continue
        if 0 < rate <= 120:
            fps = float(rate)
            break
    return StreamShape(
        width=int(video["width"]),
        height=int(video["height"]),
        fps=round(fps, 3),
        sample_rate=int(audio.get("sample_rate") or 48000),
        channels=int(audio.get("channels") or 2),
    )


def render_slate(
    target: Path,
    shape: StreamShape,
    *,
    ffmpeg_bin: str = "ffmpeg",
    image: Path | None = None,
    fontfile: Path | None = None,
) -> Path:
    """Write the standby loop for a program of ``shape`` (a few seconds of H.264 + AAC, FLV)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    argv = slate_argv(
        partial,
        width=shape.width,
        height=shape.height,
        fps=shape.fps,
        sample_rate=shape.sample_rate,
        channels=shape.channels,
        text=SLATE_TEXT,
        fontfile=fontfile,
        image=image,
        ffmpeg_bin=ffmpeg_bin,
    )
    result = run_tool(argv, timeout_s=120)
    if result.returncode != 0 or not partial.exists() or partial.stat().st_size == 0:
        partial.unlink(missing_ok=True)
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise LiveError(f"the standby slate could not be rendered: {detail[-1] if detail else result.returncode}")
    partial.replace(target)
    return target


class StandbySwitch:
    """Runs the program pull, the slate loop and the push to ``air``; ``stop`` ends all three."""

    def __init__(
        self,
        plan: RelayPlan,
        slate: Path,
        *,
        standby_after_s: float,
        ffmpeg_bin: str = "ffmpeg",
        on_switch: Callable[[Source], None] = lambda source: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.plan = plan
        self.slate = slate
        self.ffmpeg_bin = ffmpeg_bin
        self.on_switch = on_switch
        self.clock = clock
        self.splicer = Splicer(standby_after_s)
        self._lock = threading.Lock()  # one writer at a time on the push, one splicer state
        self._stopping = threading.Event()
        self._push: subprocess.Popen[bytes] | None = None
        self._pulls: dict[Source, subprocess.Popen[bytes]] = {}
        self._program_fed = False  # the current program pull has delivered tags
        self._push_started_at = float("-inf")
        self._threads = [
            threading.Thread(target=self._pull, args=(source,), name=f"standby-{source}", daemon=True)
            for source in Source
        ]

    @property
    def on_air(self) -> Source | None:
        return self.splicer.on_air

    def pids(self) -> list[int]:
        with self._lock:
            return [p.pid for p in (self._push, *self._pulls.values()) if p is not None and p.poll() is None]

    def start(self) -> StandbySwitch:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            pulls, push, self._push = list(self._pulls.values()), self._push, None
        for process in pulls:
            stop_piped(process)
        for thread in self._threads:
            thread.join(10)
        if push is not None:
            stop_piped(push)

    def _argv(self, source: Source) -> list[str]:
        if source is Source.STANDBY:
            return flv_pull_argv(str(self.slate), ffmpeg_bin=self.ffmpeg_bin, loop_file=True)
        return flv_pull_argv(self.plan.program_url, ffmpeg_bin=self.ffmpeg_bin)

    def _pull(self, source: Source) -> None:
        """Keep one source coming: read its tags into the splicer, start it again when it ends (OBS left)."""
        while not self._stopping.is_set():
            process = start_piped(self._argv(source), label=f"standby switch ({source})")
            with self._lock:
                self._pulls[source] = process
                self.splicer.restarted(source)
                if source is Source.PROGRAM:
                    self._program_fed = False
            assert process.stdout is not None
            with contextlib.suppress(OSError, ValueError):
                for tag in read_tags(process.stdout):
                    self._take(source, tag)
            stop_piped(process)
            self._stopping.wait(RESTART_S)

    def _take(self, source: Source, tag: Tag) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            before, now = self.splicer.on_air, self.clock()
            out = self.splicer.feed(source, tag, now)
            if out:
                self._write(b"".join(t.encode() for t in out))
            switched = self.splicer.on_air is not before
            if source is Source.PROGRAM:
                self._program_fed = True
            elif self._program_fed and self.splicer.program_silent_for(now) >= self.splicer.standby_after_s:
                # A pull that outlived its publisher (nginx keeps idle players) would mangle the next session's
                # timestamps: end it, a fresh one waits for OBS to come back.
                self._program_fed = False
                self._pulls[Source.PROGRAM].terminate()
        if switched:
            self.on_switch(source)

    def _write(self, data: bytes) -> None:
        """Send to the push to ``air``; a push that died (relay restarted) is started again with fresh headers."""
        for _ in range(2):
            if self._push is None or self._push.poll() is not None:
                if self._push is not None:
                    stop_piped(self._push)
                    self._push = None
                now = self.clock()
                if now - self._push_started_at < PUSH_RESTART_S:
                    return  # the relay is away: drop this tag rather than start an ffmpeg per tag
                self._push_started_at = now
                self._push = start_piped(flv_push_argv(self.plan.on_air_url, ffmpeg_bin=self.ffmpeg_bin),
                                         label="standby switch (on air)", stdin=True)  # fmt: skip
                data = HEADER + b"".join(t.encode() for t in self.splicer.headers_on_air()) + data
            assert self._push.stdin is not None
            try:
                self._push.stdin.write(data)
                self._push.stdin.flush()
                return
            except (BrokenPipeError, OSError):
                stop_piped(self._push)
                self._push = None
