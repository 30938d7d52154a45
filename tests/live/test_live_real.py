"""The live push against real pieces: the nginx-rtmp relay, three nginx-rtmp receivers, ffmpeg legs and a program.

Each test waits for events (a leg going live, a receiver getting bytes) with a bound, never for a fixed time.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import signal
import stat
import sys
import urllib.request
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

import pytest

from streamkit.config.settings import LiveSettings
from streamkit.live.destinations import Target
from streamkit.live.leg import LegState
from streamkit.live.run import LiveRun
from streamkit.media.runner import run_tool
from streamkit.media.tools import ffprobe_binary
from tests.live.conftest import Receiver, TlsTerminator, wait_for

Program = Callable[[str, float], Popen[bytes]]
PROGRAM_CAP_S = 60.0  # the test program ends by itself after this, whatever happens


def _state(run: LiveRun, name: str) -> LegState | None:
    return next((v.state for v in run.legs.views() if v.name == name), None)


def _video_times(recording: Path) -> list[float]:
    argv = [ffprobe_binary(), "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time"]
    out = run_tool([*argv, "-of", "csv=p=0", str(recording)]).stdout.decode()
    # a packet with side data (a new codec header after a switch) gets an empty extra column: "2.651000,"
    values = (line.strip().rstrip(",") for line in out.split())
    return sorted(float(v) for v in values if v and v != "N/A")


def _largest_gap_s(times: list[float]) -> float:
    return max(b - a for a, b in itertools.pairwise(times))


def _events(run_dir: Path) -> list[dict[str, object]]:
    lines = (run_dir / "events.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


def test_relay_serves_hls_from_a_private_config(live_settings: LiveSettings, program: Program) -> None:
    run = LiveRun(live_settings, []).start()
    try:
        assert stat.S_IMODE(run.plan.conf_path.stat().st_mode) == 0o600
        program(run.plan.program_url, PROGRAM_CAP_S)
        wait_for(lambda: run.relay.program().publishing, "the program on the relay")
        playlist = run.plan.hls_dir / "program.m3u8"
        wait_for(lambda: playlist.exists() and ".ts" in playlist.read_text(encoding="utf-8"), "an HLS playlist")
        with urllib.request.urlopen(run.plan.hls_url, timeout=5) as response:
            assert response.headers["Cache-Control"] == "public, max-age=1"
            assert b"#EXTM3U" in response.read()
    finally:
        run.stop()
    assert run.relay.process is None and json.loads((live_settings.run_dir / "status.json").read_text())["pid"] is None


def test_a_receiver_that_dies_does_not_touch_the_others_and_its_leg_comes_back(
    live_settings: LiveSettings, receivers: list[Receiver], program: Program
) -> None:
    steady_a, dying, steady_b = receivers
    targets = [Target(f"leg{n}", r.server, f"key-{n}?sig=s{n}") for n, r in enumerate(receivers)]
    run = LiveRun(live_settings, targets).start()
    try:
        feed = program(run.plan.program_url, PROGRAM_CAP_S)
        wait_for(lambda: all(_state(run, t.name) is LegState.LIVE for t in targets), "every leg live")
        wait_for(lambda: bool(dying.recordings()), "the second receiver to record")
        dying.kill()
        wait_for(lambda: _state(run, "leg1") in (LegState.RETRYING, LegState.CONNECTING), "the dead leg to retry")
        assert _state(run, "leg0") is LegState.LIVE and _state(run, "leg2") is LegState.LIVE
        dying.start()
        wait_for(lambda: len(dying.recordings()) == 2, "the dead leg to push to its receiver again")
        wait_for(lambda: _state(run, "leg1") is LegState.LIVE, "the dead leg live again")
        assert feed.poll() is None, "the test program ended before the leg came back"
    finally:
        run.stop()
    for steady in (steady_a, steady_b):
        (recording,) = steady.recordings()  # one publish session: never cut off
        times = _video_times(recording)
        assert _largest_gap_s(times) < 0.5
        # it kept receiving for as long as the dead leg's two sessions and the outage between them
        first, second = (_video_times(r) for r in dying.recordings())
        assert times[-1] - times[0] >= (first[-1] - first[0]) + (second[-1] - second[0])
    leg1 = [(e["before"], e["after"]) for e in _events(live_settings.run_dir) if e.get("leg") == "leg1"]
    assert ("live", "retrying") in leg1 or ("stalled", "retrying") in leg1
    assert leg1.count(("connecting", "live")) == 2
    others = [e for e in _events(live_settings.run_dir) if e.get("leg") in ("leg0", "leg2")]
    assert [e["after"] for e in others] == ["connecting", "connecting", "live", "live", "stopped", "stopped"]


def test_a_destination_wrong_from_the_start_does_not_hold_back_the_others(
    live_settings: LiveSettings, receivers: list[Receiver], program: Program
) -> None:
    nobody = receivers[2]
    nobody.kill()  # its port is closed: connection refused, like a wrong server URL
    targets = [
        Target("good0", receivers[0].server, "k0"),
        Target("wrong", nobody.server, "k-wrong"),
        Target("good1", receivers[1].server, "k1"),
    ]
    run = LiveRun(live_settings, targets).start()
    try:
        assert run.legs.views() == []  # no program on the relay yet: the legs wait instead of spending retries
        program(run.plan.program_url, PROGRAM_CAP_S)
        wait_for(lambda: _state(run, "good0") is LegState.LIVE and _state(run, "good1") is LegState.LIVE, "good legs")
        wait_for(lambda: any(v.name == "wrong" and v.attempts >= 2 for v in run.legs.views()), "two failed attempts")
        wrong = next(v for v in run.legs.views() if v.name == "wrong")
        assert wrong.state is not LegState.LIVE and "Connection refused" in wrong.last_error
        assert wrong.last_error.startswith(f"{nobody.server}/***")
    finally:
        run.stop()
    assert all(len(r.recordings()) == 1 for r in receivers[:2]) and nobody.recordings() == []


def test_an_rtmps_destination_goes_live_beside_an_rtmp_one(
    tmp_path: Path, live_settings: LiveSettings, receivers: list[Receiver], program: Program
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed (apt-get install openssl)")
    tls = TlsTerminator(tmp_path / "tls", receivers[1].port).start()
    try:
        targets = [Target("plain", receivers[0].server, "k0"), Target("secure", tls.server_url, "k1?sig=s")]
        assert targets[1].protocol == "RTMPS"
        run = LiveRun(live_settings, targets).start()
        try:
            program(run.plan.program_url, PROGRAM_CAP_S)
            wait_for(lambda: _state(run, "secure") is LegState.LIVE, "the RTMPS leg live")
            wait_for(lambda: bool(receivers[1].recordings()), "the receiver behind TLS to record")
        finally:
            run.stop()
    finally:
        tls.stop()
    assert _state(run, "plain") is LegState.STOPPED
    secure = [(e["before"], e["after"]) for e in _events(live_settings.run_dir) if e.get("leg") == "secure"]
    assert ("connecting", "live") in secure


def test_a_relay_that_dies_is_started_again_and_the_legs_follow(
    live_settings: LiveSettings, receivers: list[Receiver], program: Program
) -> None:
    receiver = receivers[0]
    run = LiveRun(live_settings, [Target("leg0", receiver.server, "k0")]).start()
    try:
        program(run.plan.program_url, PROGRAM_CAP_S)
        wait_for(lambda: _state(run, "leg0") is LegState.LIVE, "the leg live")
        first = run.relay.process
        assert first is not None
        first.send_signal(signal.SIGKILL)
        wait_for(lambda: run.relay.running and run.relay.process is not first, "the relay started again")
        program(run.plan.program_url, PROGRAM_CAP_S)  # OBS reconnects by itself; the test program does not
        wait_for(lambda: len(receiver.recordings()) == 2, "the receiver to get the program again")
        wait_for(lambda: _state(run, "leg0") is LegState.LIVE, "the leg live again")
    finally:
        run.stop()
    relay = [e["state"] for e in _events(live_settings.run_dir) if e["event"] == "relay"]
    assert relay == ["exited", "restarted"]


def _tree(pid: int) -> list[int]:
    """``pid`` and every process below it (started from any of its threads)."""
    found = [pid]
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            for child in children.read_text().split():
                found += _tree(int(child))
        except OSError:
            continue  # the thread ended meanwhile
    return found


def _cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").rstrip("\0").split("\0")
    except OSError:
        return []


def test_no_key_in_logs_files_output_or_command_lines_but_the_legs_own(
    tmp_path: Path, live_settings: LiveSettings, receivers: list[Receiver]
) -> None:
    clip = tmp_path / "program.mp4"
    run_tool(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=320x180:rate=25:duration=2", "-f", "lavfi",
              "-i", "sine=duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac",
              "-shortest", str(clip)], timeout_s=60)  # fmt: skip
    keys = {"good": "GoodKey7f3a?txSecret=GoodSig91", "refused": "RefusedKey5b1c?sign=RefusedSig22"}
    receivers[2].kill()
    env = {
        **os.environ,
        "PYTHONPATH": str(Path.cwd()),
        "STREAMKIT_SECRETS_FILE": str(tmp_path / "no-secrets.yaml"),
        "STREAMKIT_LIVE__RUN_DIR": str(live_settings.run_dir),
        "STREAMKIT_LIVE__RELAY_PORT": str(live_settings.relay_port),
        "STREAMKIT_LIVE__RELAY_HTTP_PORT": str(live_settings.relay_http_port),
        "STREAMKIT_LIVE__RETRY_FIRST_S": "0.3",
        "STREAMKIT_LIVE__DESTINATIONS__GOOD__URL": receivers[0].server,
        "STREAMKIT_LIVE__DESTINATIONS__GOOD__KEY": keys["good"],
        "STREAMKIT_LIVE__DESTINATIONS__REFUSED__URL": receivers[2].server,
        "STREAMKIT_LIVE__DESTINATIONS__REFUSED__KEY": keys["refused"],
    }
    secrets = [part for key in keys.values() for part in key.replace("?", "=").split("=")[::2]]
    out, err = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    argv = [sys.executable, "-m", "streamkit", "--debug", "live", "run", "--source-url", str(clip), "--seconds", "60"]
    with out.open("wb") as stdout, err.open("wb") as stderr:
        cli = Popen(argv, env=env, stdout=stdout, stderr=stderr, cwd=tmp_path)
        try:
            status = live_settings.run_dir / "status.json"

            def legs() -> dict[str, dict[str, object]]:
                try:
                    return {leg["name"]: leg for leg in json.loads(status.read_text())["legs"]}
                except (OSError, ValueError, KeyError):
                    return {}

            wait_for(lambda: legs().get("good", {}).get("state") == "live", "the good leg live")
            wait_for(lambda: int(legs().get("refused", {}).get("attempts", 0)) >= 2, "the refused leg to retry")
            lines = {pid: _cmdline(pid) for pid in _tree(cli.pid)}
        finally:
            cli.terminate()
            cli.wait(20)
    assert cli.returncode == 0, err.read_text()
    leg_args = []
    for pid, args in lines.items():
        holding = [a for a in args if any(s in a for s in secrets)]
        if holding:
            # ffmpeg takes an output URL only on its command line: the leg's own process is the one exception
            assert holding == [args[-1]] and args[-1].startswith(("rtmp://", "rtmps://")), (pid, args[:3])
            leg_args.append(args[-1])
    assert len(leg_args) >= 1, "the leg processes were not found"
    scanned = [out, err, *(p for p in live_settings.run_dir.rglob("*") if p.is_file())]
    scanned = [p for p in scanned if p != live_settings.run_dir / "relay" / "nginx.conf"]
    assert any(p.name == "refused.log" for p in scanned) and any(p.name == "events.jsonl" for p in scanned)
    for path in scanned:
        text = path.read_bytes().decode(errors="replace")
        assert not [s for s in secrets if s in text], path
    assert "Connection refused" in (live_settings.run_dir / "legs" / "refused.log").read_text()


def _codec_headers(recording: Path) -> int:
    """How many AVC sequence headers a recording holds: 1, plus one per switch the receiver's side wrote down
    (ffmpeg writes one only when it differs from the last, so a quick switch back may not add one)."""
    from streamkit.live.flv import read_tags

    with recording.open("rb") as handle:
        return sum(1 for tag in read_tags(handle) if tag.kind == 9 and tag.is_header)


def test_the_slate_keeps_every_leg_and_the_page_going_while_obs_is_away(
    live_settings: LiveSettings, receivers: list[Receiver], program: Program
) -> None:
    targets = [Target(f"leg{n}", r.server, f"k{n}") for n, r in enumerate(receivers[:2])]
    run = LiveRun(live_settings, targets).start()
    try:
        obs = program(run.plan.program_url, PROGRAM_CAP_S)
        wait_for(lambda: all(_state(run, t.name) is LegState.LIVE for t in targets), "every leg live")
        wait_for(lambda: run.on_air is not None and run.on_air.value == "program", "the program on air")
        obs.kill()  # OBS crashes: no goodbye to the relay
        wait_for(lambda: run.on_air is not None and run.on_air.value == "standby", "the slate on air")
        fragments_then = sorted(run.plan.hls_dir.glob("*.ts"))
        wait_for(lambda: sorted(run.plan.hls_dir.glob("*.ts"))[-1:] != fragments_then[-1:], "HLS going on on the slate")
        assert all(_state(run, t.name) is LegState.LIVE for t in targets)
        program(run.plan.program_url, PROGRAM_CAP_S)  # OBS is back
        wait_for(lambda: run.on_air is not None and run.on_air.value == "program", "the program on air again")
        wait_for(lambda: all(_state(run, t.name) is LegState.LIVE for t in targets), "every leg still live")
    finally:
        run.stop()
    for receiver in receivers[:2]:
        (recording,) = receiver.recordings()  # one publish session from start to end: the platform never saw an end
        times = _video_times(recording)
        assert _largest_gap_s(times) < 2.0
        assert _codec_headers(recording) >= 2  # the slate reached the platform, inside the same session
        decode = run_tool(["ffmpeg", "-v", "error", "-i", str(recording), "-f", "null", "-"], timeout_s=120)
        assert decode.returncode == 0 and b"decode_slice_header error" not in decode.stderr
    on_air = [e["source"] for e in _events(live_settings.run_dir) if e["event"] == "on_air"]
    assert on_air[:3] == ["program", "standby", "program"]
    legs = [(e["leg"], e["after"]) for e in _events(live_settings.run_dir) if e.get("event") == "leg"]
    assert [after for _, after in legs].count("retrying") == 0
