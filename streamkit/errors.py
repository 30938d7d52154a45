"""The one exception tree of streamkit.

StreamkitError
 ├── ConfigError        a YAML file or setting is wrong (file, line, field path)
 ├── MediaError         a media file is missing, empty or unreadable
 │    └── FFmpegError   ffmpeg failed (argv, return code, stderr tail, hint)
 ├── ObsError           OBS is unreachable or refused something
 ├── ArchiveError       the archive store refused a change
 └── MissingToolError   an external program is not installed

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class StreamkitError(Exception):
    """Root of every error streamkit raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class ConfigProblem:
    """One mistake in one file: where it is and what is wrong."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class ConfigError(StreamkitError):
    """One or more problems in configuration; all of a file's problems are reported together."""

    def __init__(self, problems: Sequence[ConfigProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__(self._text())

    @classmethod
    def single(cls, file: str | Path, message: str, *, line: int | None = None, field: str = "") -> ConfigError:
        return cls([ConfigProblem(str(file), line, field, message)])

    def _text(self) -> str:
        first = str(self.problems[0]) if self.problems else "invalid configuration"
        more = len(self.problems) - 1
        return first if more <= 0 else f"{first} (and {more} more problem{'s' if more > 1 else ''})"

    def lines(self) -> list[str]:
        """Every problem on its own line, for commands that list them all."""
        return [str(p) for p in self.problems]


class MediaError(StreamkitError):
    """A media file cannot be used; the message names the file and the cause."""

    def __init__(self, path: str | Path, cause: str) -> None:
        self.path = str(path)
        self.cause = cause
        super().__init__(f"{self.path}: {cause}")


class FFmpegError(MediaError):
    """ffmpeg (or ffprobe) exited with an error."""

    def __init__(
        self,
        argv: Sequence[str],
        returncode: int,
        stderr_tail: str,
        hint: str | None = None,
        *,
        path: str | Path = "",
    ) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        self.hint = hint
        last = stderr_tail.strip().splitlines()[-1].strip() if stderr_tail.strip() else "no error output"
        cause = f"{Path(self.argv[0]).name} exited with code {returncode}: {hint or last}"
        super().__init__(path or Path(self.argv[0]).name, cause)
        # MediaError.__str__ would prefix the path; for a failed command the cause alone reads better.
        self.args = (cause,) if not path else self.args

    @property
    def command(self) -> str:
        return shlex.join(self.argv)


class ObsError(StreamkitError):
    """OBS cannot be reached or controlled."""


class ObsRequestError(ObsError):
    """OBS answered a request with a failure status."""

    def __init__(self, request: str, code: int, comment: str | None = None) -> None:
        self.request = request
        self.code = code
        self.comment = comment
        super().__init__(f"OBS refused {request} (code {code}){': ' + comment if comment else ''}")


class ArchiveError(StreamkitError):
    """The archive store refused a change."""


class MissingToolError(StreamkitError):
    """An external program streamkit needs is not installed."""

    def __init__(self, tool: str, needed_for: str, install: str) -> None:
        self.tool = tool
        self.install = install
        super().__init__(f"{needed_for} needs {tool}, which is not installed; install it with: {install}")
