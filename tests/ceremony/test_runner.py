"""The runner against the fake OBS on a manual clock: manual take, hold and overrun, panic, debounce, reconnect jump,
resume, secrets. Each step moves the clock and runs one ``tick()``; OBS's answers and events are awaited, not timed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from streamkit.ceremony.asrun import AsRunLog, Entry, read_log
from streamkit.ceremony.rundown import Rundown
from streamkit.ceremony.runner import CeremonyRunner
from streamkit.ceremony.schedule import ResumePoint, resume_point
from streamkit.ceremony.status import Action, Command, RunOptions
from streamkit.obs.client import ObsClient, ObsConnection
from tests.fakes.clock import ManualClock
from tests.fakes.obs import FakeObs, Item


def _fake() -> FakeObs:
    fake = FakeObs()
    fake.scenes = {"Scene": [], "A": [Item(1, "X", False)], "B": [Item(2, "X", False)], "C": [], "待机": []}
    fake.inputs = {"X": ("image_source", {})}
    return fake


def _rundown(*segments: dict[str, Any], **extra: Any) -> Rundown:
    return Rundown.model_validate({"version": 1, "title": "t", "segments": list(segments), **extra})


@dataclass
class Run:
    fake: FakeObs
    runner: CeremonyRunner
    clock: ManualClock
    log_path: Path

    async def step(self, seconds: float = 0.0) -> None:
        """Move the clock, then one tick of the runner."""
        self.clock.advance(seconds)
        await self.runner.tick()

    async def press(self, *actions: Action, segment: int | None = None) -> None:
        """The operator presses keys (all within one tick)."""
        for action in actions:
            self.runner.commands.put_nowait(Command(action, segment))
        await self.runner.tick()

    async def tick_until(self, predicate: Callable[[], bool]) -> None:
        """Tick without moving the clock until OBS has done something (a reconnect, an event)."""
        async with asyncio.timeout(10):
            while not predicate():
                await self.runner.tick()
                await asyncio.sleep(0.01)

    async def until(self, predicate: Callable[[], bool]) -> None:
        """Wait, without ticking, until OBS's news has arrived (events are handled as they come)."""
        async with asyncio.timeout(10):
            while not predicate():
                await asyncio.sleep(0.01)

    def entries(self) -> list[Entry]:
        return read_log(self.log_path)


@asynccontextmanager
async def running(
    tmp: Path,
    rundown: Rundown,
    *,
    fake: FakeObs | None = None,
    auto: bool = False,
    resume: ResumePoint | None = None,
    start_at: float | None = None,
    clock: ManualClock | None = None,
    **runner_kw: Any,
) -> AsyncIterator[Run]:
    fake = await (fake or _fake()).start()
    clock = clock or ManualClock()
    log_path = tmp / "run.jsonl"
    client = ObsClient(ObsConnection("127.0.0.1", fake.port, fake.password), heartbeat_s=0.1, backoff_s=(0.05, 0.2))
    try:
        await client.connect()
        with AsRunLog(log_path, clock=clock) as log:
            runner = CeremonyRunner(
                client,
                rundown,
                log,
                options=RunOptions(auto=auto, start_at=start_at),
                overlay_dir=tmp / "ov",
                media_root=tmp,
                clock=clock,
                **runner_kw,
            )
            await runner.start(resume=resume)
            yield Run(fake, runner, clock, log_path)
            await runner.finish()
    finally:
        await client.close()
        await fake.stop()


def _events(entries: list[Entry], kind: str) -> list[Entry]:
    return [e for e in entries if e["event"] == kind]


def test_manual_take_hold_shows_overrun_and_operator_advances(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A"},
        {"name": "b", "scene": "B", "duration": 0.2, "overrun": "hold"},
        {"name": "c", "scene": "C", "duration": 0.2},
    )

    async def operate() -> list[Entry]:
        async with running(tmp_path, rundown) as run:
            await run.press(Action.NEXT)  # first take
            assert run.fake.program == "A"
            await run.step(60.0)
            assert run.runner.status.index == 0  # a manual segment never advances by itself
            await run.press(Action.NEXT)
            assert run.runner.status.index == 1
            await run.step(1.0)
            assert run.runner.status.index == 1 and run.fake.program == "B"  # held past its 0.2 s
            await run.press(Action.NEXT)
            await run.step(0.2)
            assert run.runner.status.ended
        return run.entries()

    entries = asyncio.run(operate())
    assert [e["name"] for e in _events(entries, "segment_start")] == ["a", "b", "c"]
    assert all(e["result"] == "ok" for e in _events(entries, "segment_start"))
    assert [e["overrun_s"] for e in _events(entries, "segment_end")] == [0.0, 0.8, 0.0]
    assert [e["action"] for e in _events(entries, "operator")] == ["take", "next", "next"]


def test_panic_goes_to_standby_and_a_double_press_is_one_take(tmp_path: Path) -> None:
    rundown = _rundown({"name": "a", "scene": "A"}, {"name": "b", "scene": "B"}, standby_scene="待机")

    async def operate() -> list[Entry]:
        async with running(tmp_path, rundown) as run:
            await run.press(Action.NEXT)
            await run.press(Action.PANIC)
            assert run.fake.program == "待机"
            run.clock.advance(0.6)
            await run.press(Action.NEXT, Action.NEXT)  # back from standby to a, not on to b; the bounce is ignored
            assert run.fake.program == "A" and run.runner.status.index == 0
            await run.step(0.3)
            await run.press(Action.END)
        return run.entries()

    actions = [(e["action"], e.get("result")) for e in _events(asyncio.run(operate()), "operator")]
    assert actions == [
        ("take", None),
        ("panic", None),
        ("resume_from_standby", None),
        ("next", "ignored (debounce)"),
        ("end", None),
    ]


def test_reconnect_jumps_to_now_and_never_replays_missed_cues(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 0.6},
        {"name": "b", "scene": "B", "duration": 0.5, "cues": [{"at": 0.2, "show": "X"}]},
        {"name": "c", "scene": "C", "duration": 1.0},
    )

    async def crash() -> tuple[FakeObs, list[Entry]]:
        async with running(tmp_path, rundown, auto=True) as run:
            assert run.fake.program == "A"
            port = run.fake.port
            await run.fake.stop()  # OBS gone for longer than the rest of a and all of b
            await run.tick_until(lambda: not run.runner.status.link_up)
            run.clock.advance(1.4)
            await run.fake.start(port)
            await run.tick_until(lambda: run.runner.status.link_up and run.fake.program == "C")
            await run.step(1.0)
            assert run.runner.status.ended
        return run.fake, run.entries()

    fake, entries = asyncio.run(crash())
    kinds = [e["event"] for e in entries]
    assert [e["kind"] for e in _events(entries, "link")] == ["lost", "resynced"]
    assert _events(entries, "link")[1]["gap_s"] == 1.4
    assert _events(entries, "cue") == []  # b's cue fell into the gap
    assert [(e["segment"], e["cue"]) for e in _events(entries, "skipped")] == [(1, 0)]
    assert _events(entries, "jump")[0]["name"] == "c"
    assert kinds.index("skipped") > kinds.index("link")
    assert fake.scenes["B"][0].enabled is False  # never shown late


def test_resume_from_the_log_continues_without_refiring(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 1.5, "cues": [{"at": 0.1, "show": "X"}, {"at": 1.0, "hide": "X"}]},
        {"name": "b", "scene": "B", "duration": 0.3},
    )
    clock = ManualClock()
    crashed_at = clock.now - 0.5
    with AsRunLog(tmp_path / "run.jsonl") as log:  # what a controller wrote before it crashed 0.5 s into segment a
        log.write("run_start", title="t", epoch=crashed_at - 0.01)
        log.write("segment_start", index=0, name="a", scene="A", result="ok", epoch=crashed_at)
        log.write("cue", segment=0, cue=0, kind="show", result="ok", epoch=crashed_at + 0.1)
    point = resume_point(read_log(tmp_path / "run.jsonl"))
    assert (point.index, point.fired) == (0, frozenset({0}))

    async def resumed() -> list[Entry]:
        async with running(tmp_path, rundown, auto=True, resume=point, clock=clock) as run:
            await run.step(0.5)  # the cue at 1.0 s
            await run.step(0.5)  # a ends
            await run.step(0.3)  # b ends
            assert run.runner.status.ended
        return run.entries()

    entries = asyncio.run(resumed())
    after = entries[entries.index(next(e for e in entries if e["event"] == "resume")) :]
    assert [(e["segment"], e["cue"]) for e in _events(after, "cue")] == [(0, 1)]
    assert [e["name"] for e in _events(after, "segment_start")] == ["b"]


def test_stream_key_never_reaches_the_log_or_reprs(tmp_path: Path) -> None:
    from streamkit.ceremony.outputs import StreamDestination

    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 0.3, "on_start": {"stream": "start"}, "on_end": {"stream": "stop"}},
        stream_target="local",
        record=False,
    )
    destination = StreamDestination("local", "rtmp://127.0.0.1:1/live", "sk-live-SECRET-123")

    async def stream() -> tuple[FakeObs, list[Entry]]:
        async with running(tmp_path, rundown, auto=True, destination=destination) as run:
            await run.step(0.3)
        return run.fake, run.entries()

    fake, entries = asyncio.run(stream())
    assert "SECRET" not in (tmp_path / "run.jsonl").read_text(encoding="utf-8")
    assert "SECRET" not in repr(destination)
    assert ("stream", "started") in [(e.get("output"), e.get("state")) for e in _events(entries, "output")]
    assert "SetStreamServiceSettings" in fake.received


def test_jump_back_and_chapters_where_obs_supports_them(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A", "on_start": {"record": "start"}},
        {"name": "b", "scene": "B"},
        {"name": "c", "scene": "C", "on_end": {"record": "stop"}},
    )
    fake = _fake()
    fake.available.add("CreateRecordChapter")  # obs-websocket >= 5.5

    async def operate() -> list[Entry]:
        async with running(tmp_path, rundown, fake=fake) as run:
            await run.press(Action.NEXT)
            await run.press(Action.JUMP, segment=2)
            assert run.fake.program == "C"
            await run.press(Action.BACK)
            assert run.fake.program == "B"
            await run.press(Action.END)
        return run.entries()

    entries = asyncio.run(operate())
    assert [e["name"] for e in _events(entries, "segment_start")] == ["a", "c", "b"]
    assert [e["name"] for e in _events(entries, "chapter")] == ["a", "c", "b"]
    assert all(e["result"] == "ok" for e in _events(entries, "chapter"))
    assert not fake.record_active  # END stops what is still running


def test_audio_and_media_cues_are_confirmed_and_play_after_stop_restarts(tmp_path: Path) -> None:
    rundown = _rundown(
        {
            "name": "a",
            "scene": "A",
            "duration": 0.8,
            "cues": [
                {"at": 0.05, "mute": "mic"},
                {"at": 0.1, "mute": "mic"},
                {"at": 0.15, "volume": {"source": "mic", "db": -6}},
                {"at": 0.2, "unmute": "mic"},
                {"at": 0.25, "media": "play", "source": "clip"},
                {"at": 0.3, "media": "pause", "source": "nope"},
            ],
        },
    )
    fake = _fake()
    fake.inputs |= {"mic": ("pulse_input_capture", {}), "clip": ("ffmpeg_source", {})}
    fake.media_state["clip"] = "OBS_MEDIA_STATE_STOPPED"

    async def cues() -> list[Entry]:
        async with running(tmp_path, rundown, auto=True, fake=fake) as run:
            for _ in range(6):
                await run.step(0.05)
            await run.step(0.5)
        return run.entries()

    entries = asyncio.run(cues())
    done = [(c["kind"], c["result"], c["detail"]) for c in _events(entries, "cue")]
    assert done[:5] == [
        ("mute", "ok", ""),
        ("mute", "ok", "already in that state"),
        ("volume", "ok", ""),
        ("unmute", "ok", ""),
        ("media", "ok", ""),
    ]
    assert done[5][:2] == ("media", "failed") and "code 600" in done[5][2]
    assert fake.muted["mic"] is False and fake.volume_db["mic"] == -6
    assert fake.media_state["clip"] == "OBS_MEDIA_STATE_PLAYING"  # sent as RESTART, since PLAY after STOP is a no-op


def test_unattended_run_shows_standby_until_the_scheduled_start(tmp_path: Path) -> None:
    rundown = _rundown({"name": "a", "scene": "A", "duration": 0.2}, standby_scene="待机")
    clock = ManualClock()
    start_at = clock.now + 1.0

    async def unattended() -> list[Entry]:
        async with running(tmp_path, rundown, auto=True, start_at=start_at, clock=clock) as run:
            assert run.fake.program == "待机"
            await run.step(0.9)
            assert run.fake.program == "待机" and run.runner.status.index == -1
            await run.step(0.1)
            assert run.fake.program == "A"
            await run.step(0.2)
        return run.entries()

    entries = asyncio.run(unattended())
    first = next(e for e in entries if e["event"] == "segment_start")
    assert first["epoch"] == start_at
    assert [e["event"] for e in entries][1:3] == ["reassert", "waiting"]


def test_cues_due_while_on_standby_are_skipped_not_fired_late(tmp_path: Path) -> None:
    rundown = _rundown({"name": "a", "scene": "A", "cues": [{"at": 0.3, "show": "X"}]}, standby_scene="待机")

    async def operate() -> tuple[FakeObs, list[Entry]]:
        async with running(tmp_path, rundown) as run:
            await run.press(Action.NEXT, Action.PANIC)
            assert run.fake.program == "待机"
            await run.step(1.6)  # the cue at 0.3 s comes due while the slate is on air
            await run.press(Action.NEXT)
            assert run.fake.program == "A"
            await run.step(0.2)
            await run.press(Action.END)
        return run.fake, run.entries()

    fake, entries = asyncio.run(operate())
    assert [(e["cue"], e["reason"]) for e in _events(entries, "skipped")] == [(0, "standby")]
    assert _events(entries, "cue") == [] and fake.scenes["A"][0].enabled is False


@pytest.mark.parametrize("recording_still_on", [True, False])
def test_resume_after_a_kill_during_the_closing_ends_without_a_second_close(
    tmp_path: Path, recording_still_on: bool
) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 0.5, "on_start": {"record": "start"}},
        {"name": "b", "scene": "B", "duration": 0.5, "on_end": {"record": "stop"}},
    )
    clock = ManualClock()
    t = clock.now - 2.0
    recording = str(tmp_path / "rec.mkv")
    with AsRunLog(tmp_path / "run.jsonl") as log:  # killed right after b's segment_end, before the recording stopped
        log.write("run_start", title="t", epoch=t)
        log.write("segment_start", index=0, name="a", scene="A", result="ok", epoch=t)
        log.write("output", output="record", state="started", path=recording, epoch=t + 0.1)
        log.write("segment_end", index=0, name="a", overrun_s=0.0, epoch=t + 0.5)
        log.write("segment_start", index=1, name="b", scene="B", result="ok", epoch=t + 0.5)
        log.write("segment_end", index=1, name="b", overrun_s=0.0, epoch=t + 1.0)
    fake = _fake()
    fake.program, fake.record_active, fake.record_path = "B", recording_still_on, recording

    async def resumed() -> list[Entry]:
        point = resume_point(read_log(tmp_path / "run.jsonl"))
        async with running(tmp_path, rundown, auto=True, fake=fake, resume=point, clock=clock) as run:
            await run.tick_until(lambda: run.runner.status.ended and run.runner.status.record != "stopping")
        return run.entries()

    entries = asyncio.run(resumed())
    assert [e["name"] for e in _events(entries, "segment_end")] == ["a", "b"]  # b's end is not logged twice
    assert "StartRecord" not in fake.received and not fake.record_active  # no recording after the end
    assert _events(entries, "segment_start")[-1]["name"] == "b" and entries[-1]["event"] == "summary"
    assert fake.received.count("StopRecord") == (1 if recording_still_on else 0)
    # chapters beside the recording, also when its STOPPED never reached the log
    assert Path(recording).with_suffix(".vtt").read_text(encoding="utf-8").count("-->") == 2


def test_resume_after_a_kill_between_segments_starts_the_next_one_where_the_last_ended(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 0.5, "on_start": {"record": "start"}},
        {"name": "b", "scene": "B", "duration": 3.0, "cues": [{"at": 0.1, "show": "X"}, {"at": 2.0, "hide": "X"}]},
        {"name": "c", "scene": "C", "duration": 0.5, "on_end": {"record": "stop"}},
    )
    clock = ManualClock()
    t = clock.now - 2.0
    with AsRunLog(tmp_path / "run.jsonl") as log:  # killed after a's segment_end, before b's segment_start
        log.write("run_start", title="t", epoch=t)
        log.write("segment_start", index=0, name="a", scene="A", result="ok", epoch=t)
        log.write("segment_end", index=0, name="a", overrun_s=0.0, epoch=t + 0.5)
    fake = _fake()
    fake.program, fake.record_active, fake.record_path = "A", True, str(tmp_path / "rec.mkv")

    async def resumed() -> list[Entry]:
        point = resume_point(read_log(tmp_path / "run.jsonl"))
        async with running(tmp_path, rundown, auto=True, fake=fake, resume=point, clock=clock) as run:
            assert run.runner.status.index == 1 and run.fake.program == "B"
            await run.step(0.5)  # b started 1.5 s ago: its first cue fell into the gap, the second is due now
            await run.step(1.0)
            await run.step(0.5)
            assert run.runner.status.ended
        return run.entries()

    entries = asyncio.run(resumed())
    assert [e["name"] for e in _events(entries, "segment_start")] == ["a", "b", "c"]
    assert [e["name"] for e in _events(entries, "segment_end")] == ["a", "b", "c"]
    assert [(e["segment"], e["cue"]) for e in _events(entries, "skipped")] == [(1, 0)]
    assert [(e["segment"], e["cue"]) for e in _events(entries, "cue")] == [(1, 1)]
    assert "StartRecord" not in fake.received  # the recording kept going


def test_a_stream_lost_mid_ceremony_is_logged_off_air_and_the_console_drops_its_bitrate(tmp_path: Path) -> None:
    from rich.console import Console

    from streamkit.ceremony.console import render
    from streamkit.ceremony.outputs import StreamDestination

    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 10, "on_start": {"stream": "start"}, "on_end": {"stream": "stop"}},
        stream_target="local",
        record=False,
    )
    destination = StreamDestination("local", "rtmp://127.0.0.1:1/live", "k")

    def screen(runner: CeremonyRunner) -> str:
        console = Console(record=True, width=200)
        console.print(render(runner))
        return console.export_text()

    async def outage() -> tuple[FakeObs, list[Entry], list[str]]:
        async with running(tmp_path, rundown, auto=True, destination=destination) as run:
            await run.step(2.0)
            await run.step(2.0)  # health polled twice while streaming
            shown = [screen(run.runner)]
            await run.fake.stream_lost()
            await run.tick_until(lambda: run.runner.status.stream == "reconnecting")
            await run.step(3.0)
            shown.append(screen(run.runner))
            await run.fake.stream_reconnected()
            await run.tick_until(lambda: run.runner.status.stream == "reconnected")
            await run.step(3.0)
        return run.fake, run.entries(), shown

    fake, entries, shown = asyncio.run(outage())
    assert fake.received.count("StartStream") == 1  # OBS reconnects by itself: nothing is started over it
    assert "kbit/s" in shown[0] and "OFF AIR" not in shown[0]
    assert "kbit/s" not in shown[1] and "stream reconnecting OFF AIR 3 s" in shown[1]
    assert [e["event"] for e in entries if e["event"].startswith("stream_")] == ["stream_lost", "stream_back"]
    assert _events(entries, "stream_back")[0]["off_air_s"] == 3.0
    summary = entries[-1]
    assert (summary["stream_interruptions"], summary["off_air_s"]) == (1, 3.0)


def test_stopping_the_stream_on_purpose_is_no_interruption(tmp_path: Path) -> None:
    from streamkit.ceremony.outputs import StreamDestination

    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 1, "on_start": {"stream": "start"}, "on_end": {"stream": "stop"}},
        {"name": "b", "scene": "B", "duration": 1},
        stream_target="local",
        record=False,
    )

    async def planned() -> list[Entry]:
        destination = StreamDestination("local", "rtmp://127.0.0.1:1/live", "k")
        async with running(tmp_path, rundown, auto=True, destination=destination) as run:
            await run.step(1.0)
            await run.step(1.0)
        return run.entries()

    summary = asyncio.run(planned())[-1]
    assert (summary["stream_interruptions"], summary["off_air_s"]) == (0, 0.0)


def test_a_stream_obs_gave_up_on_is_started_again_until_it_is_back(tmp_path: Path) -> None:
    from streamkit.ceremony.outputs import StreamDestination

    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 20, "on_start": {"stream": "start"}, "on_end": {"stream": "stop"}},
        stream_target="local",
        record=False,
    )
    destination = StreamDestination("local", "rtmp://127.0.0.1:1/live", "k")

    async def outage() -> tuple[FakeObs, list[Entry]]:
        async with running(tmp_path, rundown, auto=True, destination=destination) as run:
            run.fake.rtmp_down = True
            await run.fake.stream_lost(gave_up=True)  # OBS's own reconnects ran out: it stopped the stream
            await run.until(lambda: run.runner.status.stream == "stopped")
            await run.step(1.0)  # tries again at once, but the receiver is still down
            assert run.fake.received.count("StartStream") == 2 and not run.fake.stream_active
            await run.step(1.0)  # not every tick: the next attempt waits a little
            assert run.fake.received.count("StartStream") == 2
            run.fake.rtmp_down = False
            await run.step(1.0)
            assert run.fake.stream_active and run.runner.status.off_air_since is None
            await run.step(17.0)
        return run.fake, run.entries()

    fake, entries = asyncio.run(outage())
    assert fake.received.count("StartStream") == 3
    assert [e["reason"] for e in _events(entries, "reassert") if e["kind"] == "stream"] == ["stream lost"] * 2
    assert _events(entries, "stream_back")[0]["off_air_s"] == 3.0
    assert (entries[-1]["stream_interruptions"], entries[-1]["off_air_s"]) == (1, 3.0)


def test_a_link_lost_before_the_first_take_recovers_nothing_and_the_take_still_works(tmp_path: Path) -> None:
    rundown = _rundown({"name": "a", "scene": "A"}, {"name": "b", "scene": "B"})

    async def early() -> list[Entry]:
        async with running(tmp_path, rundown) as run:
            run.fake.drop_links()
            await run.tick_until(
                lambda: [e.get("kind") for e in _events(run.runner.entries, "link")] == ["lost", "resynced"]
            )
            await run.step(0.1)
            await run.press(Action.NEXT)
            assert run.fake.program == "A" and run.runner.status.index == 0
            await run.press(Action.END)
        return run.entries()

    entries = asyncio.run(early())
    assert [e["name"] for e in _events(entries, "segment_start")] == ["a"]
    assert _events(entries, "jump") == [] and _events(entries, "internal_error") == []
    assert _events(entries, "reassert") == []  # no scene was put on air before the take
