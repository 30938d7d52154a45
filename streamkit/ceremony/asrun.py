"""The as-run log: one JSON object per line under ``runs/``, flushed and fsynced per line, so a crash loses nothing.

Every entry has ``event``, ``t`` (UTC ISO time) and ``epoch`` (seconds). Kinds: ``run_start``, ``segment_start``,
``segment_end``, ``cue``, ``output`` (stream/record state from OBS events), ``operator``, ``link`` (lost/resynced),
``jump``, ``skipped``, ``reassert``, ``resume``, ``stream_lost``/``stream_back`` (off air while it should have been
on), ``leg`` (a live push destination changed state, keys masked), ``live_program`` (the program confirmed on the
relay), ``on_air`` (the program or the standby slate goes out to the platforms), ``summary``. Chapters and the
summary are derived from these lines.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from streamkit.errors import ConfigError
from streamkit.media.publish import write_text_atomic

Entry = dict[str, Any]


class AsRunLog:
    """Append-only writer; each line is on disk before ``write`` returns."""

    def __init__(self, path: Path, *, clock: Callable[[], float] = time.time) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.clock = clock
        self._fh = path.open("a", encoding="utf-8")

    def write(self, event: str, **fields: Any) -> Entry:
        now = self.clock()
        entry: Entry = {
            "event": event,
            "t": datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds"),
            "epoch": round(now, 3),
            **fields,
        }
        self._fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())
        return entry

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> AsRunLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def new_log_path(runs_dir: Path, title: str, now: float | None = None) -> Path:
    stamp = datetime.fromtimestamp(now or time.time(), UTC).strftime("%Y%m%dT%H%M%SZ")
    slug = re.sub(r"[^\w-]+", "-", title, flags=re.UNICODE).strip("-")[:40] or "ceremony"
    return runs_dir / f"{stamp}-{slug}.jsonl"


def read_log(path: Path) -> list[Entry]:
    """Every complete line; a torn last line (crash while writing) is ignored."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError.single(path, f"cannot read the as-run log: {exc}") from None
    entries: list[Entry] = []
    for number, line in enumerate(lines, 1):
        try:
            entries.append(json.loads(line))
        except ValueError:
            if number != len(lines):
                raise ConfigError.single(path, "not an as-run log (a line is not JSON)", line=number) from None
    if not entries or entries[0].get("event") != "run_start":
        raise ConfigError.single(path, "not an as-run log (no run_start line)", line=1)
    return entries


def _clock(seconds: float) -> str:
    ms = max(0, round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def recordings(entries: Iterable[Mapping[str, Any]]) -> list[tuple[float, float | None, str | None]]:
    """(started epoch, stopped epoch, file) of every recording the log saw, in order."""
    found: list[tuple[float, float | None, str | None]] = []
    for e in entries:
        if e.get("event") != "output" or e.get("output") != "record":
            continue
        if e.get("state") == "started":
            found.append((float(e["epoch"]), None, e.get("path")))
        elif e.get("state") == "stopped" and found and found[-1][1] is None:
            start, _, path = found[-1]
            found[-1] = (start, float(e["epoch"]), e.get("path") or path)
    return found


def chapters_vtt(entries: Iterable[Mapping[str, Any]], start: float, stop: float) -> str:
    """WebVTT chapters for a recording that ran from ``start`` to ``stop`` (epochs), one per segment on air."""
    starts = [
        (float(e["epoch"]), str(e["name"]))
        for e in entries
        if e.get("event") in ("segment_start", "jump") and "name" in e
    ]
    cues: list[tuple[float, float, str]] = []
    for i, (at, name) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else stop
        begin, end = max(at, start), min(end, stop)
        if end - begin >= 0.001:
            cues.append((begin - start, end - start, name))
    out = ["WEBVTT", ""]
    for number, (begin, end, name) in enumerate(cues, 1):
        out += [str(number), f"{_clock(begin)} --> {_clock(end)}", name, ""]
    return "\n".join(out)


def cut_at(entries: Iterable[Mapping[str, Any]], start: float, until: float) -> float:
    """When a recording that never reported STOPPED ended: the last loss of the OBS link after ``start`` and before
    ``until`` (OBS crashed with the file open), else ``until``."""
    lost = [
        float(e["epoch"])
        for e in entries
        if e.get("event") == "link" and e.get("kind") == "lost" and start < float(e["epoch"]) <= until
    ]
    return lost[-1] if lost else until


def write_chapters(entries: list[Entry], fallback_dir: Path) -> list[Path]:
    """Write ``<recording>.vtt`` beside each recording (or into ``fallback_dir`` when the file is unknown).

    A recording cut by a crash has no STOPPED line; its chapters end where it was cut (``cut_at``).
    """
    written = []
    found = recordings(entries)
    for number, (start, stop, path) in enumerate(found, 1):
        if stop is None:
            until = found[number][0] if number < len(found) else float(entries[-1]["epoch"])
            stop = cut_at(entries, start, until)
        target = Path(path).with_suffix(".vtt") if path else fallback_dir / f"recording-{number}.vtt"
        write_text_atomic(target, chapters_vtt(entries, start, stop))
        written.append(target)
    return written


def carried(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[tuple[float, float]]]:
    """Per live destination, the (from, to) epochs it carried the program: from each change to ``live`` to the next
    change away from it; a leg still live at the end of the log is counted to its last line."""
    spans: dict[str, list[tuple[float, float]]] = {}
    since: dict[str, float] = {}
    last = 0.0
    for e in entries:
        last = max(last, float(e.get("epoch", last)))
        if e.get("event") != "leg":
            continue
        leg, at = str(e["leg"]), float(e.get("changed_at", e["epoch"]))
        spans.setdefault(leg, [])
        if e.get("after") == "live":
            since.setdefault(leg, at)
        elif leg in since:
            spans[leg].append((since.pop(leg), at))
    for leg, start in since.items():
        spans[leg].append((start, max(last, start)))
    return spans


def summarize(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """Counts and timings a person checks after the ceremony."""
    entries = list(entries)
    cues = [e for e in entries if e.get("event") == "cue"]
    results: dict[str, int] = {}
    for cue in cues:
        results[cue["result"]] = results.get(cue["result"], 0) + 1
    latencies = sorted(float(c["latency_ms"]) for c in cues if c.get("latency_ms") is not None)
    lost = [e for e in entries if e.get("event") == "link" and e.get("kind") == "lost"]
    back = [e for e in entries if e.get("event") == "link" and e.get("kind") == "resynced"]
    gaps = [round(float(b["epoch"]) - float(a["epoch"]), 3) for a, b in zip(lost, back, strict=False)]
    overruns = [
        {"segment": e["name"], "overrun_s": e["overrun_s"]}
        for e in entries
        if e.get("event") == "segment_end" and e.get("overrun_s", 0) > 0
    ]
    return {
        **_off_air(entries),
        "segments": sum(1 for e in entries if e.get("event") == "segment_start"),
        "cues": results,
        "outputs_failed": [
            f"{e['output']} {e['action']}: {e.get('detail', '')}"
            for e in entries
            if e.get("event") == "output_command" and e.get("result") == "failed"
        ],
        "skipped": sum(1 for e in entries if e.get("event") == "skipped"),
        "cue_latency_ms_max": latencies[-1] if latencies else None,
        "link_gaps_s": gaps,
        "overruns": overruns,
        "recordings": [path for _, _, path in recordings(entries)],
        "carried_s": {leg: round(sum(b - a for a, b in spans), 3) for leg, spans in carried(entries).items()},
        "duration_s": round(float(entries[-1]["epoch"]) - float(entries[0]["epoch"]), 3) if entries else 0.0,
    }


def _off_air(entries: list[Mapping[str, Any]]) -> dict[str, Any]:
    """How often the stream dropped while it should have been on air, and for how long in all (until the end of
    the log when it never came back)."""
    lost = [e for e in entries if e.get("event") == "stream_lost"]
    back = [e for e in entries if e.get("event") == "stream_back"]
    seconds = sum(float(e["off_air_s"]) for e in back)
    if len(lost) > len(back) and entries:
        seconds += float(entries[-1]["epoch"]) - float(lost[-1].get("since", lost[-1]["epoch"]))
    return {"stream_interruptions": len(lost), "off_air_s": round(seconds, 3)}
