"""The operator's actions from another terminal, and ``streamkit live status``, against a running push."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from streamkit.config.settings import LiveSettings
from streamkit.live.destinations import Target
from streamkit.live.errors import LiveError
from streamkit.live.leg import LegState
from streamkit.live.run import LiveRun, request_action
from tests.live.conftest import Receiver, wait_for

Program = Callable[[str, float], subprocess.Popen[bytes]]


def _cli(live: LiveSettings, tmp_path: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(Path.cwd()),
        "STREAMKIT_SECRETS_FILE": str(tmp_path / "no-secrets.yaml"),
        "STREAMKIT_LIVE__RUN_DIR": str(live.run_dir),
    }
    argv = [sys.executable, "-m", "streamkit", "live", *args]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)


def _leg(run: LiveRun) -> LegState | None:
    views = run.legs.views()
    return views[0].state if views else None


def test_disable_retry_and_replace_the_key_of_a_running_leg(
    tmp_path: Path, live_settings: LiveSettings, receivers: list[Receiver], program: Program
) -> None:
    receiver = receivers[0]
    run = LiveRun(live_settings, [Target("site", receiver.server, "OldKey-1?sig=old")]).start()
    try:
        program(run.plan.program_url, 60)
        wait_for(lambda: _leg(run) is LegState.LIVE, "the leg live")
        wait_for(lambda: '"live"' in (live_settings.run_dir / "status.json").read_text(), "the status to say live")
        shown = _cli(live_settings, tmp_path, "status")
        assert shown.returncode == 0 and "site: live; rtmp://127.0.0.1" in shown.stdout
        assert "OldKey" not in shown.stdout + shown.stderr and "/live/***?sig=***" in shown.stdout

        control = live_settings.run_dir / "control"
        control.mkdir(exist_ok=True)
        (control / "0-garbage.json").write_text("{half a request", encoding="utf-8")  # dropped, not fatal
        assert _cli(live_settings, tmp_path, "disable", "site").returncode == 0
        wait_for(lambda: _leg(run) is LegState.DISABLED, "the leg disabled")
        request_action(live_settings.run_dir, "site", "retry")
        wait_for(lambda: _leg(run) is LegState.LIVE, "the leg live after retry")

        changed = _cli(live_settings, tmp_path, "set-key", "site", stdin="NewKey-2?sig=new\n")
        assert changed.returncode == 0, changed.stderr
        assert "NewKey" not in changed.stdout + changed.stderr
        wait_for(
            lambda: any(p.name.startswith("NewKey-2") for p in receiver.recordings()),
            "the receiver to get the new key",
        )
        wait_for(lambda: _leg(run) is LegState.LIVE, "the leg live with the new key")
        assert list((live_settings.run_dir / "control").iterdir()) == []  # the key file was taken and removed
        unknown = _cli(live_settings, tmp_path, "retry", "nope")
        assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no leg 'nope' in the running live push"
    finally:
        run.stop()
    events = [json.loads(line) for line in (live_settings.run_dir / "events.jsonl").read_text().splitlines()]
    assert [e["action"] for e in events if e["event"] == "operator"] == ["disable", "retry", "key"]
    assert [e["reason"] for e in events if e.get("after") == "connecting"][-1] == "key replaced"
    for path in live_settings.run_dir.rglob("*"):
        if path.is_file() and path.name != "nginx.conf":
            text = path.read_bytes().decode(errors="replace")
            assert not [k for k in ("OldKey", "NewKey", "sig=old", "sig=new") if k in text], path
    ended = _cli(live_settings, tmp_path, "status")
    assert ended.returncode == 1 and ended.stdout.startswith("live push ended")
    with pytest.raises(LiveError, match="has ended"):
        request_action(live_settings.run_dir, "site", "retry")


def test_run_without_destinations_is_one_line(tmp_path: Path, live_settings: LiveSettings) -> None:
    result = _cli(live_settings, tmp_path, "run", "--seconds", "1")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: no destinations with a stream key in settings (live.destinations); see docs/live.md"
    ]
