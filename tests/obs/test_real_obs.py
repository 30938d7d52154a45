"""Against a real headless OBS 29 (Xvfb), a real nginx-rtmp on 127.0.0.1 and real ffprobe (marker ``obs``)."""

from __future__ import annotations

import asyncio
import base64
import io
import itertools
import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageStat

from streamkit.archive.store import ArchiveStore
from streamkit.ceremony.asrun import AsRunLog, read_log
from streamkit.ceremony.rundown import Rundown
from streamkit.ceremony.runner import CeremonyRunner
from streamkit.ceremony.status import Action, Command, RunOptions
from streamkit.errors import ObsRequestError
from streamkit.media.probe import probe
from streamkit.media.samples import SampleSet
from streamkit.obs import launcher
from streamkit.obs.client import ObsClient, ObsConnection, ObsEvent
from streamkit.obs.launcher import LaunchState
from tests.conftest import ROOT, run_cli
from tests.obs.conftest import RtmpServer

pytestmark = pytest.mark.obs

SCENES = ROOT / "scenes"
SAMPLE_RUNDOWN = ROOT / "config" / "ceremonies" / "qingming-sample.yaml"
OUTPUT_NOT_RUNNING = 501  # obs-websocket v5 RequestStatus


def env_for(state: LaunchState, samples: SampleSet, tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "STREAMKIT_OBS__LAUNCH_DIR": state.folder,
        "STREAMKIT_OBS__MEDIA_ROOT": str(samples.logo.parent),
        "STREAMKIT_OBS__OVERLAY_DIR": str(tmp / "overlays"),
        "STREAMKIT_RUNS_DIR": str(tmp / "runs"),
        **extra,
    }


def connection(state: LaunchState) -> ObsConnection:
    current = launcher.read_state(state.folder) or state
    return ObsConnection("127.0.0.1", current.port, current.password())


def obs_call(state: LaunchState, request: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    async def call() -> dict[str, Any]:
        async with ObsClient(connection(state), heartbeat_s=0, reconnect=False) as client:
            return await client.call(request, data)

    return asyncio.run(call())


@pytest.fixture(scope="module")
def applied(headless_obs: LaunchState, samples: SampleSet, tmp_path_factory: pytest.TempPathFactory) -> LaunchState:
    done = run_cli(["obs", "apply", str(SCENES)], env=env_for(headless_obs, samples, tmp_path_factory.mktemp("a")))
    assert done.returncode == 0, done.stderr
    return headless_obs


class EventRecorder:
    """Listens to OBS on its own connection and thread, independent of the code under test."""

    def __init__(self, state: LaunchState) -> None:
        self.events: list[ObsEvent] = []
        self._state = state
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._listen()), daemon=True)

    async def _listen(self) -> None:
        async with ObsClient(connection(self._state), heartbeat_s=0, reconnect=False) as client:
            client.on_event(self.events.append)
            self._ready.set()
            while not self._stop.is_set():
                await asyncio.sleep(0.05)

    def __enter__(self) -> EventRecorder:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def program_scenes(self) -> list[str]:
        return [str(e.data["sceneName"]) for e in self.events if e.type == "CurrentProgramSceneChanged"]


def test_launch_status_stop_from_the_command_line_keeps_the_password_off_argv(tmp_path: Path) -> None:
    folder = tmp_path / "obs"
    env = {"STREAMKIT_OBS__LAUNCH_DIR": str(folder)}
    try:
        launched = run_cli(["obs", "launch", "--port", "0"], env=env)
        assert launched.returncode == 0, launched.stderr
        state = launcher.read_state(folder)
        assert state is not None
        password = state.password()
        assert password not in launched.stdout  # it says where the password is, not what it is
        assert (folder / "websocket-password").stat().st_mode & 0o077 == 0
        for pid in (state.obs_pid, state.xvfb_pid):
            assert password not in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
        status = run_cli(["obs", "status"], env=env)
        assert status.returncode == 0 and "obs-websocket 5." in status.stdout
    finally:
        stopped = run_cli(["obs", "stop"], env=env)
    assert stopped.returncode == 0 and "OBS stopped" in stopped.stdout
    assert _gone(state.obs_pid) and _gone(state.xvfb_pid)


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] == "Z"  # a zombie has already exited
    except FileNotFoundError:
        return True


def test_apply_twice_changes_nothing_the_second_time_and_keeps_what_it_does_not_own(
    headless_obs: LaunchState, samples: SampleSet, tmp_path: Path
) -> None:
    env = env_for(headless_obs, samples, tmp_path)
    first = run_cli(["obs", "apply", str(SCENES)], env=env)
    assert first.returncode == 0, first.stderr
    scenes = {s["sceneName"] for s in obs_call(headless_obs, "GetSceneList")["scenes"]}
    assert {"开场", "敬献花篮", "默哀", "祭扫", "英名录", "结束", "待机"} <= scenes
    settings = obs_call(headless_obs, "GetInputSettings", {"inputName": "开场视频"})["inputSettings"]
    assert settings["streamkit_owned"] is True
    assert settings["local_file"] == str((samples.logo.parent / "clips" / "memorial-gate.mp4").resolve())
    # an operator adds their own camera to one of our scenes: apply must leave it alone
    obs_call(
        headless_obs,
        "CreateInput",
        {
            "sceneName": "开场",
            "inputName": "operator camera",
            "inputKind": "color_source_v3",
            "inputSettings": {"color": 4278255360},
        },
    )
    second = run_cli(["obs", "apply", str(SCENES)], env=env)
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout
    items = [i["sourceName"] for i in obs_call(headless_obs, "GetSceneItemList", {"sceneName": "开场"})["sceneItems"]]
    assert "operator camera" in items and "字幕条" in items
    obs_call(headless_obs, "RemoveInput", {"inputName": "operator camera"})


def test_ceremony_check_passes_on_the_prepared_obs(applied: LaunchState, samples: SampleSet, tmp_path: Path) -> None:
    env = env_for(applied, samples, tmp_path, STREAMKIT_TARGETS__LOCAL__KEY="k")
    done = run_cli(["ceremony", "check", str(SAMPLE_RUNDOWN), "--scenes", str(SCENES)], env=env)
    assert done.returncode == 0, done.stderr
    assert "ok: OBS 29" in done.stdout or "ok: OBS 3" in done.stdout
    assert done.stdout.strip().splitlines()[-1].startswith("ready: 清明节网上祭扫仪式, 6 segments")


def test_sample_rundown_auto_switches_scenes_records_streams_and_logs(
    applied: LaunchState, samples: SampleSet, nginx_rtmp: RtmpServer, tmp_path: Path
) -> None:
    env = env_for(
        applied,
        samples,
        tmp_path,
        STREAMKIT_TARGETS__LOCAL__URL=nginx_rtmp.url,
        STREAMKIT_TARGETS__LOCAL__KEY="qingming-test-key",
        STREAMKIT_WEB__DATABASE_URL=f"sqlite:///{tmp_path / 'site.db'}",
        STREAMKIT_WEB__MEDIA_DIR=str(tmp_path / "media"),
    )
    rundown = Rundown.model_validate(_yaml(SAMPLE_RUNDOWN))
    obs_call(applied, "SetCurrentProgramScene", {"sceneName": "待机"})  # so the first take is a real switch
    with EventRecorder(applied) as recorder:
        run = ["ceremony", "run", str(SAMPLE_RUNDOWN), "--auto", "--time-scale", "0.05", "--publish"]
        done = run_cli(run, env=env)
    assert done.returncode == 0, done.stderr + done.stdout
    assert "qingming-test-key" not in done.stdout + done.stderr
    wanted = [s.scene for s in rundown.segments]
    seen = recorder.program_scenes()
    while seen and seen[0] == "待机":  # our own switch above may still be fading when the recorder starts
        seen.pop(0)
    assert seen == wanted

    log_file = next((tmp_path / "runs").glob("*.jsonl"))
    entries = read_log(log_file)
    assert "qingming-test-key" not in log_file.read_text(encoding="utf-8")
    starts = [e for e in entries if e["event"] == "segment_start"]
    assert [e["name"] for e in starts] == [s.name for s in rundown.segments]
    assert all(e["result"] == "ok" for e in starts)
    cues = [e for e in entries if e["event"] == "cue"]
    assert len(cues) == sum(len(s.cues) for s in rundown.segments)
    assert all(c["result"] == "ok" and c["latency_ms"] is not None for c in cues)
    states = [(e["output"], e["state"]) for e in entries if e["event"] == "output"]
    assert ("stream", "started") in states and ("record", "started") in states and ("record", "stopped") in states
    summary = entries[-1]
    assert summary["event"] == "summary" and summary["cues"] == {"ok": len(cues)}

    # the recording is a valid file as long as the record was on, with chapters beside it
    record_start = next(
        e["epoch"] for e in entries if e["event"] == "output" and e["state"] == "started" and e["output"] == "record"
    )
    record_stop = next(
        e for e in entries if e["event"] == "output" and e["output"] == "record" and e["state"] == "stopped"
    )
    recording = Path(record_stop["path"])
    info = probe(recording)
    assert info.video and abs(info.duration_ms / 1000 - (record_stop["epoch"] - record_start)) < 1.0
    chapters = recording.with_suffix(".vtt").read_text(encoding="utf-8")
    assert chapters.startswith("WEBVTT") and all(s.name in chapters for s in rundown.segments)

    # --publish: the recording is on the archive site as a seekable MP4 with its chapters and a poster
    store = ArchiveStore(env["STREAMKIT_WEB__DATABASE_URL"], tmp_path / "media")
    try:
        (entry,) = store.list_entries().items
        assert entry.kind == "recording" and entry.title == rundown.title
        assert entry.media_file.endswith(".mp4") and entry.poster_file and entry.chapters_file
        assert abs(entry.duration_ms - info.duration_ms) < 500
        published_chapters = (tmp_path / "media" / entry.chapters_file).read_text(encoding="utf-8")
        assert all(s.name in published_chapters for s in rundown.segments)
    finally:
        store.dispose()

    # still overlays written at run start are on screen (OBS would not notice a file that appeared later by itself)
    for scene in ("英名录", "待机"):
        assert max(ImageStat.Stat(_screenshot(applied, scene)).stddev) > 10, f"{scene} shows only its background"

    # the stream reached nginx: it recorded what OBS published under our key
    time.sleep(1.0)
    published = sorted(nginx_rtmp.record_dir.glob("qingming-test-key*.flv"))
    assert published, f"nothing published to nginx; {list(nginx_rtmp.record_dir.iterdir())}"
    assert probe(published[-1]).video


def test_lower_third_cue_is_visible_in_a_screenshot(applied: LaunchState, samples: SampleSet, tmp_path: Path) -> None:
    rundown = Rundown.model_validate(
        {
            "version": 1,
            "title": "lower-third",
            "record": False,
            "segments": [
                {
                    "name": "开场",
                    "scene": "开场",
                    "duration": 6,
                    "cues": [{"at": 0, "lower_third": {"name": "张三", "detail": "烈士亲属代表"}}],
                }
            ],
        }
    )
    obs_call(applied, "SetCurrentSceneTransition", {"transitionName": "Cut"})
    obs_call(applied, "SetCurrentProgramScene", {"sceneName": "开场"})
    item = obs_call(applied, "GetSceneItemId", {"sceneName": "开场", "sourceName": "字幕条"})["sceneItemId"]
    obs_call(applied, "SetSceneItemEnabled", {"sceneName": "开场", "sceneItemId": item, "sceneItemEnabled": False})
    before = _screenshot(applied, "开场")

    async def scenario() -> Image.Image:
        with AsRunLog(tmp_path / "run.jsonl") as log:
            async with ObsClient(connection(applied)) as client:
                runner = _auto_runner(client, rundown, log, tmp_path, samples)
                task = asyncio.create_task(runner.run())
                while not any(e["event"] == "cue" for e in runner.entries):
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.5)  # the image source loads the new PNG on the next frames
                shot = await asyncio.to_thread(_screenshot, applied, "开场")
                runner.commands.put_nowait(Command(Action.END))
                await task
                return shot

    after = asyncio.run(scenario())
    obs_call(applied, "SetCurrentSceneTransition", {"transitionName": "Fade"})
    # where the rendered lower-third is opaque, the program picture must now differ; elsewhere it must not
    drawn = max((tmp_path / "overlays").glob("lower-third-*.png"), key=lambda p: p.stat().st_mtime)
    box = Image.open(drawn).getchannel("A").getbbox()
    assert box is not None
    inside = ImageStat.Stat(ImageChops.difference(before.crop(box), after.crop(box)).convert("L")).mean[0]
    top = (0, 0, 640, 60)
    outside = ImageStat.Stat(ImageChops.difference(before.crop(top), after.crop(top)).convert("L")).mean[0]
    assert inside > 25, f"lower third area barely changed ({inside:.1f})"
    assert inside > outside * 2


def _auto_runner(
    client: ObsClient, rundown: Rundown, log: AsRunLog, tmp_path: Path, samples: SampleSet
) -> CeremonyRunner:
    options = RunOptions(auto=True)
    return CeremonyRunner(
        client, rundown, log, options=options, overlay_dir=tmp_path / "overlays", media_root=samples.logo.parent
    )


def _screenshot(state: LaunchState, source: str) -> Image.Image:
    data = obs_call(state, "GetSourceScreenshot", {"sourceName": source, "imageFormat": "png", "imageWidth": 640})
    raw = base64.b64decode(data["imageData"].split(",", 1)[1])
    return Image.open(io.BytesIO(raw)).convert("RGB")


def test_wrong_password_is_one_clear_error(applied: LaunchState, samples: SampleSet, tmp_path: Path) -> None:
    env = env_for(
        applied,
        samples,
        tmp_path,
        STREAMKIT_OBS__PASSWORD="not-the-password-7781",
        STREAMKIT_OBS__PORT=str(connection(applied).port),
    )
    done = run_cli(["obs", "status"], env=env)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: OBS refused the websocket password (close code 4009)")
    assert "7781" not in done.stderr + done.stdout and "Traceback" not in done.stderr


def test_stream_with_rtmp_server_down_is_reported_failed(
    applied: LaunchState, samples: SampleSet, tmp_path: Path
) -> None:
    rundown = tmp_path / "down.yaml"
    rundown.write_text(
        json.dumps(
            {
                "version": 1,
                "title": "rtmp down",
                "stream_target": "local",
                "record": False,
                "segments": [{"name": "开场", "scene": "开场", "duration": 1, "on_start": {"stream": "start"}}],
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    closed_port = launcher.free_port()
    env = env_for(
        applied,
        samples,
        tmp_path,
        STREAMKIT_TARGETS__LOCAL__URL=f"rtmp://127.0.0.1:{closed_port}/live",
        STREAMKIT_TARGETS__LOCAL__KEY="down-key-5521",
    )
    done = run_cli(["--debug", "ceremony", "run", str(rundown), "--auto"], env=env)
    assert done.returncode == 1
    assert "5521" not in done.stdout + done.stderr  # not even in debug logs
    entries = read_log(next((tmp_path / "runs").glob("*.jsonl")))
    command = next(e for e in entries if e["event"] == "output_command" and e["output"] == "stream")
    assert command["result"] == "failed" and "failed to start" in command["detail"]
    assert ("stream", "started") not in [(e.get("output"), e.get("state")) for e in entries if e["event"] == "output"]
    assert not obs_call(applied, "GetStreamStatus")["outputActive"]


def test_obs_killed_mid_run_runner_reconnects_resyncs_and_finishes(
    applied: LaunchState, samples: SampleSet, tmp_path: Path
) -> None:
    rundown = Rundown.model_validate(
        {
            "version": 1,
            "title": "crash drill",
            "record": True,
            "segments": [
                {"name": "开场", "scene": "开场", "duration": 3, "on_start": {"record": "start"}},
                {
                    "name": "敬献花篮",
                    "scene": "敬献花篮",
                    "duration": 3,
                    "cues": [{"at": 1, "lower_third": {"name": "敬献花篮"}}, {"at": 2.5, "hide": "字幕条"}],
                },
                {"name": "默哀", "scene": "默哀", "duration": 3, "countdown": "倒计时"},
                {"name": "结束", "scene": "结束", "duration": 3, "on_end": {"record": "stop"}},
            ],
        }
    )

    async def scenario() -> list[dict[str, Any]]:
        with AsRunLog(tmp_path / "run.jsonl") as log:
            reread = lambda: connection(applied)  # noqa: E731 - as `ceremony run` re-reads the launch folder
            async with ObsClient(reread(), heartbeat_s=0.5, backoff_s=(0.2, 1.0), refresh=reread) as client:
                runner = _auto_runner(client, rundown, log, tmp_path, samples)
                task = asyncio.create_task(runner.run())
                while not any(e["event"] == "segment_start" and e["index"] == 1 for e in runner.entries):
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.3)
                current = launcher.read_state(applied.folder)
                assert current is not None
                launcher.kill_obs(current)
                await asyncio.sleep(3.0)  # down long enough that the rest of 敬献花篮 falls into the gap
                # relaunched as the docs say: a new OBS with a new websocket password, on the same port
                relaunch = ["obs", "launch", "--port", str(current.port)]
                done = await asyncio.to_thread(run_cli, relaunch, env={"STREAMKIT_OBS__LAUNCH_DIR": current.folder})
                assert done.returncode == 0, done.stderr
                await asyncio.wait_for(task, 60)
                return runner.entries

    entries = asyncio.run(scenario())
    kinds = [e["event"] for e in entries]
    link = [e for e in entries if e["event"] == "link"]
    assert [e["kind"] for e in link] == ["lost", "resynced"] and link[1]["gap_s"] > 2.0
    lost_at = kinds.index("link")
    assert "skipped" in kinds[lost_at:] or "jump" in kinds[lost_at:]
    # never replayed: every cue is either fired once or skipped once
    fired = {(e["segment"], e["cue"]) for e in entries if e["event"] == "cue"}
    skipped = {(e["segment"], e["cue"]) for e in entries if e["event"] == "skipped"}
    assert fired.isdisjoint(skipped) and fired | skipped == {(1, 0), (1, 1)}
    reasserted = [e for e in entries if e["event"] == "reassert"]
    assert any(e["kind"] == "record" for e in reasserted)
    assert [e["name"] for e in entries if e["event"] in ("segment_start", "jump")][-1] == "结束"
    assert entries[-1]["event"] == "summary" and entries[-1]["link_gaps_s"]
    assert len(entries[-1]["recordings"]) == 2  # one cut short by the crash, one after the relaunch
    assert os.path.exists(entries[-1]["recordings"][-1])
    # chapters beside both, also beside the recording the crash cut (OBS never said it stopped)
    for recording in entries[-1]["recordings"]:
        chapters = Path(recording).with_suffix(".vtt").read_text(encoding="utf-8")
        assert chapters.startswith("WEBVTT") and "-->" in chapters
    assert sorted(entries[-1]["chapters"]) == sorted(
        str(Path(r).with_suffix(".vtt")) for r in entries[-1]["recordings"]
    )


def _keyframes(path: Path) -> list[float]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v", "-skip_frame", "nokey", "-show_entries", "frame=pts_time",
         "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return [float(line.strip(",")) for line in done.stdout.split() if line.strip(",")]


def test_stream_starts_with_a_keyframe_and_has_one_every_two_seconds(
    applied: LaunchState, nginx_rtmp: RtmpServer
) -> None:
    obs_call(
        applied,
        "SetStreamServiceSettings",
        {"streamServiceType": "rtmp_custom", "streamServiceSettings": {"server": nginx_rtmp.url, "key": "gop-check"}},
    )
    obs_call(applied, "StartRecord")  # the recording shares the encoder and starts first, as in a ceremony
    time.sleep(1.0)
    obs_call(applied, "StartStream")
    streamed = time.monotonic()
    while not obs_call(applied, "GetStreamStatus")["outputActive"]:
        time.sleep(0.1)
    time.sleep(6.0)
    obs_call(applied, "StopStream")
    streamed = time.monotonic() - streamed
    obs_call(applied, "StopRecord")
    time.sleep(1.0)
    received = max(nginx_rtmp.record_dir.glob("gop-check*.flv"), key=lambda p: p.stat().st_mtime)
    keyframes = _keyframes(received)
    gaps = [b - a for a, b in itertools.pairwise(keyframes)]
    assert len(keyframes) >= 3 and max(gaps) <= 2.05, f"keyframes at {keyframes}"
    # the receiver's copy starts within 2.5 s of the program, not at the encoder's next default keyframe
    assert probe(received).duration_ms / 1000 >= streamed - 2.5


def _yaml(path: Path) -> Any:
    import yaml

    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.fixture(autouse=True)
def _no_stray_output(applied: LaunchState) -> Iterator[None]:
    yield
    for request, status in (("StopStream", "GetStreamStatus"), ("StopRecord", "GetRecordStatus")):
        if obs_call(applied, status)["outputActive"]:
            try:
                obs_call(applied, request)
            except ObsRequestError as refused:
                # 501 OutputNotRunning: an output still stopping when asked had stopped by the time of the request
                if refused.code != OUTPUT_NOT_RUNNING:
                    raise
