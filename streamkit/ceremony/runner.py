"""Run a rundown on OBS: take segments, fire cues on time, confirm each by an OBS event, log everything as-run.

Timing lives here, in the controller (not in OBS batch Sleeps). The clock keeps running while the link to OBS is down;
after the client has reconnected and resynced, the runner works out where the rundown should be *now*, logs the cues
that fell into the gap as skipped (never replays them), and re-asserts the scene and the outputs that should be on.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image

from streamkit import overlays
from streamkit.ceremony import overlay_images
from streamkit.ceremony.asrun import AsRunLog, Entry, summarize, write_chapters
from streamkit.ceremony.rundown import (
    Cue,
    HideCue,
    LowerThirdCue,
    MediaCue,
    MuteCue,
    Rundown,
    Segment,
    ShowCue,
    UnmuteCue,
    VolumeCue,
    cue_kind,
)
from streamkit.errors import ObsError, StreamkitError
from streamkit.obs.client import LinkEvent, ObsClient, ObsDisconnected, ObsEvent, ObsRequest
from streamkit.obs.scenes import OWNER_KEY, overlay_of

GO_DEBOUNCE_S = 0.5  # two GO presses closer than this are one press (linux-show-player#166)
LATE_GRACE_S = 1.0  # a cue found this late after a gap is skipped, not fired
HEALTH_EVERY_S = 2.0
OVERRUN_TOLERANCE_S = 0.5  # an auto advance lands a tick or a transition late; that is not an overrun


class Action(enum.Enum):
    NEXT = "next"
    HOLD = "hold"
    BACK = "back"
    JUMP = "jump"
    PANIC = "panic"
    END = "end"


@dataclass(frozen=True)
class Command:
    action: Action
    segment: int | None = None  # for JUMP


@dataclass(frozen=True)
class StreamDestination:
    """Where the stream goes; the key is a secret and never logged."""

    name: str
    url: str
    key: str = field(default="", repr=False)


@dataclass(frozen=True)
class RunOptions:
    auto: bool = False
    rehearsal: bool = False
    manual_auto_s: float = 5.0  # how long a segment without duration lasts under --auto
    confirm_timeout_s: float = 3.0
    output_timeout_s: float = 20.0
    tick_s: float = 0.05
    start_at: float | None = None  # --auto: hold the standby scene until this epoch (the scheduled start)


@dataclass(frozen=True)
class CueResult:
    result: str  # ok | failed | unconfirmed
    latency_ms: float | None = None
    detail: str = ""


@dataclass
class RunStatus:
    """What the operator console shows; read-only for everyone but the runner."""

    index: int = -1
    segment_started: float = 0.0  # epoch
    hold: bool = False
    panic: bool = False
    link_up: bool = True
    reconnecting_since: float | None = None
    stream: str = "off"
    record: str = "off"
    ended: bool = False
    last: str = ""
    health: str = ""  # stream bitrate, congestion, dropped frames (polled while streaming)


def locate(
    rundown: Rundown, index: int, started: float, now: float, *, auto: bool, manual_auto_s: float
) -> tuple[int, float]:
    """Where the rundown should be at ``now`` if nobody touched it since segment ``index`` started at ``started``.

    Auto-advancing segments are walked forward by their durations; a hold or manual segment stops the walk (it waits
    for the operator), except under --auto, where every segment has a length.
    """
    while index < len(rundown.segments) - 1:
        length = segment_length(rundown.segments[index], auto=auto, manual_auto_s=manual_auto_s)
        if length is None or now < started + length:
            break
        started += length
        index += 1
    return index, started


def segment_length(segment: Segment, *, auto: bool, manual_auto_s: float) -> float | None:
    """Seconds after which the segment advances by itself, or None when only the operator advances it."""
    if segment.auto_advances or (auto and segment.duration is not None):
        return (segment.duration or 0) / 1000
    if auto:
        return manual_auto_s
    return None


def desired_outputs(rundown: Rundown, index: int) -> dict[str, bool]:
    """Which outputs should be on while segment ``index`` is on air, from every on_start/on_end before it."""
    wanted: dict[str, bool] = {"stream": False, "record": False}
    for i, segment in enumerate(rundown.segments[: index + 1]):
        changes = [segment.on_start] if i == index else [segment.on_start, segment.on_end]
        for outputs in changes:
            if outputs.stream:
                wanted["stream"] = outputs.stream == "start"
            if outputs.record:
                wanted["record"] = outputs.record == "start"
    return wanted


@dataclass(frozen=True)
class ResumePoint:
    index: int
    started: float  # epoch when that segment went on air
    fired: frozenset[int]


def resume_point(entries: list[Entry]) -> ResumePoint:
    """The last segment on air in an as-run log and the cues already fired in it."""
    index, started = 0, float(entries[0]["epoch"])
    fired: set[int] = set()
    for e in entries:
        if e.get("event") in ("segment_start", "jump"):
            index, started, fired = int(e["index"]), float(e["epoch"]), set()
        elif e.get("event") in ("cue", "skipped") and int(e.get("segment", -1)) == index:
            fired.add(int(e["cue"]))
    return ResumePoint(index, started, frozenset(fired))


class CeremonyRunner:
    def __init__(
        self,
        client: ObsClient,
        rundown: Rundown,
        log: AsRunLog,
        *,
        options: RunOptions,
        overlay_dir: Path,
        media_root: Path,
        destination: StreamDestination | None = None,
        commands: asyncio.Queue[Command] | None = None,
        clock: Callable[[], float] = time.time,
        register_database_url: str | None = None,
    ) -> None:
        self.client = client
        self.register_database_url = register_database_url  # for a name roll read from the register
        self.rundown = rundown
        self.log = log
        self.options = options
        self.overlay_dir = overlay_dir
        self.media_root = media_root
        self.destination = destination
        self.commands: asyncio.Queue[Command] = commands or asyncio.Queue()
        self.clock = clock
        self.status = RunStatus()
        self.entries: list[Entry] = []
        self._fired: set[int] = set()
        self._last_take = 0.0
        self._overlay_seq = 0
        self._countdown_shown: int | None = None
        self._recovered = asyncio.Event()
        self._lost_at: float | None = None
        self._needs_recovery = False
        self._health_at = 0.0
        self.canvas: tuple[int, int] = (640, 360)  # read from OBS when the run starts
        self._health_bytes: tuple[float, int] | None = None
        client.on_event(self._on_obs_event)
        client.on_link(self._on_link)

    # ---- logging ---------------------------------------------------------------------------------------------------

    def _log(self, event: str, **fields: Any) -> Entry:
        entry = self.log.write(event, **fields)
        self.entries.append(entry)
        self.status.last = f"{event} {fields.get('name', fields.get('kind', ''))} {fields.get('result', '')}".strip()
        return entry

    def _on_obs_event(self, event: ObsEvent) -> None:
        if event.type in ("StreamStateChanged", "RecordStateChanged"):
            output = "stream" if event.type == "StreamStateChanged" else "record"
            state = str(event.data.get("outputState", "")).removeprefix("OBS_WEBSOCKET_OUTPUT_").lower()
            setattr(self.status, output, state)
            fields: dict[str, Any] = {"output": output, "state": state}
            if event.data.get("outputPath"):
                fields["path"] = event.data["outputPath"]
            self._log("output", **fields)

    def _on_link(self, event: LinkEvent) -> None:
        if event.kind == "lost":
            self._lost_at = self.clock()
            self._needs_recovery = True
            self.status.link_up = False
            self.status.reconnecting_since = self._lost_at
            self._log("link", kind="lost", close_code=event.close_code, detail=event.detail)
        elif event.kind == "resynced":
            gap = round(self.clock() - (self._lost_at or self.clock()), 3)
            self.status.link_up = True
            self.status.reconnecting_since = None
            self._log("link", kind="resynced", gap_s=gap, detail=event.detail)
            self._recovered.set()
        elif event.kind == "gave_up":
            self._log("link", kind="gave_up", close_code=event.close_code, detail=event.detail)
            self._recovered.set()

    # ---- the run ---------------------------------------------------------------------------------------------------

    async def run(self, *, rundown_path: str = "", resume: ResumePoint | None = None) -> dict[str, Any]:
        """Run to the end (or END); return the summary (also logged, with chapters written beside recordings)."""
        await self._prepare_overlays()
        if resume is None:
            self._log(
                "run_start",
                rundown=rundown_path,
                title=self.rundown.title,
                scheduled_start=self.rundown.scheduled_start.isoformat() if self.rundown.scheduled_start else None,
                auto=self.options.auto,
                rehearsal=self.options.rehearsal,
                obs_version=self.client.state.obs_version,
                target=self.destination.name if self.destination else None,
            )
            if not self.options.auto:
                await self._wait_for_first_take()
            elif self.options.start_at is not None and self.options.start_at > self.clock():
                await self._wait_for_start(self.options.start_at)
            if not self.status.ended:
                await self._enter(0, self.clock())
        else:
            self._log("resume", index=resume.index, segment_started=resume.started)
            self.status.index, self.status.segment_started = resume.index, resume.started
            self._fired = set(resume.fired)
            await self._recover("resume")
        last_error = ""
        try:
            while not self.status.ended:
                try:
                    await self._tick()
                except Exception as exc:  # a bug in one cue must not take the whole ceremony off the rails
                    if repr(exc) != last_error:
                        last_error = repr(exc)
                        self._log("internal_error", detail=last_error)
                    await asyncio.sleep(0.5)
                await asyncio.sleep(self.options.tick_s)
        finally:
            summary = await self._finish()
        return summary

    async def _wait_for_first_take(self) -> None:
        while True:
            command = await self.commands.get()
            if command.action is Action.NEXT:
                self._last_take = self.clock()  # a double press on the first take must not skip segment 1
                self._log("operator", action="take", index=0)
                return
            if command.action is Action.END:
                self._log("operator", action="end")
                self.status.ended = True
                return

    async def _wait_for_start(self, start_at: float) -> None:
        """Unattended start: the standby slate is on air until the scheduled time (END still works)."""
        await self._take_scene(self.rundown.standby_scene, "waiting for the scheduled start")
        self._log("waiting", until=start_at)
        while self.clock() < start_at and not self.status.ended:
            while not self.commands.empty():
                if self.commands.get_nowait().action is Action.END:
                    self._log("operator", action="end")
                    self.status.ended = True
            await asyncio.sleep(min(self.options.tick_s, max(0.0, start_at - self.clock())))

    async def _tick(self) -> None:
        while not self.commands.empty():
            await self._handle(self.commands.get_nowait())
            if self.status.ended:
                return
        if not self.client.connected:
            await self._wait_for_link()
            return
        if self._needs_recovery:
            self._needs_recovery = False
            await self._recover("reconnect")
            return
        if self.status.panic:
            return
        segment = self.rundown.segments[self.status.index]
        elapsed = self.clock() - self.status.segment_started
        for number, cue in enumerate(segment.cues):
            if number not in self._fired and elapsed >= cue.at / 1000:
                self._fired.add(number)
                await self._fire(number, cue, elapsed)
        if segment.countdown and segment.duration:
            await self._update_countdown(segment, elapsed)
        if self.client.state.stream_active and time.monotonic() - self._health_at >= HEALTH_EVERY_S:
            await self._poll_stream_health()
        length = segment_length(segment, auto=self.options.auto, manual_auto_s=self.options.manual_auto_s)
        if length is not None and elapsed >= length and not self.status.hold:
            await self._advance()

    async def _handle(self, command: Command) -> None:
        action = command.action
        now = self.clock()
        if action is Action.NEXT:
            if now - self._last_take < GO_DEBOUNCE_S:
                self._log("operator", action="next", result="ignored (debounce)")
                return
            self._last_take = now
            if self.status.panic:
                self._log("operator", action="resume_from_standby")
                self.status.panic = False
                await self._take_scene(self.rundown.segments[self.status.index].scene, "resume")
                self._skip_overdue("standby")
                return
            self._log("operator", action="next")
            await self._advance()
        elif action is Action.HOLD:
            self.status.hold = not self.status.hold
            self._log("operator", action="hold" if self.status.hold else "release")
        elif action is Action.BACK and self.status.index > 0:
            self._log("operator", action="back")
            await self._enter(self.status.index - 1, now)
        elif (
            action is Action.JUMP and command.segment is not None and 0 <= command.segment < len(self.rundown.segments)
        ):
            self._log("operator", action="jump", index=command.segment)
            await self._enter(command.segment, now)
        elif action is Action.PANIC:
            self._log("operator", action="panic")
            self.status.panic = True
            await self._take_scene(self.rundown.standby_scene, "standby")
        elif action is Action.END:
            self._log("operator", action="end")
            await self._end()

    async def _advance(self) -> None:
        current = self.rundown.segments[self.status.index]
        await self._close_segment(current)
        if self.status.index + 1 >= len(self.rundown.segments):
            await self._end(already_closed=True)
            return
        await self._enter(self.status.index + 1, self.clock())

    async def _close_segment(self, segment: Segment) -> None:
        elapsed = self.clock() - self.status.segment_started
        planned = (segment.duration or 0) / 1000
        overrun = round(elapsed - planned, 3) if segment.duration is not None else 0.0
        overrun = overrun if overrun > OVERRUN_TOLERANCE_S else 0.0
        self._log(
            "segment_end",
            index=self.status.index,
            name=segment.name,
            actual_s=round(elapsed, 3),
            planned_s=planned,
            overrun_s=overrun,
        )
        await self._outputs(segment.on_end.stream, segment.on_end.record)

    async def _end(self, *, already_closed: bool = False) -> None:
        if not already_closed and 0 <= self.status.index < len(self.rundown.segments):
            await self._close_segment(self.rundown.segments[self.status.index])
        # the ceremony is over: nothing keeps streaming or recording behind the operator's back
        await self._outputs(
            "stop" if self.client.state.stream_active else None, "stop" if self.client.state.record_active else None
        )
        self.status.ended = True

    async def _enter(self, index: int, started: float) -> None:
        segment = self.rundown.segments[index]
        self.status.index, self.status.segment_started = index, started
        self.status.hold = False
        self._fired = set()
        self._countdown_shown = None
        result = await self._take_scene(segment.scene, None)
        self._log(
            "segment_start",
            index=index,
            name=segment.name,
            scene=segment.scene,
            planned_s=(segment.duration or 0) / 1000 if segment.duration else None,
            result=result.result,
            latency_ms=result.latency_ms,
            detail=result.detail,
        )
        await self._outputs(segment.on_start.stream, segment.on_start.record)
        await self._chapter(segment)

    async def _take_scene(self, scene: str, reason: str | None) -> CueResult:
        result = await self._confirmed(
            ObsRequest("SetCurrentProgramScene", {"sceneName": scene}),
            lambda e: e.type == "CurrentProgramSceneChanged" and e.data.get("sceneName") == scene,
            already=self.client.state.program_scene == scene,
        )
        if reason is not None:
            self._log(
                "reassert",
                kind="scene",
                name=scene,
                reason=reason,
                result=result.result,
                latency_ms=result.latency_ms,
                detail=result.detail,
            )
        return result

    # ---- outputs ---------------------------------------------------------------------------------------------------

    async def _outputs(self, stream: str | None, record: str | None) -> None:
        if record:
            await self._output("record", record == "start")
        if stream:
            if self.options.rehearsal and stream == "start":
                self._log("output", output="stream", state="skipped (rehearsal)")
            else:
                await self._output("stream", stream == "start")

    async def _output(self, output: str, start: bool) -> None:
        try:
            if output == "stream" and start:
                await self._set_destination()
            event = await self.client.output(output, start, confirm_timeout_s=self.options.output_timeout_s)
            result = "ok" if event is not None else "ok (already)"
            detail = ""
        except ObsError as exc:
            result, detail = "failed", str(exc)
            setattr(self.status, output, "failed")
        self._log("output_command", output=output, action="start" if start else "stop", result=result, detail=detail)

    async def _poll_stream_health(self) -> None:
        self._health_at = time.monotonic()
        try:
            stats = await self.client.call("GetStreamStatus")
        except ObsError:
            return
        sent = int(stats.get("outputBytes", 0))
        kbps = 0.0
        if self._health_bytes is not None and self._health_at > self._health_bytes[0]:
            kbps = (sent - self._health_bytes[1]) * 8 / 1000 / (self._health_at - self._health_bytes[0])
        self._health_bytes = (self._health_at, sent)
        self.status.health = (
            f"{kbps:.0f} kbit/s, congestion {float(stats.get('outputCongestion', 0)):.0%}, "
            f"dropped {stats.get('outputSkippedFrames', 0)}/{stats.get('outputTotalFrames', 0)}"
            + (", RECONNECTING" if stats.get("outputReconnecting") else "")
        )

    async def _chapter(self, segment: Segment) -> None:
        """A chapter marker in the recording where OBS can (obs-websocket >= 5.5 with Hybrid MP4)."""
        if not (self.client.state.supports("CreateRecordChapter") and self.client.state.record_active):
            return
        try:
            await self.client.call("CreateRecordChapter", {"chapterName": segment.name})
            self._log("chapter", name=segment.name, result="ok")
        except ObsError as exc:
            self._log("chapter", name=segment.name, result="failed", detail=str(exc))

    async def _set_destination(self) -> None:
        if self.destination is None:
            raise ObsError("no stream target configured")
        await self.client.call(
            "SetStreamServiceSettings",
            {
                "streamServiceType": "rtmp_custom",
                "streamServiceSettings": {"server": self.destination.url, "key": self.destination.key},
            },
        )

    # ---- cues ------------------------------------------------------------------------------------------------------

    async def _confirmed(
        self, request: ObsRequest, predicate: Callable[[ObsEvent], bool], *, already: bool = False
    ) -> CueResult:
        """Send ``request`` and wait for the event that proves it happened; ``already`` means no event will come."""
        started = time.monotonic()
        if already:
            try:
                await self.client.call(request.type, request.data)
            except ObsError as exc:
                return CueResult("failed", None, str(exc))
            return CueResult("ok", round((time.monotonic() - started) * 1000, 1), "already in that state")
        confirmation = self.client.expect(predicate)
        try:
            await self.client.call(request.type, request.data)
            event = await asyncio.wait_for(asyncio.shield(confirmation), self.options.confirm_timeout_s)
        except TimeoutError:
            return CueResult("unconfirmed", None, f"no confirming event within {self.options.confirm_timeout_s:g} s")
        except ObsError as exc:
            return CueResult("failed", None, str(exc))
        finally:
            confirmation.cancel()
        return CueResult("ok", round((event.received - started) * 1000, 1))

    async def _fire(self, number: int, cue: Cue, elapsed: float) -> None:
        scene = self.rundown.segments[self.status.index].scene
        try:
            result = await self._cue(scene, cue)
        except StreamkitError as exc:  # the source is missing from the scene, a name does not fit the graphic...
            result = CueResult("failed", None, str(exc))
        self._log(
            "cue",
            segment=self.status.index,
            cue=number,
            kind=cue_kind(cue),
            planned_s=cue.at / 1000,
            actual_s=round(elapsed, 3),
            result=result.result,
            latency_ms=result.latency_ms,
            detail=result.detail,
        )

    async def _cue(self, scene: str, cue: Cue) -> CueResult:
        if isinstance(cue, ShowCue | HideCue):
            return await self._visibility(
                scene, cue.show if isinstance(cue, ShowCue) else cue.hide, isinstance(cue, ShowCue)
            )
        if isinstance(cue, LowerThirdCue):
            third = cue.lower_third
            picture = overlays.render_lower_third(third.name, third.detail or None, size=self.canvas)
            await self._show_picture(third.source, picture, "lower-third")
            return await self._visibility(scene, third.source, True)
        if isinstance(cue, MediaCue):
            action = cue.media
            if action == "play":
                status = await self.client.call("GetMediaInputStatus", {"inputName": cue.source})
                if status.get("mediaState") in ("OBS_MEDIA_STATE_STOPPED", "OBS_MEDIA_STATE_ENDED"):
                    action = "restart"  # PLAY after STOP does nothing (obs-websocket#1046)
            obs_action = f"OBS_WEBSOCKET_MEDIA_INPUT_ACTION_{action.upper()}"
            return await self._confirmed(
                ObsRequest("TriggerMediaInputAction", {"inputName": cue.source, "mediaAction": obs_action}),
                lambda e: e.type == "MediaInputActionTriggered" and e.data.get("inputName") == cue.source,
            )
        if isinstance(cue, MuteCue | UnmuteCue):
            name = cue.mute if isinstance(cue, MuteCue) else cue.unmute
            muted = isinstance(cue, MuteCue)
            now = await self.client.call("GetInputMute", {"inputName": name})
            return await self._confirmed(
                ObsRequest("SetInputMute", {"inputName": name, "inputMuted": muted}),
                lambda e: e.type == "InputMuteStateChanged" and e.data.get("inputName") == name,
                already=bool(now.get("inputMuted")) == muted,
            )
        assert isinstance(cue, VolumeCue)
        volume = cue.volume
        now = await self.client.call("GetInputVolume", {"inputName": volume.source})
        return await self._confirmed(
            ObsRequest("SetInputVolume", {"inputName": volume.source, "inputVolumeDb": volume.db}),
            lambda e: e.type == "InputVolumeChanged" and e.data.get("inputName") == volume.source,
            already=abs(float(now.get("inputVolumeDb", -999)) - volume.db) < 0.01,
        )

    async def _visibility(self, scene: str, source: str, visible: bool) -> CueResult:
        item = await self.client.scene_item_id(scene, source)
        now = await self.client.call("GetSceneItemEnabled", {"sceneName": scene, "sceneItemId": item})
        return await self._confirmed(
            ObsRequest("SetSceneItemEnabled", {"sceneName": scene, "sceneItemId": item, "sceneItemEnabled": visible}),
            lambda e: (
                e.type == "SceneItemEnableStateChanged"
                and e.data.get("sceneItemId") == item
                and e.data.get("sceneName") == scene
            ),
            already=bool(now.get("sceneItemEnabled")) == visible,
        )

    async def _show_picture(self, source: str, picture: Any, stem: str) -> None:
        # a new file name per update: OBS reloads at once instead of waiting to notice a changed file
        self._overlay_seq += 1
        path = overlay_images.write_png(picture, self.overlay_dir / f"{stem}-{self._overlay_seq % 4}.png")
        await self.client.call("SetInputSettings", {"inputName": source, "inputSettings": {"file": str(path)}})

    async def _update_countdown(self, segment: Segment, elapsed: float) -> None:
        remaining = max(0, int((segment.duration or 0) / 1000 - elapsed + 0.999))
        if remaining == self._countdown_shown or segment.countdown is None:
            return
        self._countdown_shown = remaining
        # a missed countdown frame is not worth stopping for; the next second tries again
        with contextlib.suppress(StreamkitError):
            picture = overlays.render_countdown(remaining, title=segment.name, size=self.canvas)
            await self._show_picture(segment.countdown, picture, "countdown")

    async def _prepare_overlays(self) -> None:
        """Render the still overlays (standby slate, name roll, empty lower-third/countdown) and show them in OBS."""
        with contextlib.suppress(ObsError):
            video = await self.client.call("GetVideoSettings")
            self.canvas = (int(video["baseWidth"]), int(video["baseHeight"]))
        stills: dict[str, Image.Image] = {"standby": overlays.render_standby_slate(size=self.canvas)}
        if self.rundown.name_roll is not None:
            names = overlay_images.register_names(self.rundown.name_roll, self.media_root, self.register_database_url)
            stills["name-roll"] = overlay_images.render_name_roll(names, size=self.canvas)
        overlays.render_lower_third("预备", None, size=self.canvas)  # loads the typeface now, not during the first cue
        empty = Image.new("RGBA", self.canvas, (0, 0, 0, 0))
        stills |= {"lower-third": empty, "countdown": empty}
        written = {
            stem: overlay_images.write_png(image, self.overlay_dir / f"{stem}.png") for stem, image in stills.items()
        }
        with contextlib.suppress(ObsError):
            await self._repoint_overlay_sources(written)

    async def _repoint_overlay_sources(self, written: dict[str, Path]) -> None:
        """Point every image source that shows one of our overlays at its new file.

        OBS does not notice a picture that appeared after the source was created while the source is not on air, so a
        fresh file name per run (set through SetInputSettings) is the reliable way to get it loaded.
        """
        listed = await self.client.call("GetInputList", {"inputKind": "image_source"})
        names = [str(i["inputName"]) for i in listed.get("inputs", [])]
        if not names:
            return
        found = await self.client.batch([ObsRequest("GetInputSettings", {"inputName": n}) for n in names])
        folder = self.overlay_dir.resolve()
        run_token = int(time.time() * 1000) % 10**9  # never the name a source shows from an earlier run
        for name, answer in zip(names, found, strict=True):
            settings = answer.get("inputSettings", {})
            current = Path(str(settings.get("file", "")))
            # our own sources follow the overlay even if obs.overlay_dir moved since `obs apply`; others only in it
            stem = overlay_of(current, current.parent if settings.get(OWNER_KEY) else folder)
            if stem in written:
                fresh = written[stem].with_name(f"{stem}-{run_token}.png")
                if not fresh.exists():
                    fresh.write_bytes(written[stem].read_bytes())
                await self.client.call("SetInputSettings", {"inputName": name, "inputSettings": {"file": str(fresh)}})

    # ---- recovery --------------------------------------------------------------------------------------------------

    async def _wait_for_link(self) -> None:
        """Wait a little for the client to reconnect; stop the run if it has given up (wrong password, kicked)."""
        self._recovered.clear()
        if not self.client.connected:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._recovered.wait(), 0.5)
        try:
            await self.client.wait_connected(0.01)
        except ObsDisconnected:
            return
        except ObsError as exc:
            self._log("abort", detail=str(exc))
            self.status.ended = True

    async def _recover(self, reason: str) -> None:
        """Jump to where the rundown should be now, skip what fell into the gap, re-assert scene and outputs."""
        now = self.clock()
        before = self.status.index
        index, started = locate(
            self.rundown,
            before,
            self.status.segment_started,
            now,
            auto=self.options.auto,
            manual_auto_s=self.options.manual_auto_s,
        )
        for skipped_index in range(before, index + 1):
            segment = self.rundown.segments[skipped_index]
            seg_start = self.status.segment_started if skipped_index == before else None
            for number, cue in enumerate(segment.cues):
                if skipped_index == before and number in self._fired:
                    continue
                due = (seg_start if seg_start is not None else started) + cue.at / 1000
                if skipped_index < index or due < now - LATE_GRACE_S:
                    self._log(
                        "skipped",
                        segment=skipped_index,
                        cue=number,
                        kind=cue_kind(cue),
                        planned_s=cue.at / 1000,
                        reason=reason,
                    )
                    if skipped_index == index:
                        self._fired.add(number)
        if index != before:
            self.status.index, self.status.segment_started = index, started
            self._fired = {
                n
                for n, cue in enumerate(self.rundown.segments[index].cues)
                if started + cue.at / 1000 < now - LATE_GRACE_S
            }
            segment = self.rundown.segments[index]
            self._log(
                "jump",
                index=index,
                name=segment.name,
                scene=segment.scene,
                from_index=before,
                reason=reason,
                segment_started=started,
            )
        self._countdown_shown = None
        if not self.status.panic:
            await self._take_scene(self.rundown.segments[index].scene, reason)
        wanted = desired_outputs(self.rundown, index)
        state = self.client.state
        if wanted["record"] and not state.record_active:
            self._log("reassert", kind="record", reason=reason)
            await self._output("record", True)
        if wanted["stream"] and not state.stream_active and not self.options.rehearsal:
            self._log("reassert", kind="stream", reason=reason)
            await self._output("stream", True)

    def _skip_overdue(self, reason: str) -> None:
        """Cues of the current segment that came due while nothing could fire them are logged skipped, not fired."""
        elapsed = self.clock() - self.status.segment_started
        for number, cue in enumerate(self.rundown.segments[self.status.index].cues):
            if number not in self._fired and cue.at / 1000 < elapsed - LATE_GRACE_S:
                self._fired.add(number)
                self._log(
                    "skipped",
                    segment=self.status.index,
                    cue=number,
                    kind=cue_kind(cue),
                    planned_s=cue.at / 1000,
                    reason=reason,
                )

    async def _finish(self) -> dict[str, Any]:
        # give OBS a moment to report the final output states (the recording's path comes with STOPPED)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and self.status.record in ("stopping",):
            await asyncio.sleep(0.05)
        chapters = write_chapters(self.entries_for_chapters(), self.log.path.parent)
        summary = summarize(self.entries_for_chapters())
        summary["chapters"] = [str(p) for p in chapters]
        self._log("summary", **summary)
        return summary

    def entries_for_chapters(self) -> list[Entry]:
        """This process's entries plus, after --resume, the earlier ones from the same log file."""
        from streamkit.ceremony.asrun import read_log

        return read_log(self.log.path)
