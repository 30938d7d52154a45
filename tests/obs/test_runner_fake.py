"""The runner against the fake OBS: manual take, hold and overrun, panic, debounce, reconnect jump, resume, secrets."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from streamkit.ceremony.asrun import AsRunLog, read_log
from streamkit.ceremony.rundown import Rundown
from streamkit.ceremony.runner import (
    Action,
    CeremonyRunner,
    Command,
    ResumePoint,
    RunOptions,
    StreamDestination,
    resume_point,
)
from streamkit.obs.client import ObsClient, ObsConnection
from tests.obs.fake_obs import FakeObs, Item


def _fake() -> FakeObs:
    fake = FakeObs()
    fake.scenes = {"Scene": [], "A": [Item(1, "X", False)], "B": [Item(2, "X", False)], "C": [], "待机": []}
    fake.inputs = {"X": ("image_source", {})}
    return fake


def _rundown(*segments: dict[str, Any], **extra: Any) -> Rundown:
    return Rundown.model_validate({"version": 1, "title": "t", "segments": list(segments), **extra})


async def _with_runner(
    tmp: Path,
    rundown: Rundown,
    body: Callable[[FakeObs, CeremonyRunner], Awaitable[None]],
    *,
    auto: bool = False,
    fake: FakeObs | None = None,
    log_path: Path | None = None,
    resume: ResumePoint | None = None,
    start_at: float | None = None,
    **runner_kw: Any,
) -> tuple[FakeObs, list[dict[str, Any]]]:
    fake = await (fake or _fake()).start(getattr(fake, "port", 0) if fake else 0)
    try:
        client = ObsClient(ObsConnection("127.0.0.1", fake.port, fake.password), heartbeat_s=0.1, backoff_s=(0.05, 0.2))
        await client.connect()
        with AsRunLog(log_path or tmp / "run.jsonl") as log:
            runner = CeremonyRunner(
                client,
                rundown,
                log,
                options=RunOptions(auto=auto, tick_s=0.02, start_at=start_at),
                overlay_dir=tmp / "ov",
                media_root=tmp,
                **runner_kw,
            )
            task = asyncio.create_task(runner.run(resume=resume))
            await asyncio.wait_for(body(fake, runner), 20)
            await asyncio.wait_for(task, 20)
        await client.close()
        return fake, read_log(log_path or tmp / "run.jsonl")
    finally:
        await fake.stop()


async def _until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.01)


def _events(entries: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [e for e in entries if e["event"] == kind]


def test_manual_take_hold_shows_overrun_and_operator_advances(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A"},
        {"name": "b", "scene": "B", "duration": 0.2, "overrun": "hold"},
        {"name": "c", "scene": "C", "duration": 0.2},
    )

    async def operate(fake: FakeObs, runner: CeremonyRunner) -> None:
        runner.commands.put_nowait(Command(Action.NEXT))  # first take
        await _until(lambda: fake.program == "A")
        await asyncio.sleep(0.6)
        assert runner.status.index == 0  # a manual segment never advances by itself
        runner.commands.put_nowait(Command(Action.NEXT))
        await _until(lambda: runner.status.index == 1)
        await asyncio.sleep(1.0)
        assert runner.status.index == 1 and fake.program == "B"  # held past its 0.2 s
        runner.commands.put_nowait(Command(Action.NEXT))

    _, entries = asyncio.run(_with_runner(tmp_path, rundown, operate))
    assert [e["name"] for e in _events(entries, "segment_start")] == ["a", "b", "c"]
    assert all(e["result"] == "ok" for e in _events(entries, "segment_start"))
    b_end = next(e for e in _events(entries, "segment_end") if e["name"] == "b")
    assert b_end["overrun_s"] > 0.5
    assert [e["action"] for e in _events(entries, "operator")] == ["take", "next", "next"]


def test_panic_goes_to_standby_and_a_double_press_is_one_take(tmp_path: Path) -> None:
    rundown = _rundown({"name": "a", "scene": "A"}, {"name": "b", "scene": "B"}, standby_scene="待机")

    async def operate(fake: FakeObs, runner: CeremonyRunner) -> None:
        runner.commands.put_nowait(Command(Action.NEXT))
        await _until(lambda: runner.status.index == 0 and fake.program == "A")
        runner.commands.put_nowait(Command(Action.PANIC))
        await _until(lambda: fake.program == "待机")
        await asyncio.sleep(0.6)
        runner.commands.put_nowait(Command(Action.NEXT))  # back from standby to a, not on to b
        runner.commands.put_nowait(Command(Action.NEXT))  # bounce: ignored
        await _until(lambda: fake.program == "A")
        await asyncio.sleep(0.3)
        assert runner.status.index == 0
        runner.commands.put_nowait(Command(Action.END))

    _, entries = asyncio.run(_with_runner(tmp_path, rundown, operate))
    actions = [(e["action"], e.get("result")) for e in _events(entries, "operator")]
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

    async def crash(fake: FakeObs, runner: CeremonyRunner) -> None:
        await _until(lambda: runner.status.index == 0 and fake.program == "A")
        port = fake.port
        await fake.stop()  # OBS gone for longer than the rest of a and all of b
        await asyncio.sleep(1.4)
        await fake.start(port)

    fake, entries = asyncio.run(_with_runner(tmp_path, rundown, crash, auto=True))
    kinds = [e["event"] for e in entries]
    assert [e["kind"] for e in _events(entries, "link")] == ["lost", "resynced"]
    assert _events(entries, "cue") == []  # b's cue fell into the gap
    assert [(e["segment"], e["cue"]) for e in _events(entries, "skipped")] == [(1, 0)]
    assert _events(entries, "jump")[0]["name"] == "c"
    assert kinds.index("skipped") > kinds.index("link")
    assert fake.scenes["B"][0].enabled is False  # never shown late
    assert fake.program == "C"


def test_resume_from_the_log_continues_without_refiring(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 1.5, "cues": [{"at": 0.1, "show": "X"}, {"at": 1.0, "hide": "X"}]},
        {"name": "b", "scene": "B", "duration": 0.3},
    )
    log_path = tmp_path / "run.jsonl"
    crashed_at = time.time() - 0.5
    with AsRunLog(log_path) as log:  # what a controller wrote before it crashed 0.5 s into segment a
        log.write("run_start", title="t", epoch=crashed_at - 0.01)
        log.write("segment_start", index=0, name="a", scene="A", result="ok", epoch=crashed_at)
        log.write("cue", segment=0, cue=0, kind="show", result="ok", epoch=crashed_at + 0.1)
    point = resume_point(read_log(log_path))
    assert (point.index, point.fired) == (0, frozenset({0}))

    async def crashed_controller(fake: FakeObs, runner: CeremonyRunner) -> None:
        await _until(lambda: runner.status.ended)

    _, entries = asyncio.run(
        _with_runner(tmp_path, rundown, crashed_controller, auto=True, log_path=log_path, resume=point)
    )
    after = entries[entries.index(next(e for e in entries if e["event"] == "resume")) :]
    assert [(e["segment"], e["cue"]) for e in _events(after, "cue")] == [(0, 1)]
    assert [e["name"] for e in _events(after, "segment_start")] == ["b"]


def test_stream_key_never_reaches_the_log_or_reprs(tmp_path: Path) -> None:
    rundown = _rundown(
        {"name": "a", "scene": "A", "duration": 0.3, "on_start": {"stream": "start"}, "on_end": {"stream": "stop"}},
        stream_target="local",
        record=False,
    )
    destination = StreamDestination("local", "rtmp://127.0.0.1:1/live", "sk-live-SECRET-123")

    async def wait(fake: FakeObs, runner: CeremonyRunner) -> None:
        await _until(lambda: runner.status.ended)

    fake, entries = asyncio.run(_with_runner(tmp_path, rundown, wait, auto=True, destination=destination))
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

    async def operate(fake: FakeObs, runner: CeremonyRunner) -> None:
        runner.commands.put_nowait(Command(Action.NEXT))
        await _until(lambda: fake.program == "A")
        runner.commands.put_nowait(Command(Action.JUMP, 2))
        await _until(lambda: fake.program == "C")
        runner.commands.put_nowait(Command(Action.BACK))
        await _until(lambda: fake.program == "B")
        runner.commands.put_nowait(Command(Action.END))

    fake, entries = asyncio.run(_with_runner(tmp_path, rundown, operate, fake=fake))
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

    async def wait(fake: FakeObs, runner: CeremonyRunner) -> None:
        await _until(lambda: runner.status.ended)

    fake, entries = asyncio.run(_with_runner(tmp_path, rundown, wait, auto=True, fake=fake))
    cues = [(c["kind"], c["result"], c["detail"]) for c in _events(entries, "cue")]
    assert cues[:5] == [
        ("mute", "ok", ""),
        ("mute", "ok", "already in that state"),
        ("volume", "ok", ""),
        ("unmute", "ok", ""),
        ("media", "ok", ""),
    ]
    assert cues[5][:2] == ("media", "failed") and "code 600" in cues[5][2]
    assert fake.muted["mic"] is False and fake.volume_db["mic"] == -6
    assert fake.media_state["clip"] == "OBS_MEDIA_STATE_PLAYING"  # sent as RESTART, since PLAY after STOP is a no-op


def test_unattended_run_shows_standby_until_the_scheduled_start(tmp_path: Path) -> None:
    rundown = _rundown({"name": "a", "scene": "A", "duration": 0.2}, standby_scene="待机")
    start_at = time.time() + 1.0
    seen: list[str] = []

    async def watch(fake: FakeObs, runner: CeremonyRunner) -> None:
        while not runner.status.ended:
            if not seen or seen[-1] != fake.program:
                seen.append(fake.program)
            await asyncio.sleep(0.02)

    _, entries = asyncio.run(_with_runner(tmp_path, rundown, watch, auto=True, start_at=start_at))
    assert seen[:2] == ["待机", "A"] or seen[:3] == ["Scene", "待机", "A"]
    first = next(e for e in entries if e["event"] == "segment_start")
    assert first["epoch"] >= start_at
    assert [e["event"] for e in entries][1:3] == ["reassert", "waiting"]


def test_cues_due_while_on_standby_are_skipped_not_fired_late(tmp_path: Path) -> None:
    rundown = _rundown({"name": "a", "scene": "A", "cues": [{"at": 0.3, "show": "X"}]}, standby_scene="待机")

    async def operate(fake: FakeObs, runner: CeremonyRunner) -> None:
        runner.commands.put_nowait(Command(Action.NEXT))
        runner.commands.put_nowait(Command(Action.PANIC))
        await _until(lambda: fake.program == "待机")
        await asyncio.sleep(1.6)  # the cue at 0.3 s comes due while the slate is on air
        runner.commands.put_nowait(Command(Action.NEXT))
        await _until(lambda: fake.program == "A")
        await asyncio.sleep(0.2)
        runner.commands.put_nowait(Command(Action.END))

    fake, entries = asyncio.run(_with_runner(tmp_path, rundown, operate))
    assert [(e["cue"], e["reason"]) for e in _events(entries, "skipped")] == [(0, "standby")]
    assert _events(entries, "cue") == [] and fake.scenes["A"][0].enabled is False
