"""The controller's worst day against a real headless OBS: killed at several points and resumed from its as-run log,
and bad rundowns that `ceremony run` must refuse before OBS is touched (marker ``obs``)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from streamkit.ceremony.asrun import Entry, read_log, recordings
from streamkit.errors import ConfigError
from streamkit.media.samples import SampleSet
from streamkit.obs.launcher import LaunchState
from tests.ceremony_faults.conftest import Row
from tests.conftest import ROOT
from tests.obs.test_real_obs import EventRecorder, env_for, obs_call

pytestmark = pytest.mark.obs

SCENES = ROOT / "scenes"

CEREMONY = {
    "version": 1,
    "title": "fault drill",
    "record": True,
    "segments": [
        {
            "name": "开场",
            "scene": "开场",
            "duration": 3,
            "on_start": {"record": "start"},
            "cues": [{"at": 0.5, "lower_third": {"name": "清明"}}, {"at": 2.0, "hide": "字幕条"}],
        },
        {
            "name": "敬献花篮",
            "scene": "敬献花篮",
            "duration": 3,
            "cues": [{"at": 0.5, "lower_third": {"name": "敬献花篮"}}, {"at": 2.0, "hide": "字幕条"}],
        },
        {"name": "结束", "scene": "结束", "duration": 2, "on_end": {"record": "stop"}},
    ],
}


def _write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _command(rundown: Path, *extra: str) -> list[str]:
    run = ["ceremony", "run", str(rundown), "--auto", "--scenes", str(SCENES), *extra]
    return [sys.executable, "-m", "streamkit", *run]


def _start(argv: list[str], env: dict[str, str], out: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as sink:
        return subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **env}, stdout=sink, stderr=subprocess.STDOUT)


def _log_of(runs: Path) -> Path | None:
    found = sorted(runs.glob("*.jsonl")) if runs.exists() else []
    return found[0] if found else None


def _kill_when(run: subprocess.Popen[bytes], runs: Path, point: Callable[[list[Entry]], bool]) -> Path:
    """SIGKILL the controller as soon as its log shows ``point`` (as a crash would: no cleanup at all)."""
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            log = _log_of(runs)
            with contextlib.suppress(ConfigError):  # the file exists a moment before its first line
                if log is not None and point(read_log(log)):
                    return log
            assert run.poll() is None, "the controller ended before the kill point"
            time.sleep(0.02)
        raise AssertionError("the kill point never came")
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait(10)


def _duplicates(entries: list[Entry]) -> int:
    keys: Counter[tuple[Any, ...]] = Counter()
    for e in entries:
        if e["event"] in ("run_start", "summary"):
            keys[(e["event"],)] += 1
        elif e["event"] in ("segment_start", "segment_end"):
            keys[(e["event"], e["index"])] += 1
        elif e["event"] in ("cue", "skipped"):
            keys[("cue", e["segment"], e["cue"])] += 1  # a cue is fired once or skipped once, never both
    return sum(n - 1 for n in keys.values())


def _segment_of(name: str) -> int:
    return next(i for i, s in enumerate(CEREMONY["segments"]) if s["name"] == name)  # type: ignore[index]


KILL_POINTS: dict[str, Callable[[list[Entry]], bool]] = {
    "mid-segment": lambda es: any(e["event"] == "cue" and e["segment"] == 1 for e in es),
    "between segments": lambda es: any(e["event"] == "segment_end" and e["index"] == 0 for e in es),
    "while the recording stops": lambda es: any(e["event"] == "segment_end" and e["index"] == 2 for e in es),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_controller_killed_and_resumed_loses_and_duplicates_nothing(
    applied: LaunchState, samples: SampleSet, tmp_path: Path, point: str, report: list[Row]
) -> None:
    rundown = _write(tmp_path / "drill.json", CEREMONY)
    env = env_for(applied, samples, tmp_path)
    obs_call(applied, "SetCurrentProgramScene", {"sceneName": "待机"})
    first = _start(_command(rundown), env, tmp_path / "first.out")
    log = _kill_when(first, tmp_path / "runs", KILL_POINTS[point])
    before = log.read_text(encoding="utf-8").splitlines()
    resumed = subprocess.run(
        _command(rundown, "--resume", str(log)), cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    after = log.read_text(encoding="utf-8").splitlines()
    entries = read_log(log)
    complete = [line for line in before if line.endswith("}")]  # a line torn by the kill is no line
    lost = sum(1 for i, line in enumerate(complete) if i >= len(after) or after[i] != line)
    duplicated = _duplicates(entries)
    report.append(
        Row(f"controller killed {point}", "resumed" if resumed.returncode == 0 else "FAIL", None, lost, duplicated)
    )

    assert resumed.returncode == 0, resumed.stderr
    assert (lost, duplicated) == (0, 0)
    # every segment went on air (a segment that ended while no controller ran is a logged jump), and the last closed
    assert [e["index"] for e in entries if e["event"] in ("segment_start", "jump")] == [0, 1, 2]
    assert [e["index"] for e in entries if e["event"] == "segment_end"][-1] == 2
    last_end = max(i for i, e in enumerate(entries) if e["event"] == "segment_end" and e["index"] == 2)
    started_after_end = [e for e in entries[last_end:] if e["event"] == "output" and e.get("state") == "started"]
    assert started_after_end == [] and not obs_call(applied, "GetRecordStatus")["outputActive"]  # nothing after the end
    files = [path for _, _, path in recordings(entries)]
    assert files and all(path and Path(path).with_suffix(".vtt").exists() for path in files)  # chapters for each


BAD_RUNDOWNS: dict[str, tuple[dict[str, Any], str]] = {
    "scene missing in OBS": (
        {"segments": [{"name": "a", "scene": "没有这个场景", "duration": 1}]},
        "scene '没有这个场景' is not in OBS",
    ),
    "cue source missing in the scene": (
        {"segments": [{"name": "a", "scene": "默哀", "duration": 2, "cues": [{"at": 1, "show": "字幕条"}]}]},
        "source '字幕条' is not in scene '默哀'",
    ),
    "lower-third glyph missing": (
        {
            "segments": [
                {"name": "a", "scene": "开场", "duration": 2, "cues": [{"at": 1, "lower_third": {"name": "张三🙂"}}]}
            ]
        },
        "U+1F642",
    ),
    "unknown stream target": (
        {"stream_target": "nowhere", "segments": [{"name": "a", "scene": "开场", "on_start": {"stream": "start"}}]},
        "stream target 'nowhere' is not in settings",
    ),
    "cue after the segment ends": (
        {"segments": [{"name": "a", "scene": "开场", "duration": 1, "cues": [{"at": 5, "hide": "字幕条"}]}]},
        "after the segment ends",
    ),
    "not a duration": (
        {"segments": [{"name": "a", "scene": "开场", "duration": "soon"}]},
        "duration",
    ),
}


@pytest.mark.parametrize("case", list(BAD_RUNDOWNS))
def test_bad_rundown_is_refused_by_run_before_obs_is_touched(
    applied: LaunchState, samples: SampleSet, tmp_path: Path, case: str, report: list[Row]
) -> None:
    changes, expected = BAD_RUNDOWNS[case]
    rundown = _write(tmp_path / "bad.json", {"version": 1, "title": "bad", "record": False, **changes})
    env = env_for(applied, samples, tmp_path)
    with EventRecorder(applied) as recorder:
        done = subprocess.run(
            _command(rundown), cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        time.sleep(0.5)  # an event OBS sent for a change would arrive within this
    changed = [
        e.type for e in recorder.events if e.type.endswith(("SceneChanged", "StateChanged", "EnableStateChanged"))
    ]
    refused = done.returncode != 0 and expected in done.stderr and "Traceback" not in done.stderr
    report.append(Row(f"bad rundown: {case}", "refused" if refused and not changed else "FAIL"))
    assert done.returncode != 0 and expected in done.stderr, done.stderr
    assert "Traceback" not in done.stderr and not (tmp_path / "runs").exists()
    assert changed == []
