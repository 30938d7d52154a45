"""Rundown parsing and the as-run log (chapters, summary, torn lines)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from streamkit.ceremony.asrun import (
    AsRunLog,
    carried,
    chapters_vtt,
    read_log,
    recordings,
    summarize,
    write_chapters,
)
from streamkit.ceremony.rundown import Rundown, load_rundown, parse_ms
from streamkit.errors import ConfigError
from tests.conftest import ROOT

SAMPLE = ROOT / "config" / "ceremonies" / "qingming-sample.yaml"


@pytest.mark.parametrize(
    ("text", "ms"),
    [(90, 90_000), (1.5, 1500), ("90s", 90_000), ("500ms", 500), ("1:30", 90_000), ("00:01:30.5", 90_500),
     ("2min", 120_000), ("0", 0)],
)  # fmt: skip
def test_parse_ms_table(text: object, ms: int) -> None:
    assert parse_ms(text) == ms


@pytest.mark.parametrize("bad", ["soon", "-3s", True, "1:2:3:4"])
def test_parse_ms_refuses(bad: object) -> None:
    with pytest.raises(ValueError):
        parse_ms(bad)


def test_sample_rundown_loads_and_scales() -> None:
    rundown = load_rundown(SAMPLE)
    assert [s.scene for s in rundown.segments] == ["开场", "敬献花篮", "默哀", "祭扫", "英名录", "结束"]
    assert rundown.scheduled_start is not None and rundown.scheduled_start.utcoffset() is not None
    fast = rundown.scaled(0.1)
    assert fast.segments[2].duration == 6000 and fast.segments[0].cues[0].at == 300
    assert fast.segments[3].overrun == "hold"


def test_bad_rundown_reports_every_problem_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "version: 1\ntitle: t\nscheduled_start: 2026-04-04T09:00:00\nsegments:\n"
        "  - name: a\n    scene: 开场\n    duration: 5s\n    overrun: wait\n"
        "    cues:\n      - {at: 9s, hide: 字幕条}\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_rundown(path)
    text = "\n".join(caught.value.lines())
    assert "scheduled_start" in text and "timezone" in text
    assert "overrun" in text and ":8:" in text


def test_stream_start_needs_a_target() -> None:
    with pytest.raises(ValueError, match="stream_target"):
        Rundown.model_validate(
            {"version": 1, "title": "t", "segments": [{"name": "a", "scene": "s", "on_start": {"stream": "start"}}]}
        )


def _entries() -> list[dict[str, object]]:
    return [
        {"event": "run_start", "epoch": 100.0},
        {"event": "output", "output": "record", "state": "started", "epoch": 100.5, "path": "/r/a.mkv"},
        {"event": "segment_start", "index": 0, "name": "开场", "epoch": 100.0},
        {"event": "cue", "segment": 0, "cue": 0, "result": "ok", "latency_ms": 12.5, "epoch": 101.0},
        {"event": "segment_start", "index": 1, "name": "默哀", "epoch": 110.0},
        {"event": "cue", "segment": 1, "cue": 0, "result": "ok", "latency_ms": 30.0, "epoch": 111.0},
        {"event": "link", "kind": "lost", "epoch": 112.0},
        {"event": "link", "kind": "resynced", "epoch": 115.25},
        {"event": "skipped", "segment": 1, "cue": 1, "epoch": 115.3},
        {"event": "jump", "index": 2, "name": "结束", "epoch": 115.3},
        {"event": "output", "output": "record", "state": "stopped", "epoch": 130.5, "path": "/r/a.mkv"},
    ]


def test_chapters_cover_the_recording_span_whole() -> None:
    entries = _entries()
    assert recordings(entries) == [(100.5, 130.5, "/r/a.mkv")]
    assert chapters_vtt(entries, 100.5, 130.5) == (
        "WEBVTT\n\n"
        "1\n00:00:00.000 --> 00:00:09.500\n开场\n\n"
        "2\n00:00:09.500 --> 00:00:14.800\n默哀\n\n"
        "3\n00:00:14.800 --> 00:00:30.000\n结束\n"
    )


def test_summary_from_entries() -> None:
    entries = _entries()
    summary = summarize(entries)
    assert summary["cues"] == {"ok": 2} and summary["skipped"] == 1
    assert summary["link_gaps_s"] == [3.25] and summary["cue_latency_ms_max"] == 30.0
    assert summary["recordings"] == ["/r/a.mkv"]


def test_log_lines_are_complete_on_disk_and_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "run.jsonl"
    with AsRunLog(path) as log:
        log.write("run_start", title="清明")
        log.write("cue", segment=0, cue=0, result="ok")
        # readable by another reader before the writer closes: flushed per line
        assert [json.loads(line)["event"] for line in path.read_text(encoding="utf-8").splitlines()] == [
            "run_start",
            "cue",
        ]
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"event": "cue", "seg')  # the controller died mid-write
    entries = read_log(path)
    assert [e["event"] for e in entries] == ["run_start", "cue"] and entries[0]["title"] == "清明"


def test_read_log_refuses_a_file_that_is_not_a_log(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"event": "cue"}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="run_start"):
        read_log(path)


def test_a_recording_cut_by_an_obs_crash_gets_chapters_up_to_the_crash(tmp_path: Path) -> None:
    cut, after = tmp_path / "cut.mkv", tmp_path / "after.mkv"
    entries = [
        {"event": "run_start", "epoch": 100.0},
        {"event": "segment_start", "index": 0, "name": "开场", "epoch": 100.0},
        {"event": "output", "output": "record", "state": "started", "epoch": 100.5, "path": str(cut)},
        {"event": "segment_start", "index": 1, "name": "默哀", "epoch": 110.0},
        {"event": "link", "kind": "lost", "epoch": 112.0},  # OBS crashed: the recording never reports STOPPED
        {"event": "link", "kind": "resynced", "epoch": 118.0},
        {"event": "output", "output": "record", "state": "started", "epoch": 118.5, "path": str(after)},
        {"event": "output", "output": "record", "state": "stopped", "epoch": 125.0, "path": str(after)},
    ]
    assert write_chapters(entries, tmp_path) == [cut.with_suffix(".vtt"), after.with_suffix(".vtt")]
    assert cut.with_suffix(".vtt").read_text(encoding="utf-8") == (
        "WEBVTT\n\n1\n00:00:00.000 --> 00:00:09.500\n开场\n\n2\n00:00:09.500 --> 00:00:11.500\n默哀\n"
    )


def test_carried_minutes_per_platform_from_the_leg_changes() -> None:
    def leg(epoch: float, name: str, after: str, **extra: object) -> dict[str, object]:
        return {"event": "leg", "epoch": epoch, "leg": name, "after": after, **extra}

    entries = [
        {"event": "run_start", "epoch": 0.0},
        leg(1.0, "douyin", "connecting"),
        leg(3.0, "douyin", "live", changed_at=2.5),  # written on the next tick; the change itself counts
        leg(4.0, "kuaishou", "connecting"),
        leg(10.0, "douyin", "retrying"),
        leg(11.0, "douyin", "connecting"),
        leg(12.0, "douyin", "live"),
        leg(13.0, "douyin", "live"),  # no second interval from a repeated state
        leg(20.0, "douyin", "stalled"),
        leg(21.0, "kuaishou", "failed"),
        {"event": "segment_start", "epoch": 30.0},
        leg(31.0, "weibo", "live"),
        {"event": "summary", "epoch": 40.0},
    ]
    assert carried(entries) == {
        "douyin": [(2.5, 10.0), (12.0, 20.0)],
        "kuaishou": [],  # never carried a second
        "weibo": [(31.0, 40.0)],  # still live when the log ends
    }
    assert summarize(entries)["carried_s"] == {"douyin": 15.5, "kuaishou": 0.0, "weibo": 9.0}
