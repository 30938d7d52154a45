"""The live push with the real headless OBS as the program: OBS streams to the relay, the legs carry it to receivers.

The other live tests use an ffmpeg program in OBS's place; this one proves OBS's own stream (its encoder settings,
its RTMP handshake, its audio track) goes through the relay, the standby switch and the legs unchanged.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from streamkit.config.settings import LiveSettings
from streamkit.live.destinations import Target
from streamkit.live.leg import LegState
from streamkit.live.run import LiveRun
from streamkit.media.runner import run_tool
from streamkit.media.tools import ffprobe_binary
from streamkit.obs import launcher
from streamkit.obs.client import ObsClient, ObsConnection
from streamkit.obs.launcher import LaunchState
from tests.live.conftest import WAIT_S, Receiver, wait_for
from tests.obs.conftest import headless_obs as headless_obs  # the session's real OBS, 640x360

pytestmark = pytest.mark.obs


def _obs_call(state: LaunchState, request: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    current = launcher.read_state(state.folder) or state
    connection = ObsConnection("127.0.0.1", current.port, current.password())

    async def call() -> dict[str, Any]:
        async with ObsClient(connection, heartbeat_s=0, reconnect=False) as client:
            return await client.call(request, data)

    return asyncio.run(call())


def _streaming(state: LaunchState) -> bool:
    return bool(_obs_call(state, "GetStreamStatus")["outputActive"])


def _video(recording: Path) -> dict[str, Any]:
    """The first video stream of a recording as ffprobe decodes it (frames counted by decoding, not by headers)."""
    fields = "stream=codec_name,width,height,nb_read_frames"
    argv = [ffprobe_binary(), "-v", "error", "-select_streams", "v:0", "-count_frames",
            "-show_entries", fields, "-of", "json", str(recording)]  # fmt: skip
    streams = json.loads(run_tool(argv, timeout_s=120).stdout or b"{}").get("streams", [])
    return dict(streams[0]) if streams else {}


def _packets(recording: Path) -> int:
    argv = [ffprobe_binary(), "-v", "error", "-select_streams", "v:0", "-count_packets",
            "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", str(recording)]  # fmt: skip
    out = run_tool(argv, timeout_s=60).stdout.decode().strip().rstrip(",")
    return int(out) if out.isdigit() else 0


def test_real_obs_streams_through_the_relay_to_every_receiver(
    headless_obs: LaunchState, live_settings: LiveSettings, receivers: list[Receiver]
) -> None:
    targets = [Target(f"leg{n}", r.server, f"obs-key-{n}") for n, r in enumerate(receivers[:2])]
    run = LiveRun(live_settings, targets).start()
    try:
        server, key = run.plan.program_url.rsplit("/", 1)
        settings = {"server": server, "key": key}
        _obs_call(
            headless_obs,
            "SetStreamServiceSettings",
            {"streamServiceType": "rtmp_custom", "streamServiceSettings": settings},
        )
        assert _obs_call(headless_obs, "GetStreamServiceSettings")["streamServiceSettings"]["server"] == server
        try:
            _obs_call(headless_obs, "StartStream")
            wait_for(lambda: _streaming(headless_obs), "OBS to report its stream active")
            wait_for(lambda: run.relay.program().publishing, "OBS's program on the relay")
            wait_for(lambda: run.on_air is not None and run.on_air.value == "program", "the program on air")
            states = lambda: [next((v.state for v in run.legs.views() if v.name == t.name), None) for t in targets]  # noqa: E731
            wait_for(lambda: states() == [LegState.LIVE] * len(targets), "every leg live", WAIT_S * 2)
            # two seconds of OBS's 30 fps at each receiver: more than a codec header and a keyframe
            for receiver in receivers[:2]:
                wait_for(
                    lambda r=receiver: bool(r.recordings()) and _packets(r.recordings()[-1]) >= 60,
                    f"a receiver on port {receiver.port} to record OBS's program",
                    WAIT_S * 2,
                )
            assert run.relay.program().bytes_in > 0
            assert states() == [LegState.LIVE] * len(targets)
        finally:
            if _streaming(headless_obs):
                _obs_call(headless_obs, "StopStream")
            wait_for(lambda: not _streaming(headless_obs), "OBS to stop its stream")
    finally:
        run.stop()
    assert run.relay.process is None
    assert all(v.state is LegState.STOPPED for v in run.legs.views())
    for receiver in receivers[:2]:
        (recording,) = receiver.recordings()  # one publish session per leg: OBS's stream was never cut off
        video = _video(recording)
        assert (video.get("codec_name"), video.get("width"), video.get("height")) == ("h264", 640, 360), video
        assert int(video.get("nb_read_frames", 0)) >= 60
    assert receivers[2].recordings() == []  # no leg was configured for it
    events = [json.loads(line) for line in (live_settings.run_dir / "events.jsonl").read_text().splitlines()]
    assert {"event": "standby", "state": "ready", "width": 640, "height": 360}.items() <= next(
        e for e in events if e["event"] == "standby"
    ).items()
