"""The run's outputs: stream and recording on and off (confirmed by OBS), the stream's destination, its health, and
chapter markers in the recording."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from streamkit.ceremony.rundown import Outputs
from streamkit.ceremony.status import LogWriter, RunStatus
from streamkit.errors import ObsError
from streamkit.obs import requests
from streamkit.obs.client import ObsClient

HEALTH_EVERY_S = 2.0
RESTART_EVERY_S = 2.0  # a stream OBS gave up on is started again this often until it is back


@dataclass(frozen=True)
class StreamDestination:
    """Where the stream goes; the key is a secret and never logged."""

    name: str
    url: str
    key: str = field(default="", repr=False)


class OutputControl:
    """Starts and stops the outputs for the runner and logs every command with its result."""

    def __init__(
        self,
        client: ObsClient,
        log: LogWriter,
        status: RunStatus,
        *,
        destination: StreamDestination | None,
        rehearsal: bool,
        timeout_s: float,
        clock: Callable[[], float],
    ) -> None:
        self.client = client
        self.log = log
        self.status = status
        self.destination = destination
        self.rehearsal = rehearsal
        self.timeout_s = timeout_s
        self.clock = clock
        self._health_at = float("-inf")
        self._health_bytes: tuple[float, int] | None = None
        self._on_air = False  # the stream reached STARTED and nobody asked it to stop
        self._stopping = False  # we asked OBS to stop the stream: its STOPPED is no loss
        self._link_lost_at: float | None = None
        self._restarted_at = float("-inf")

    async def apply(self, change: Outputs) -> None:
        """Carry out a segment's on_start or on_end (the recording first: it must not miss the stream's start)."""
        if change.record:
            await self.set("record", change.record == "start")
        if change.stream:
            if self.rehearsal and change.stream == "start":
                self.log("output", output="stream", state="skipped (rehearsal)")
            else:
                await self.set("stream", change.stream == "start")

    async def reassert(self, wanted: dict[str, bool], reason: str) -> None:
        """Start the outputs that should be on but are not (after a gap, a resume)."""
        state = self.client.state
        if wanted["record"] and not state.record_active:
            self.log("reassert", kind="record", reason=reason)
            await self.set("record", True)
        if wanted["stream"] and not state.stream_active and not self.rehearsal:
            self.log("reassert", kind="stream", reason=reason)
            await self.set("stream", True)

    async def keep_streaming(self, wanted: bool) -> None:
        """A stream that dropped and that OBS stopped (its own reconnects ran out) is started again, every few
        seconds, for as long as the rundown wants it on."""
        given_up = self.status.stream in ("stopped", "failed")  # not while OBS is still reconnecting by itself
        if not wanted or self.rehearsal or self.status.off_air_since is None or not given_up:
            return
        now = self.clock()
        if now - self._restarted_at < RESTART_EVERY_S:
            return
        self._restarted_at = now
        self.log("reassert", kind="stream", reason="stream lost")
        await self.set("stream", True)

    async def stop_all(self) -> None:
        """The ceremony is over: nothing keeps streaming or recording behind the operator's back."""
        if self.client.state.record_active:
            await self.set("record", False)
        if self.client.state.stream_active:
            await self.set("stream", False)

    async def set(self, output: str, start: bool) -> None:
        self._stopping = output == "stream" and not start
        try:
            if output == "stream" and start:
                await self._set_destination()
            event = await self.client.output(output, start, confirm_timeout_s=self.timeout_s)
            result = "ok" if event is not None else "ok (already)"
            detail = ""
        except ObsError as exc:
            result, detail = "failed", str(exc)
            setattr(self.status, output, "failed")
        finally:
            self._stopping = False
        self.log("output_command", output=output, action="start" if start else "stop", result=result, detail=detail)

    # ---- the stream on air, off air, and back -----------------------------------------------------------------------

    def on_stream_state(self, state: str) -> None:
        """OBS's news about the stream: one that drops by itself is logged off air until it is back."""
        if state not in ("started", "reconnected"):
            self.status.health, self._health_bytes = "", None  # never a bitrate beside a stream that is not sending
        if state in ("started", "reconnected"):
            self._on_air = True
            self._back()
        elif state in ("reconnecting", "stopped"):
            if self._on_air and not self._stopping:
                self._lost(state, self.clock())
            if state == "stopped":
                self._on_air = False

    def link_lost(self) -> None:
        """OBS went out of reach: whether the stream survived is known only when it is back."""
        self._link_lost_at = self.clock() if self._on_air and self.status.off_air_since is None else None

    def link_back(self) -> None:
        if self._link_lost_at is not None and not self.client.state.stream_active:
            self._lost("OBS out of reach", self._link_lost_at)
            self._on_air = False
        self._link_lost_at = None

    def _lost(self, state: str, since: float) -> None:
        if self.status.off_air_since is None:
            self.status.off_air_since = since
            self.log("stream_lost", state=state, since=round(since, 3))

    def _back(self) -> None:
        if self.status.off_air_since is not None:
            self.log("stream_back", off_air_s=round(self.clock() - self.status.off_air_since, 3))
            self.status.off_air_since = None

    async def _set_destination(self) -> None:
        if self.destination is None:
            raise ObsError("no stream target configured")
        await self.client.send(requests.set_rtmp_destination(self.destination.url, self.destination.key))

    async def poll_health(self) -> None:
        """Every few seconds while streaming: bitrate, congestion and dropped frames for the console."""
        now = self.clock()
        sending = self.client.state.stream_active and self.status.off_air_since is None
        if not sending or now - self._health_at < HEALTH_EVERY_S:
            return
        self._health_at = now
        try:
            stats = await self.client.send(requests.get_stream_status())
        except ObsError:
            return
        sent = int(stats.get("outputBytes", 0))
        kbps = 0.0
        if self._health_bytes is not None and now > self._health_bytes[0]:
            kbps = (sent - self._health_bytes[1]) * 8 / 1000 / (now - self._health_bytes[0])
        self._health_bytes = (now, sent)
        self.status.health = (
            f"{kbps:.0f} kbit/s, congestion {float(stats.get('outputCongestion', 0)):.0%}, "
            f"dropped {stats.get('outputSkippedFrames', 0)}/{stats.get('outputTotalFrames', 0)}"
            + (", RECONNECTING" if stats.get("outputReconnecting") else "")
        )

    async def chapter(self, name: str) -> None:
        """A chapter marker in the recording where OBS can (obs-websocket >= 5.5 with Hybrid MP4)."""
        if not (self.client.state.supports("CreateRecordChapter") and self.client.state.record_active):
            return
        try:
            await self.client.send(requests.create_record_chapter(name))
            self.log("chapter", name=name, result="ok")
        except ObsError as exc:
            self.log("chapter", name=name, result="failed", detail=str(exc))
