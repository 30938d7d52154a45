"""OBS itself dies mid-ceremony and is relaunched the way the docs say: the run goes on, and the off-air time it
reports stays within OBS's downtime plus a few seconds (marker ``obs``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from streamkit.ceremony.asrun import read_log
from streamkit.media.samples import SampleSet
from streamkit.obs import launcher
from streamkit.obs.launcher import LaunchState
from tests.ceremony_faults.conftest import Row
from tests.conftest import ROOT, run_cli
from tests.obs.conftest import RtmpServer
from tests.obs.test_real_obs import env_for

pytestmark = pytest.mark.obs

DOWN_S = 3.0


def test_obs_killed_and_relaunched_by_obs_launch_the_run_goes_on(
    applied: LaunchState,
    samples: SampleSet,
    nginx_rtmp: RtmpServer,
    tmp_path: Path,
    report: list[Row],
) -> None:
    rundown = tmp_path / "crash.json"
    segment = {"name": "开场", "scene": "开场", "duration": 30, "on_start": {"stream": "start", "record": "start"}}
    rundown.write_text(
        json.dumps(
            {
                "version": 1,
                "title": "obs crash",
                "stream_target": "local",
                "segments": [{**segment, "on_end": {"stream": "stop", "record": "stop"}}],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    env = env_for(
        applied, samples, tmp_path, STREAMKIT_TARGETS__LOCAL__URL=nginx_rtmp.url, STREAMKIT_TARGETS__LOCAL__KEY="crash"
    )
    argv = [sys.executable, "-m", "streamkit", "ceremony", "run", str(rundown), "--auto", "--scenes", "scenes"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, **pipes) as run:  # type: ignore[call-overload]
        deadline = time.monotonic() + 60
        while not any(nginx_rtmp.record_dir.glob("crash*.flv")):
            assert time.monotonic() < deadline and run.poll() is None, "the stream never reached the receiver"
            time.sleep(0.1)
        time.sleep(3.0)
        current = launcher.read_state(applied.folder)
        assert current is not None
        killed = time.monotonic()
        launcher.kill_obs(current)
        time.sleep(DOWN_S)
        relaunched = run_cli(
            ["obs", "launch", "--port", str(current.port)], env={"STREAMKIT_OBS__LAUNCH_DIR": current.folder}
        )
        downtime = time.monotonic() - killed  # until the new OBS answers (obs launch returns then)
        assert relaunched.returncode == 0, relaunched.stderr
        out, errors = run.communicate(timeout=120)
    summary = json.loads(out)
    entries = read_log(Path(summary["log"]))
    report.append(Row(f"OBS killed, relaunched ({downtime:.1f} s down)", "run went on", summary["off_air_s"]))
    assert not any(e["event"] == "abort" for e in entries), errors
    assert [e["kind"] for e in entries if e["event"] == "link"] == ["lost", "resynced"]
    assert summary["stream_interruptions"] == 1 and summary["off_air_s"] <= downtime + 3.0
    assert run.returncode == 1 and "error: the stream was interrupted" in errors
    assert len(summary["recordings"]) == 2 and all(Path(p).with_suffix(".vtt").exists() for p in summary["recordings"])
