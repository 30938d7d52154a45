"""Run a rundown on OBS: take segments, fire cues on time, confirm each by an OBS event, log everything as-run.

Timing lives here, in the controller (not in OBS batch Sleeps). The clock keeps running while the link to OBS is down;
after the client has reconnected and resynced, the runner works out where the rundown should be *now*
(``schedule.recovery``), logs the cues that fell into the gap as skipped (never replays them), and re-asserts the
scene and the outputs that should be on. ``tick()`` is one step of the loop, so tests drive the runner on a manual
clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from streamkit.ceremony import cues, schedule
from streamkit.ceremony.asrun import AsRunLog, Entry, read_log, summarize, write_chapters
from streamkit.ceremony.cues import CueResult
from streamkit.ceremony.live import CeremonyLive
from streamkit.ceremony.outputs import OutputControl, StreamDestination
from streamkit.ceremony.overlay_feed import OverlayFeed
from streamkit.ceremony.rundown import Cue, Rundown, Segment, cue_kind
from streamkit.ceremony.schedule import ResumePoint
from streamkit.ceremony.status import Action, Command, RunOptions, RunStatus
from streamkit.errors import ObsError
from streamkit.obs.client import LinkEvent, ObsClient, ObsDisconnected, ObsEvent

GO_DEBOUNCE_S = 0.5  # two GO presses closer than this are one press (linux-show-player#166)
OVERRUN_TOLERANCE_S = 0.5  # an auto advance lands a tick or a transition late; that is not an overrun


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
        register_database_url: str | None = None,
        live: CeremonyLive | None = None,
        commands: asyncio.Queue[Command] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.rundown = rundown
        self.log = log
        self.options = options
        self.media_root = media_root
        self.register_database_url = register_database_url  # for a name roll read from the register
        self.live = live  # the relay and the legs to every platform, when live destinations are set
        self.commands: asyncio.Queue[Command] = commands or asyncio.Queue()
        self.clock = clock
        self.status = RunStatus()
        self.entries: list[Entry] = []
        self.feed = OverlayFeed(client, overlay_dir)
        self.outputs = OutputControl(
            client,
            self._log,
            self.status,
            destination=destination,
            rehearsal=options.rehearsal,
            timeout_s=options.output_timeout_s,
            clock=clock,
        )
        self._fired: set[int] = set()
        self._last_take = float("-inf")
        self._recovered = asyncio.Event()
        self._lost_at: float | None = None
        self._needs_recovery = False
        client.on_event(self._on_obs_event)
        client.on_link(self._on_link)

    # ---- logging and OBS's own news ---------------------------------------------------------------------------------

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
            if output == "stream":
                self.outputs.on_stream_state(state)

    def _on_link(self, event: LinkEvent) -> None:
        if event.kind == "lost":
            self._lost_at = self.clock()
            self._needs_recovery = True
            self.status.link_up = False
            self.status.reconnecting_since = self._lost_at
            self._log("link", kind="lost", close_code=event.close_code, detail=event.detail)
            self.outputs.link_lost()
        elif event.kind == "resynced":
            gap = round(self.clock() - (self._lost_at or self.clock()), 3)
            self.status.link_up = True
            self.status.reconnecting_since = None
            self._log("link", kind="resynced", gap_s=gap, detail=event.detail)
            self.outputs.link_back()
            self._recovered.set()
        elif event.kind == "gave_up":
            self._log("link", kind="gave_up", close_code=event.close_code, detail=event.detail)
            self._recovered.set()

    # ---- the run ---------------------------------------------------------------------------------------------------

    async def run(self, *, rundown_path: str = "", resume: ResumePoint | None = None) -> dict[str, Any]:
        """Run to the end (or END); return the summary (also logged, with chapters written beside recordings)."""
        await self.start(rundown_path=rundown_path, resume=resume)
        last_error = ""
        try:
            while not self.status.ended:
                try:
                    await self.tick()
                except Exception as exc:  # a bug in one cue must not take the whole ceremony off the rails
                    if repr(exc) != last_error:
                        last_error = repr(exc)
                        self._log("internal_error", detail=last_error)
                    await asyncio.sleep(0.5)
                await asyncio.sleep(self.options.tick_s)
        finally:
            summary = await self.finish()
        return summary

    async def start(self, *, rundown_path: str = "", resume: ResumePoint | None = None) -> None:
        """Show the stills, then log the start (and go on air under --auto) or pick up a resumed run."""
        await self.feed.prepare(self.rundown, self.media_root, self.register_database_url)
        if resume is not None:
            self._log("resume", index=resume.index, segment_started=resume.started, closed=resume.closed)
            self.status.index, self.status.segment_started = resume.index, resume.started
            self._fired = set(resume.fired)
            if resume.closed_at is not None:
                await self._resume_after_close(resume.closed_at)
            else:
                await self._recover("resume")
            return
        self._log(
            "run_start",
            rundown=rundown_path,
            title=self.rundown.title,
            scheduled_start=self.rundown.scheduled_start.isoformat() if self.rundown.scheduled_start else None,
            auto=self.options.auto,
            rehearsal=self.options.rehearsal,
            obs_version=self.client.state.obs_version,
            target=self.outputs.destination.name if self.outputs.destination else None,
            legs=self.live.names() if self.live is not None else [],
        )
        start_at = self.options.start_at
        if self.options.auto and start_at is not None and start_at > self.clock():
            # unattended start: the standby slate is on air until the scheduled time (END still works)
            await self._take_scene(self.rundown.standby_scene, "waiting for the scheduled start")
            self._log("waiting", until=start_at)
        elif self.options.auto:
            await self._enter(0, self.clock())

    async def tick(self) -> None:
        """One step: operator commands, the legs' news, the link, due cues, the countdown, health, the advance."""
        if self.live is not None:
            self.live.poll(self._log)
        while not self.commands.empty():
            await self._handle(self.commands.get_nowait())
            if self.status.ended:
                return
        if not self.client.connected:
            await self._wait_for_link()
            return
        if self._needs_recovery:
            self._needs_recovery = False
            if self.status.index >= 0:  # before the first segment there is nothing on air to recover
                await self._recover("reconnect")
            return
        if self.status.index < 0:  # not on air yet: waiting for the first take or the scheduled start
            if self.options.auto and self.clock() >= (self.options.start_at or 0):
                await self._enter(0, self.clock())
            return
        await self.outputs.keep_streaming(schedule.desired_outputs(self.rundown, self.status.index)["stream"])
        if self.status.panic:
            return
        segment = self.rundown.segments[self.status.index]
        elapsed = self._elapsed()
        for number in schedule.due(segment, self._fired, elapsed):
            self._fired.add(number)
            await self._fire(number, segment.cues[number], elapsed)
        if segment.countdown and segment.duration:
            await self.feed.update_countdown(segment, elapsed)
        await self.outputs.poll_health()
        length = schedule.segment_length(segment, auto=self.options.auto, manual_auto_s=self.options.manual_auto_s)
        if length is not None and elapsed >= length and not self.status.hold:
            await self._advance()

    async def _handle(self, command: Command) -> None:
        action = command.action
        now = self.clock()
        if action in (Action.LEG_RETRY, Action.LEG_DISABLE):
            self._operate_leg(command)
        elif self.status.index < 0:
            await self._handle_before_air(action, now)
        elif action is Action.NEXT:
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

    def _operate_leg(self, command: Command) -> None:
        if self.live is None or command.leg not in self.live.names():
            self._log("operator", action=command.action.value, leg=command.leg, result="ignored (no such leg)")
            return
        if command.action is Action.LEG_RETRY:
            self.live.retry(command.leg)
        else:
            self.live.disable(command.leg)
        self._log("operator", action=command.action.value, leg=command.leg)

    async def _handle_before_air(self, action: Action, now: float) -> None:
        """Before the first segment only the first take (or END) counts."""
        if action is Action.NEXT and not self.options.auto:
            self._last_take = now  # a double press on the first take must not skip segment 1
            self._log("operator", action="take", index=0)
            await self._enter(0, now)
        elif action is Action.END:
            self._log("operator", action="end")
            self.status.ended = True

    async def _advance(self) -> None:
        await self._close_segment(self.rundown.segments[self.status.index])
        if self.status.index + 1 >= len(self.rundown.segments):
            await self._end(already_closed=True)
            return
        await self._enter(self.status.index + 1, self.clock())

    async def _close_segment(self, segment: Segment) -> None:
        elapsed = self._elapsed()
        planned = (segment.duration or 0) / 1000
        overrun = round(elapsed - planned, 3) if segment.duration is not None else 0.0
        self._log(
            "segment_end",
            index=self.status.index,
            name=segment.name,
            actual_s=round(elapsed, 3),
            planned_s=planned,
            overrun_s=overrun if overrun > OVERRUN_TOLERANCE_S else 0.0,
        )
        await self.outputs.apply(segment.on_end)

    async def _end(self, *, already_closed: bool = False) -> None:
        if not already_closed and 0 <= self.status.index < len(self.rundown.segments):
            await self._close_segment(self.rundown.segments[self.status.index])
        await self.outputs.stop_all()
        self.status.ended = True

    async def _enter(self, index: int, started: float) -> None:
        segment = self.rundown.segments[index]
        self.status.index, self.status.segment_started = index, started
        self.status.hold = False
        self._fired = set()
        self.feed.reset_countdown()
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
        await self.outputs.apply(segment.on_start)
        await self.outputs.chapter(segment.name)

    async def _take_scene(self, scene: str, reason: str | None) -> CueResult:
        result = await cues.confirm(self.client, cues.take_scene(self.client, scene), self.options.confirm_timeout_s)
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

    async def _fire(self, number: int, cue: Cue, elapsed: float) -> None:
        scene = self.rundown.segments[self.status.index].scene
        result = await cues.fire(self.client, self.feed, scene, cue, self.options.confirm_timeout_s)
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

    def _elapsed(self) -> float:
        """Seconds the segment has been on air, to the millisecond the rundown is written in."""
        return round(self.clock() - self.status.segment_started, 3)

    def _log_skipped(self, segment: int, number: int, reason: str) -> None:
        cue = self.rundown.segments[segment].cues[number]
        self._log("skipped", segment=segment, cue=number, kind=cue_kind(cue), planned_s=cue.at / 1000, reason=reason)

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
        before = self.status.index
        found = schedule.recovery(
            self.rundown,
            before,
            self.status.segment_started,
            self._fired,
            self.clock(),
            auto=self.options.auto,
            manual_auto_s=self.options.manual_auto_s,
        )
        for skipped_segment, number in found.skipped:
            self._log_skipped(skipped_segment, number, reason)
        if found.jumped_from(before):
            self.status.index, self.status.segment_started = found.index, found.started
            segment = self.rundown.segments[found.index]
            self._log(
                "jump",
                index=found.index,
                name=segment.name,
                scene=segment.scene,
                from_index=before,
                reason=reason,
                segment_started=found.started,
            )
        self._fired = set(found.fired)
        self.feed.reset_countdown()
        if not self.status.panic:
            await self._take_scene(self.rundown.segments[found.index].scene, reason)
        await self.outputs.reassert(schedule.desired_outputs(self.rundown, found.index), reason)

    async def _resume_after_close(self, closed_at: float) -> None:
        """Killed after a segment_end: its on_end is carried out again (OBS says if it was done already), then the
        next segment starts where that one ended, or the ceremony is over and nothing is left streaming or recording."""
        await self.outputs.apply(self.rundown.segments[self.status.index].on_end)
        if self.status.index + 1 >= len(self.rundown.segments):
            await self._end(already_closed=True)
            return
        await self._enter(self.status.index + 1, closed_at)
        await self._recover("resume")

    def _skip_overdue(self, reason: str) -> None:
        """Cues of the current segment that came due while nothing could fire them are logged skipped, not fired."""
        elapsed = self._elapsed()
        for number in schedule.overdue(self.rundown.segments[self.status.index], self._fired, elapsed):
            self._fired.add(number)
            self._log_skipped(self.status.index, number, reason)

    async def finish(self) -> dict[str, Any]:
        """Write the chapters beside every recording and log the summary."""
        # give OBS a moment to report the final output states (the recording's path comes with STOPPED)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and self.status.record in ("stopping",):
            await asyncio.sleep(0.05)
        if self.live is not None:
            self.live.stop(self._log)  # the legs' last changes belong in the log before it is summed up
        entries = self.entries_for_chapters()
        summary = summarize(entries)
        summary["chapters"] = [str(p) for p in write_chapters(entries, self.log.path.parent)]
        self._log("summary", **summary)
        return summary

    def entries_for_chapters(self) -> list[Entry]:
        """This process's entries plus, after --resume, the earlier ones from the same log file."""
        return read_log(self.log.path)
