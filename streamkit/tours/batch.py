"""Many tour specs in one command: check them all first, render (or enqueue) each that passed, one summary.

A spec that fails its check or its render fails alone: the others go on, and the summary gives one line per spec
(rendered, enqueued, or failed and why). Outputs go into one folder, named after each spec.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from streamkit.errors import ConfigError, StreamkitError
from streamkit.tours.check import check_tour

Status = Literal["rendered", "enqueued", "failed"]


@dataclass(frozen=True)
class BatchItem:
    """One spec of a batch and where its render goes."""

    spec: Path
    output: Path  # FOLDER/<spec stem>.mp4, sidecars beside it
    hls_dir: Path | None  # HLS/<spec stem>/ when the batch writes ladders


@dataclass(frozen=True)
class BatchOutcome:
    item: BatchItem
    status: Status
    detail: str  # what was made (or the farm render's id), or why it failed: one line

    def line(self) -> str:
        where = f" -> {self.item.output}" if self.status != "failed" else ""
        return f"{self.status:<9}{self.item.spec}{where}: {self.detail}"


def plan_batch(specs: Sequence[Path], folder: Path, hls_root: Path | None) -> list[BatchItem]:
    """Each spec's output in ``folder``; two specs with the same name would overwrite each other, so refuse."""
    seen: dict[str, Path] = {}
    for spec in specs:
        if spec.stem in seen:
            raise ConfigError.single(spec, f"has the same name as {seen[spec.stem]}: their renders would collide")
        seen[spec.stem] = spec
    return [
        BatchItem(spec, folder / f"{spec.stem}.mp4", hls_root / spec.stem if hls_root is not None else None)
        for spec in specs
    ]


def check_problem(spec: Path) -> str:
    """Why ``spec`` cannot be rendered (its first problem and how many more), or "" when it can."""
    try:
        checked = check_tour(spec)
        checked.raise_if_problems()
    except StreamkitError as error:
        return one_line(error)
    return ""


def run_batch(items: Sequence[BatchItem], render_one: Callable[[BatchItem], tuple[Status, str]]) -> list[BatchOutcome]:
    """Check every spec, then hand each that passed to ``render_one``; a ``StreamkitError`` fails that spec only.

    Anything else (a bug, Ctrl-C) stops the batch, as it would a single render.
    """
    problems = {item.spec: check_problem(item.spec) for item in items}
    outcomes = []
    for item in items:
        if problems[item.spec]:
            outcomes.append(BatchOutcome(item, "failed", problems[item.spec]))
            continue
        try:
            status, detail = render_one(item)
        except StreamkitError as error:
            outcomes.append(BatchOutcome(item, "failed", one_line(error)))
            continue
        outcomes.append(BatchOutcome(item, status, detail))
    return outcomes


def summary(outcomes: Sequence[BatchOutcome]) -> list[str]:
    """The batch's closing table: a count, then one line per spec in the order given."""
    counts = {status: sum(1 for o in outcomes if o.status == status) for status in ("rendered", "enqueued", "failed")}
    head = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    return [f"batch of {len(outcomes)}: {head}", *(f"  {outcome.line()}" for outcome in outcomes)]


def one_line(error: StreamkitError) -> str:
    return " ".join(str(error).split())
