"""The RTMP receiver goes away mid-ceremony and comes back: the stream returns by itself, and the run says how long it
was off air (marker ``obs``; a private nginx-rtmp that the scenario stops and starts)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamkit.ceremony.asrun import read_log
from streamkit.media.samples import SampleSet
from streamkit.obs.launcher import LaunchState, free_port
from tests.ceremony_faults.conftest import Row
from tests.conftest import ROOT
from tests.obs.conftest import NGINX_CONF, _require, _wait_listening
from tests.obs.test_real_obs import env_for

pytestmark = pytest.mark.obs


class Receiver:
    """nginx-rtmp on a fixed loopback port that can be stopped and started again (an outage at the platform)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port = folder, free_port()
        self.record_dir = folder / "recorded"
        self.record_dir.mkdir(parents=True)
        self.conf = folder / "nginx.conf"
        self.conf.write_text(
            NGINX_CONF.format(folder=folder, port=self.port, record_dir=self.record_dir), encoding="utf-8"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}/live"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["nginx", "-p", str(self.folder), "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_listening(self.port, self.proc)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[Receiver]:
    _require("nginx", "nginx")
    if not Path("/usr/lib/nginx/modules/ngx_rtmp_module.so").exists():
        pytest.skip("the nginx RTMP module is not installed (apt-get install libnginx-mod-rtmp)")
    found = Receiver(tmp_path / "nginx")
    found.start()
    try:
        yield found
    finally:
        found.stop()


@pytest.mark.parametrize("outage_s", [5.0, 60.0])
def test_receiver_down_stream_comes_back_by_itself_and_the_run_says_so(
    applied: LaunchState, samples: SampleSet, tmp_path: Path, receiver: Receiver, report: list[Row], outage_s: float
) -> None:
    rundown = tmp_path / "outage.json"
    segment = {"name": "开场", "scene": "开场", "duration": outage_s + 20, "on_start": {"stream": "start"}}
    rundown.write_text(
        json.dumps(
            {
                "version": 1,
                "title": "outage",
                "record": False,
                "stream_target": "local",
                "segments": [{**segment, "on_end": {"stream": "stop"}}],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    env = env_for(
        applied, samples, tmp_path, STREAMKIT_TARGETS__LOCAL__URL=receiver.url, STREAMKIT_TARGETS__LOCAL__KEY="outage"
    )
    argv = [sys.executable, "-m", "streamkit", "ceremony", "run", str(rundown), "--auto", "--scenes", "scenes"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, **pipes) as run:  # type: ignore[call-overload]
        deadline = time.monotonic() + 60
        while not any(receiver.record_dir.glob("outage*.flv")):
            assert time.monotonic() < deadline and run.poll() is None, "the stream never reached the receiver"
            time.sleep(0.1)
        time.sleep(3.0)  # on air for a while
        receiver.stop()
        time.sleep(outage_s)
        receiver.start()
        out, errors = run.communicate(timeout=120)
    summary = json.loads(out)
    entries = read_log(Path(summary["log"]))
    back = [e for e in entries if e["event"] == "stream_back"]
    received = sorted(receiver.record_dir.glob("outage*.flv"))
    report.append(
        Row(
            f"RTMP receiver down {outage_s:g} s",
            "back on air" if back else "FAIL: never back",
            summary["off_air_s"],
        )
    )
    assert run.returncode == 1 and "error: the stream was interrupted" in errors
    assert summary["stream_interruptions"] >= 1 and summary["off_air_s"] >= outage_s - 1
    assert back, "the stream did not come back by itself"
    assert summary["outputs_failed"] == []  # nothing was started over OBS's own reconnecting
    assert len(received) >= 2  # the receiver recorded the stream again after the outage
