"""The operator console: key map and what the table shows (overrun in red, next segment, link state)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from streamkit.ceremony.asrun import AsRunLog
from streamkit.ceremony.console import command_for_key, render
from streamkit.ceremony.rundown import load_rundown
from streamkit.ceremony.runner import CeremonyRunner
from streamkit.ceremony.status import Action, Command, RunOptions
from streamkit.obs.client import ObsClient, ObsConnection
from tests.conftest import ROOT
from tests.fakes.clock import ManualClock


def test_keys_map_to_commands() -> None:
    assert command_for_key(" ") == Command(Action.NEXT) == command_for_key("n")
    assert command_for_key("h") == Command(Action.HOLD)
    assert command_for_key("p") == Command(Action.PANIC)
    assert command_for_key("3") == Command(Action.JUMP, 2)
    assert command_for_key("0") is None and command_for_key("x") is None


def test_table_shows_on_air_next_and_overrun_in_red(tmp_path: Path) -> None:
    rundown = load_rundown(ROOT / "config" / "ceremonies" / "qingming-sample.yaml")
    clock = ManualClock()
    with AsRunLog(tmp_path / "run.jsonl") as log:
        runner = CeremonyRunner(
            ObsClient(ObsConnection("127.0.0.1", 1)),
            rundown,
            log,
            options=RunOptions(),
            overlay_dir=tmp_path,
            media_root=tmp_path,
            clock=clock,
        )
        runner.status.index = 3  # 祭扫, 40 s, hold
        runner.status.segment_started = clock.now - 55
        runner.status.link_up = False
        runner.status.reconnecting_since = clock.now - 4
        console = Console(record=True, width=160, color_system="truecolor")
        console.print(render(runner))
    text = console.export_text(clear=False)
    assert "ON AIR" in text and "next" in text and "+00:15 OVER" in text and "RECONNECTING" in text
    assert "00:40 hold" in text
    html = console.export_html(inline_styles=True)
    overrun_span = html[: html.index("+00:15 OVER")].rsplit("<span", 1)[1]
    assert "#800000" in overrun_span and "font-weight: bold" in overrun_span  # bold red
