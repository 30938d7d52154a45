"""The only place that starts ffmpeg: progress from ``-progress pipe:1``, stderr tail, hints, dry-run."""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import shlex
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from streamkit.errors import FFmpegError, MissingToolError

log = logging.getLogger(__name__)

STDERR_TAIL_LINES = 40

# (substring of ffmpeg's stderr, plain-language hint); the first match wins.
HINTS: tuple[tuple[str, str], ...] = (
    ("No space left on device", "the disk is full; free space or choose another output folder"),
    ("No such file or directory", "an input file or folder does not exist"),
    ("Invalid data found when processing input", "an input is not a valid media file (corrupt or truncated)"),
    ("moov atom not found", "an input MP4 is truncated (its index is missing); re-export or re-copy it"),
    ("Permission denied", "no permission to read an input or write the output"),
    ("Unknown encoder", "this ffmpeg lacks an encoder streamkit needs; run 'streamkit doctor'"),
    ("No such filter", "this ffmpeg lacks a filter streamkit needs; run 'streamkit doctor'"),
    ("Error initializing filter", "a filter was given bad options (see the last lines of ffmpeg's output)"),
    ("Cannot find a matching stream", "an input lacks the audio or video stream the graph expects"),
    ("Fontconfig error", "fontconfig cannot find the caption font; install fonts-noto-cjk"),
    ("Conversion failed", "ffmpeg could not convert the input; see the lines above in the error tail"),
)


# ffmpeg 5.1 exits 0 when the output cannot be finished (a full disk while the MP4 index is written at the end):
# these lines in its stderr mean the output is broken whatever the exit code says.
UNFINISHED_OUTPUT = ("Error writing trailer", "Error closing file")


def hint_for(stderr: str) -> str | None:
    for needle, hint in HINTS:
        if needle in stderr:
            return hint
    return None


@dataclass
class ProgressState:
    """What ``-progress`` has reported so far."""

    out_time_us: int = 0
    speed: str = ""
    finished: bool = False
    total_size: int = 0  # bytes written to the output so far (for a live push: bytes sent)


def parse_progress(lines: Iterable[str]) -> Iterator[ProgressState]:
    """Yield a state at every ``progress=`` line ffmpeg writes (one block per update).

    ``out_time_ms`` is really microseconds (an old ffmpeg misnomer); ``out_time_us`` is preferred when present.
    """
    state = ProgressState()
    for raw in lines:
        key, sep, value = raw.strip().partition("=")
        if not sep:
            continue
        if key in ("out_time_us", "out_time_ms"):
            try:
                state.out_time_us = max(0, int(value))
            except ValueError:
                continue  # "N/A" before the first frame
        elif key == "total_size":
            with contextlib.suppress(ValueError):  # "N/A" until the output is open
                state.total_size = max(0, int(value))
        elif key == "speed":
            state.speed = value.strip()
        elif key == "progress":
            state.finished = value == "end"
            yield ProgressState(state.out_time_us, state.speed, state.finished, state.total_size)


def _drain(stream: Iterable[str], tail: collections.deque[str]) -> None:
    for line in stream:
        tail.append(line.rstrip("\n"))


ProgressCallback = Callable[[ProgressState], None]


def run_ffmpeg(
    argv: Sequence[str],
    *,
    expected_duration_ms: int | None = None,
    description: str = "rendering",
    dry_run: bool = False,
    show_progress: bool = True,
    on_progress: ProgressCallback | None = None,
    console: Console | None = None,
    output_path: Path | None = None,
    background: bool = False,
) -> None:
    """Run ffmpeg; raise FFmpegError with the stderr tail and a hint when it fails.

    With ``dry_run`` the exact command is printed and nothing runs. With ``background`` ffmpeg runs at the
    lowest CPU priority (nice 19): it gets the cores only when the work beside it leaves them idle.
    Ctrl-C terminates ffmpeg before the KeyboardInterrupt propagates, so callers can clean up.
    """
    console = console or Console(stderr=True)
    if dry_run:
        console.print(shlex.join(argv), markup=False, highlight=False, soft_wrap=True)
        return
    log.debug("running %s", shlex.join(argv))
    tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
    try:
        proc = _start(argv)
    except FileNotFoundError:
        raise FFmpegError(argv, 127, "", f"{argv[0]} is not installed; run 'streamkit doctor'") from None
    if background:
        _lowest_priority(proc.pid)
    assert proc.stdout is not None and proc.stderr is not None
    reader = threading.Thread(target=_drain, args=(proc.stderr, tail), daemon=True)
    reader.start()
    try:
        with _progress_bar(console, description, expected_duration_ms, show_progress) as advance:
            for state in parse_progress(proc.stdout):
                advance(state)
                if on_progress is not None:
                    on_progress(state)
        proc.wait()
    except BaseException:
        _stop(proc)
        raise
    finally:
        reader.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
    unfinished = any(line.startswith(UNFINISHED_OUTPUT) for line in tail)
    if proc.returncode != 0 or unfinished:
        stderr_text = "\n".join(tail)
        raise FFmpegError(argv, proc.returncode, stderr_text, hint_for(stderr_text), path=output_path or "")


def _lowest_priority(pid: int) -> None:
    """Nice 19 for ``pid`` (set after the start rather than in ``preexec_fn``, which is unsafe with threads)."""
    with contextlib.suppress(OSError):  # it already ended: nothing left to slow down
        os.setpriority(os.PRIO_PROCESS, pid, 19)


def _stop(proc: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Ask ffmpeg to quit, then insist."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class _progress_bar:
    def __init__(self, console: Console, description: str, total_ms: int | None, enabled: bool) -> None:
        self.enabled = enabled and console.is_terminal and bool(total_ms)
        self.total_us = (total_ms or 0) * 1000
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.percentage:>5.1f}%"),
            TextColumn("{task.fields[speed]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task(description, total=self.total_us or None, speed="")

    def __enter__(self) -> Callable[[ProgressState], None]:
        if self.enabled:
            self.progress.start()
        return self.advance

    def advance(self, state: ProgressState) -> None:
        if self.enabled:
            done = self.total_us if state.finished else min(state.out_time_us, self.total_us)
            self.progress.update(self.task, completed=done, speed=state.speed)

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self.progress.stop()


ExitCallback = Callable[[int, str], None]


def _start(argv: Sequence[str]) -> subprocess.Popen[str]:
    """ffmpeg with its progress on stdout and its log on stderr, both read as text, and no stdin."""
    return subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
    )


def start_piped(argv: Sequence[str], *, label: str, stdin: bool = False) -> subprocess.Popen[bytes]:
    """ffmpeg moving media through its standard streams (FLV in on stdin, or out on stdout), its log discarded.

    For the standby switch: the caller reads or writes the bytes itself and ends the process with ``stop_piped``.
    """
    log.debug("starting ffmpeg for %s", label)
    try:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.DEVNULL if stdin else subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise MissingToolError(Path(argv[0]).name, label, "apt-get install ffmpeg") from None


def stop_piped(proc: subprocess.Popen[bytes]) -> None:
    """End a piped ffmpeg and close its pipes."""
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            with contextlib.suppress(OSError):
                pipe.close()
    _stop(proc)


class RunningFFmpeg:
    """A long-running ffmpeg (a live push) that reports progress and its end to callbacks, from its own thread.

    Its argv may hold a secret (a stream key in the output URL, which ffmpeg only takes on the command line), so it
    is never logged: ``label`` names the process instead. ``on_exit`` gets the return code and the stderr tail.
    """

    def __init__(self, argv: Sequence[str], *, label: str, on_progress: ProgressCallback, on_exit: ExitCallback):
        log.debug("starting ffmpeg for %s", label)
        try:
            self.process = _start(argv)
        except FileNotFoundError:
            raise MissingToolError(Path(argv[0]).name, label, "apt-get install ffmpeg") from None
        self._tail: collections.deque[str] = collections.deque(maxlen=STDERR_TAIL_LINES)
        self._watcher = threading.Thread(target=self._watch, args=(on_progress, on_exit), daemon=True)
        self._watcher.start()

    @property
    def pid(self) -> int:
        return self.process.pid

    def _watch(self, on_progress: ProgressCallback, on_exit: ExitCallback) -> None:
        proc = self.process
        assert proc.stdout is not None and proc.stderr is not None
        reader = threading.Thread(target=_drain, args=(proc.stderr, self._tail), daemon=True)
        reader.start()
        for state in parse_progress(proc.stdout):
            on_progress(state)
        proc.wait()
        reader.join(timeout=5)
        proc.stdout.close()
        proc.stderr.close()
        on_exit(proc.returncode, "\n".join(self._tail))

    def stop(self) -> None:
        """End ffmpeg (terminate, then kill) and wait until ``on_exit`` has run."""
        _stop(self.process)
        self._watcher.join(timeout=10)


def run_tool(
    argv: Sequence[str], *, timeout_s: float = 30.0, input_bytes: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run a short helper program (ffprobe, fc-match, espeak-ng, a version query) and capture its output.

    Raises FileNotFoundError when the program is absent and subprocess.TimeoutExpired when it hangs.
    """
    log.debug("running %s", shlex.join(argv))
    return subprocess.run(list(argv), input=input_bytes, capture_output=True, timeout=timeout_s, check=False)
