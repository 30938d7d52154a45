"""The ceremony commands as a user runs them: every problem at once, one line each; the console in a terminal."""

from __future__ import annotations

from pathlib import Path

from streamkit.obs.launcher import free_port
from tests.conftest import ROOT, run_cli
from tests.fakes.obs import FakeObsInThread

SAMPLE = ROOT / "config" / "ceremonies" / "qingming-sample.yaml"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "STREAMKIT_OBS__LAUNCH_DIR": str(tmp_path / "no-launch"),
        "STREAMKIT_OBS__PORT": str(free_port()),
        "STREAMKIT_OBS__MEDIA_ROOT": str(tmp_path / "no-media"),
        "STREAMKIT_RUNS_DIR": str(tmp_path / "runs"),
        **extra,
    }


def test_ceremony_check_lists_every_problem_at_once(tmp_path: Path) -> None:
    done = run_cli(["ceremony", "check", str(SAMPLE), "--scenes", str(ROOT / "scenes")], env=_env(tmp_path))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    text = "\n".join(errors)
    assert "has no key; set STREAMKIT_TARGETS__LOCAL__KEY" in text
    assert "memorial-gate.mp4 does not exist" in text and "logo.png does not exist" in text
    assert "register.csv does not exist" in text
    assert "OBS: cannot reach OBS" in text
    assert len(errors) >= 8 and "Traceback" not in done.stderr


def test_ceremony_check_draws_every_lower_third_before_air_time(tmp_path: Path) -> None:
    rundown = tmp_path / "r.yaml"
    rundown.write_text(
        "version: 1\ntitle: t\nrecord: false\nsegments:\n  - name: 开场\n    scene: 开场\n    duration: 5\n"
        "    cues:\n      - {at: 1, lower_third: {name: 张三🙂, detail: 烈士亲属}}\n"
        "      - {at: 2, lower_third: {name: 李四}}\n",
        encoding="utf-8",
    )
    done = run_cli(["ceremony", "check", str(rundown), "--scenes", str(tmp_path / "none")], env=_env(tmp_path))
    assert done.returncode == 1
    glyphs = [line for line in done.stderr.splitlines() if "lower-third" in line]
    assert len(glyphs) == 1 and "U+1F642" in glyphs[0] and "'开场'" in glyphs[0]


def test_ceremony_run_without_obs_is_refused_by_the_preflight_and_writes_no_log(tmp_path: Path) -> None:
    done = run_cli(["ceremony", "run", str(SAMPLE), "--auto", "--rehearsal"], env=_env(tmp_path))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert any(line.startswith("error: OBS: cannot reach OBS at ws://127.0.0.1:") for line in errors)
    assert not any("STREAMKIT_TARGETS__LOCAL__KEY" in line for line in errors)  # a rehearsal never streams
    assert done.stderr.strip().splitlines()[-1].endswith("not ready to go on air")
    assert "Traceback" not in done.stderr and not (tmp_path / "runs").exists()


def test_run_refuses_a_rundown_with_a_missing_scene_before_touching_obs(tmp_path: Path) -> None:
    rundown = tmp_path / "r.yaml"
    rundown.write_text(
        "version: 1\ntitle: missing scene\nsegments:\n"
        "  - {name: 开场, scene: 开场, duration: 1, on_start: {record: start}}\n"
        "  - {name: 默哀, scene: 不存在, duration: 1, on_end: {record: stop}}\n",
        encoding="utf-8",
    )
    with FakeObsInThread() as obs:
        env = _env(tmp_path, STREAMKIT_OBS__PORT=str(obs.fake.port), STREAMKIT_OBS__PASSWORD=obs.fake.password)
        done = run_cli(["ceremony", "run", str(rundown), "--auto", "--scenes", str(tmp_path / "none")], env=env)
    assert done.returncode == 1
    assert "error: scene '不存在' is not in OBS" in done.stderr and "Traceback" not in done.stderr
    assert [r for r in obs.fake.received if not r.startswith("Get")] == []  # nothing started, nothing switched
    assert not (tmp_path / "runs").exists()


def test_a_stream_interrupted_mid_ceremony_makes_the_run_fail_and_says_so(tmp_path: Path) -> None:
    rundown = tmp_path / "r.yaml"
    rundown.write_text(
        "version: 1\ntitle: outage\nrecord: false\nstream_target: local\nsegments:\n"
        "  - {name: 开场, scene: 开场, duration: 2, on_start: {stream: start}, on_end: {stream: stop}}\n",
        encoding="utf-8",
    )
    with FakeObsInThread() as obs:
        obs.fake.cut_stream_after_s = 0.2
        env = _env(
            tmp_path,
            STREAMKIT_OBS__PORT=str(obs.fake.port),
            STREAMKIT_OBS__PASSWORD=obs.fake.password,
            STREAMKIT_TARGETS__LOCAL__URL="rtmp://127.0.0.1:1/live",
            STREAMKIT_TARGETS__LOCAL__KEY="k",
        )
        done = run_cli(["ceremony", "run", str(rundown), "--auto", "--scenes", str(tmp_path / "none")], env=env)
    assert done.returncode == 1
    assert "error: the stream was interrupted (1 time(s), off air" in done.stderr
    assert '"stream_interruptions": 1' in done.stdout


def test_console_run_without_a_terminal_asks_for_auto(tmp_path: Path) -> None:
    done = run_cli(["ceremony", "run", str(SAMPLE)], env=_env(tmp_path))
    assert done.returncode == 2 and "use --auto" in done.stderr


def test_run_resume_continues_the_same_log_after_a_controller_crash(tmp_path: Path) -> None:
    import time

    from streamkit.ceremony.asrun import AsRunLog, read_log

    rundown = tmp_path / "r.yaml"
    rundown.write_text(
        "version: 1\ntitle: resume\nrecord: false\nsegments:\n"
        "  - {name: 开场, scene: 开场, duration: 12, cues: [{at: 1, show: 字幕条}, {at: 9, hide: 字幕条}]}\n"
        "  - {name: 结束, scene: 结束, duration: 1}\n",
        encoding="utf-8",
    )
    log_path = tmp_path / "runs" / "crashed.jsonl"
    crashed_at = time.time() - 4  # the controller died 4 s into 开场, after its first cue
    with AsRunLog(log_path) as log:
        log.write("run_start", title="resume", epoch=crashed_at - 0.1)
        log.write("segment_start", index=0, name="开场", scene="开场", result="ok", epoch=crashed_at)
        log.write("cue", segment=0, cue=0, kind="show", result="ok", epoch=crashed_at + 1)
    with FakeObsInThread() as obs:
        env = _env(tmp_path, STREAMKIT_OBS__PORT=str(obs.fake.port), STREAMKIT_OBS__PASSWORD=obs.fake.password)
        done = run_cli(
            ["ceremony", "run", str(rundown), "--auto", "--resume", str(log_path), "--scenes", str(tmp_path / "none")],
            env=env,
        )
    assert done.returncode == 0, done.stderr
    entries = read_log(log_path)
    after = [e["event"] for e in entries][3:]
    assert after[0] == "resume" and "run_start" not in after
    fired = [(e["segment"], e["cue"]) for e in entries if e["event"] == "cue"]
    assert fired == [(0, 0), (0, 1)]  # the first cue is not fired again; the second was still ahead
    assert [e["name"] for e in entries if e["event"] == "segment_start"] == ["开场", "结束"]
    assert obs.fake.program == "结束" and entries[-1]["event"] == "summary"


def test_operator_console_in_a_terminal_takes_next_panics_and_ends(tmp_path: Path) -> None:
    import os
    import pty
    import select
    import sys
    import time

    rundown = tmp_path / "r.yaml"
    rundown.write_text(
        "version: 1\ntitle: console\nrecord: false\nsegments:\n  - {name: 开场, scene: 开场}\n"
        "  - {name: 结束, scene: 结束, duration: 60, overrun: hold}\n",
        encoding="utf-8",
    )
    with FakeObsInThread() as obs:
        env = {
            **os.environ,
            **_env(tmp_path, STREAMKIT_OBS__PORT=str(obs.fake.port), STREAMKIT_OBS__PASSWORD=obs.fake.password),
            "COLUMNS": "120",
            "LINES": "30",
            "TERM": "xterm",
        }
        pid, fd = pty.fork()
        if pid == 0:  # the child: the command as an operator types it
            argv = [sys.executable, "-m", "streamkit", "ceremony", "run", str(rundown), "--scenes", "no-such-dir"]
            os.execvpe(sys.executable, argv, env)
        screen = b""

        def read_until(marker: bytes, timeout_s: float = 20) -> None:
            nonlocal screen
            start = len(screen)
            deadline = time.monotonic() + timeout_s
            while marker not in screen[start:] and time.monotonic() < deadline:
                if select.select([fd], [], [], 0.1)[0]:
                    try:
                        screen += os.read(fd, 65536)
                    except OSError:
                        return

        def until(predicate: object) -> bool:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not predicate():  # type: ignore[operator]
                read_until(b"\x00", 0.1)
            return bool(predicate())  # type: ignore[operator]

        read_until(b"keys: space/n next")  # the console is up and reading keys
        os.write(fd, b" ")
        assert until(lambda: obs.fake.program == "开场")
        time.sleep(0.6)  # past the GO debounce
        os.write(fd, b"n")
        assert until(lambda: obs.fake.program == "结束")
        os.write(fd, b"p")
        assert until(lambda: obs.fake.program == "待机")
        read_until(b"STANDBY", 5)  # the console shows it on its next refresh
        os.write(fd, b"q")
        read_until(b'"aborted"')
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert b"ON AIR" in screen and b"STANDBY" in screen


def test_publish_to_an_unknown_event_is_refused_before_air_time(tmp_path: Path) -> None:
    env = _env(tmp_path, STREAMKIT_WEB__DATABASE_URL=f"sqlite:///{tmp_path / 'site.db'}")
    done = run_cli(["ceremony", "run", str(SAMPLE), "--auto", "--publish", "--event", "no-such-event"], env=env)
    assert done.returncode == 2
    assert "no archive event 'no-such-event'" in done.stderr
    assert "cannot reach OBS" not in done.stderr  # refused before connecting, so before anything went on air
    assert not (tmp_path / "runs").exists()


def test_obs_relaunched_with_a_new_password_mid_run_is_rejoined(tmp_path: Path) -> None:
    import asyncio
    import json
    import os
    import subprocess
    import sys
    import time

    from streamkit.ceremony.asrun import read_log
    from streamkit.obs import launcher

    rundown = tmp_path / "r.yaml"
    rundown.write_text(
        "version: 1\ntitle: relaunch\nrecord: false\nsegments:\n  - {name: 开场, scene: 开场, duration: 5}\n",
        encoding="utf-8",
    )
    folder = tmp_path / "obs"
    folder.mkdir()
    with FakeObsInThread() as obs:

        def publish() -> None:  # what `streamkit obs launch` leaves in its folder
            state = launcher.LaunchState(str(folder), obs.fake.port, 1, 2, ":9", str(folder), str(folder / "obs.log"))
            launcher.write_state(state, obs.fake.password)

        def in_fake(coroutine: object) -> None:
            asyncio.run_coroutine_threadsafe(coroutine, obs.loop).result(10)  # type: ignore[arg-type]

        publish()
        env = {**os.environ, **_env(tmp_path), "STREAMKIT_OBS__LAUNCH_DIR": str(folder), "COLUMNS": "200"}
        argv = [sys.executable, "-m", "streamkit", "ceremony", "run", str(rundown), "--auto", "--scenes", "none"]
        with subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        ) as run:
            deadline = time.monotonic() + 30
            while not any(line.startswith('{"event": "segment_start"') for line in _log_lines(tmp_path)):
                assert time.monotonic() < deadline and run.poll() is None, run.stderr.read() if run.stderr else ""
                time.sleep(0.05)
            port = obs.fake.port
            in_fake(obs.fake.stop())  # OBS crashed; the relaunch makes a new password
            obs.fake.password = "relaunched-" + obs.fake.password
            publish()
            in_fake(obs.fake.start(port))
            out, errors = run.communicate(timeout=60)
    assert run.returncode == 0, errors
    entries = read_log(next((tmp_path / "runs").glob("*.jsonl")))
    assert [e["kind"] for e in entries if e["event"] == "link"] == ["lost", "resynced"]
    assert not any(e["event"] == "abort" for e in entries)
    assert json.loads(out)["segments"] == 1 and "relaunched-" not in out + errors


def _log_lines(tmp_path: Path) -> list[str]:
    logs = list((tmp_path / "runs").glob("*.jsonl")) if (tmp_path / "runs").exists() else []
    return logs[0].read_text(encoding="utf-8").splitlines() if logs else []
