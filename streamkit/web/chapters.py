"""Read a chapters WebVTT file into a list the entry page shows as links that seek the player."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Chapter:
    start_ms: int
    title: str

    @property
    def start_s(self) -> float:
        return self.start_ms / 1000

    @property
    def label(self) -> str:
        seconds = self.start_ms // 1000
        hours, rest = divmod(seconds, 3600)
        return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60:02d}:{rest % 60:02d}"


def parse_timestamp(text: str) -> int:
    """``01:02.500`` or ``1:01:02.500`` -> milliseconds; ValueError when malformed."""
    clock, _, millis = text.strip().partition(".")
    parts = [int(p) for p in clock.split(":")]
    if not 2 <= len(parts) <= 3 or len(millis) != 3:
        raise ValueError(text)
    if len(parts) == 2:
        parts.insert(0, 0)
    hours, minutes, seconds = parts
    return ((hours * 60 + minutes) * 60 + seconds) * 1000 + int(millis)


def parse_chapters(text: str) -> list[Chapter]:
    """Cues of a WebVTT file as chapters (start, first text line); malformed cues are skipped."""
    chapters = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        lines = [line for line in block.strip().split("\n") if line.strip()]
        for index, line in enumerate(lines):
            if "-->" in line:
                try:
                    start = parse_timestamp(line.split("-->")[0])
                except ValueError:
                    break
                if index + 1 < len(lines):
                    chapters.append(Chapter(start, lines[index + 1].strip()))
                break
    return sorted(chapters, key=lambda c: c.start_ms)


def read_chapters(path: Path) -> list[Chapter]:
    try:
        return parse_chapters(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError):
        return []
