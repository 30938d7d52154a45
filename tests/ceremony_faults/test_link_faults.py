"""The control link to OBS stalls (a network that drops every packet for a while) while OBS itself keeps streaming:
the runner notices through its heartbeat, reconnects, and does not report the stream off air (marker ``obs``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from streamkit.ceremony.asrun import read_log
from streamkit.media.samples import SampleSet
from streamkit.obs import launcher
from streamkit.obs.launcher import LaunchState
from tests.ceremony_faults.conftest import Row
from tests.conftest import ROOT
from tests.obs.conftest import RtmpServer
from tests.obs.test_real_obs import env_for

pytestmark = pytest.mark.obs

STALL_S = 8.0


class StallingProxy:
    """A TCP proxy in front of OBS's websocket that can stop passing bytes either way, as lost packets would."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self._flowing: asyncio.Event | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> StallingProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    async def _serve(self) -> None:
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._handlers: set[asyncio.Task[None]] = set()
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        obs_w: asyncio.StreamWriter | None = None
        try:
            obs_r, obs_w = await asyncio.open_connection("127.0.0.1", self.target_port)
            await asyncio.gather(self._pump(client_r, obs_w), self._pump(obs_r, client_w), return_exceptions=True)
        finally:
            for writer in (client_w, obs_w):
                if writer is not None:
                    writer.close()
                    with contextlib.suppress(Exception):
                        await writer.wait_closed()
            self._handlers.discard(task)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        assert self._flowing is not None
        while data := await reader.read(65536):
            await self._flowing.wait()  # stalled: the bytes wait here, nothing reaches the other side
            writer.write(data)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()

    def stall(self, seconds: float) -> None:
        assert self._flowing is not None
        self.loop.call_soon_threadsafe(self._flowing.clear)
        time.sleep(seconds)
        self.loop.call_soon_threadsafe(self._flowing.set)


@pytest.fixture
def proxy(applied: LaunchState) -> Iterator[StallingProxy]:
    current = launcher.read_state(applied.folder) or applied
    with StallingProxy(current.port) as found:
        yield found


def test_control_link_stalls_runner_reconnects_and_the_stream_stays_on_air(
    applied: LaunchState,
    samples: SampleSet,
    nginx_rtmp: RtmpServer,
    proxy: StallingProxy,
    tmp_path: Path,
    report: list[Row],
) -> None:
    rundown = tmp_path / "stall.json"
    segment = {
        "name": "开场",
        "scene": "开场",
        "duration": 25,
        "on_start": {"stream": "start"},
        "cues": [{"at": 1, "lower_third": {"name": "清明"}}, {"at": 8, "hide": "字幕条"}, {"at": 20, "show": "字幕条"}],
    }
    rundown.write_text(
        json.dumps(
            {
                "version": 1,
                "title": "stall",
                "record": False,
                "stream_target": "local",
                "segments": [{**segment, "on_end": {"stream": "stop"}}],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    current = launcher.read_state(applied.folder) or applied
    env = env_for(
        applied,
        samples,
        tmp_path,
        STREAMKIT_OBS__PORT=str(proxy.port),
        STREAMKIT_OBS__PASSWORD=current.password(),
        STREAMKIT_TARGETS__LOCAL__URL=nginx_rtmp.url,
        STREAMKIT_TARGETS__LOCAL__KEY="stall",
    )
    argv = [sys.executable, "-m", "streamkit", "ceremony", "run", str(rundown), "--auto", "--scenes", "scenes"]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    with subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, **pipes) as run:  # type: ignore[call-overload]
        deadline = time.monotonic() + 60
        while not any(nginx_rtmp.record_dir.glob("stall*.flv")):
            assert time.monotonic() < deadline and run.poll() is None, "the stream never reached the receiver"
            time.sleep(0.1)
        time.sleep(2.0)
        proxy.stall(STALL_S)
        out, errors = run.communicate(timeout=120)
    summary = json.loads(out)
    entries = read_log(Path(summary["log"]))
    kinds = [e["kind"] for e in entries if e["event"] == "link"]
    report.append(Row(f"control link stalled {STALL_S:g} s", "reconnected" if "resynced" in kinds else "FAIL", 0.0))
    assert run.returncode == 0, errors
    assert kinds == ["lost", "resynced"]  # the heartbeat found the dead link; no abort
    assert (summary["stream_interruptions"], summary["off_air_s"]) == (0, 0.0)  # OBS streamed on meanwhile
    handled = [(e["event"], e["cue"]) for e in entries if e["event"] in ("cue", "skipped")]
    assert sorted(cue for _, cue in handled) == [0, 1, 2]  # each cue fired or skipped, once
