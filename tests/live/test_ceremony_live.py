"""A ceremony with live destinations: the runner (on the fake OBS) drives the real relay and legs, writes every leg
change into the as-run log without keys, takes per-leg actions from the console's keys, and turns the event page live
once the program is on the relay with HLS fragments."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

from rich.console import Console

from streamkit.ceremony.asrun import AsRunLog, carried, read_log, summarize
from streamkit.ceremony.console import KeyParser, render
from streamkit.ceremony.live import CeremonyLive
from streamkit.ceremony.rundown import Rundown
from streamkit.ceremony.runner import CeremonyRunner
from streamkit.ceremony.status import Action, RunOptions
from streamkit.config.settings import LiveSettings
from streamkit.live.destinations import Target
from streamkit.live.leg import LegState
from streamkit.live.run import LiveRun
from streamkit.obs.client import ObsClient, ObsConnection
from tests.fakes.obs import FakeObs
from tests.live.conftest import WAIT_S, Receiver

Program = Callable[[str, float], Popen[bytes]]
KEYS = ("CeremonyKeyA1?txSecret=SigA77", "CeremonyKeyB2?sign=SigB88")


def _state(live: CeremonyLive, name: str) -> LegState | None:
    return next((v.state for v in live.views() if v.name == name), None)


async def _tick_until(runner: CeremonyRunner, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await runner.tick()
        await asyncio.sleep(0.05)


def test_a_ceremony_runs_the_legs_logs_them_masked_and_turns_the_page_live(
    tmp_path: Path, live_settings: LiveSettings, receivers: list[Receiver], program: Program
) -> None:
    targets = [Target(f"leg{n}", receivers[n].server, KEYS[n]) for n in range(2)]
    page: list[str] = []
    live = CeremonyLive(LiveRun(live_settings, targets), on_program=lambda: page.append("live"))
    assert live.destination.url == live.run.plan.program_url.rsplit("/", 1)[0] and live.destination.key == "program"
    rundown = Rundown.model_validate({"version": 1, "title": "t", "segments": [{"name": "a", "scene": "Scene"}]})
    shown = Console(record=True, width=200)

    async def ceremony() -> dict[str, object]:
        fake = await FakeObs().start()
        client = ObsClient(ObsConnection("127.0.0.1", fake.port, fake.password), heartbeat_s=0.1)
        try:
            await client.connect()
            with AsRunLog(tmp_path / "run.jsonl") as log:
                runner = CeremonyRunner(
                    client, rundown, log, options=RunOptions(), overlay_dir=tmp_path / "ov", media_root=tmp_path,
                    live=live.start(),
                )  # fmt: skip
                await runner.start()
                program(live.run.plan.program_url, 60)  # OBS streaming to the relay
                await _tick_until(runner, lambda: live.confirmed, "the program confirmed on the relay")
                await _tick_until(
                    runner, lambda: all(_state(live, t.name) is LegState.LIVE for t in targets), "every leg live"
                )
                shown.print(render(runner))
                keys = KeyParser(live.names())
                assert keys.feed("d") is None  # waits for the leg's number
                command = keys.feed("2")
                assert command is not None and (command.action, command.leg) == (Action.LEG_DISABLE, "leg1")
                runner.commands.put_nowait(command)
                await _tick_until(runner, lambda: _state(live, "leg1") is LegState.DISABLED, "leg1 disabled")
                assert _state(live, "leg0") is LegState.LIVE
                assert keys.feed("r") is None
                retry = keys.feed("2")
                assert retry is not None and retry.action is Action.LEG_RETRY
                runner.commands.put_nowait(retry)
                await _tick_until(runner, lambda: _state(live, "leg1") is LegState.LIVE, "leg1 live again")
                return await runner.finish()
        finally:
            await client.close()
            await fake.stop()

    summary = asyncio.run(ceremony())
    assert page == ["live"]  # once, however long the program stays
    text = shown.export_text()
    assert "leg 1" in text and "leg 2" in text and "LIVE" in text and f"{receivers[0].server}/***" in text
    entries = read_log(tmp_path / "run.jsonl")
    legs = [(e["leg"], e["after"]) for e in entries if e["event"] == "leg"]
    assert ("leg1", "disabled") in legs and legs.count(("leg1", "live")) == 2 and ("leg0", "stopped") in legs
    assert [e["action"] for e in entries if e["event"] == "operator"] == ["leg_disable", "leg_retry"]
    assert entries[0]["legs"] == ["leg0", "leg1"]
    assert [e["source"] for e in entries if e["event"] == "on_air"][:1] == ["program"]
    spans = carried(entries)
    assert len(spans["leg0"]) == 1 and len(spans["leg1"]) == 2
    assert summary["carried_s"] == summarize(entries)["carried_s"]
    raw = (tmp_path / "run.jsonl").read_text(encoding="utf-8") + text
    secrets = [part for key in KEYS for part in key.replace("?", "=").split("=")[::2]]
    assert [s for s in secrets if s in raw] == []
