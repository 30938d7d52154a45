"""``streamkit doctor``: every external piece, OK or missing, with the exact command that installs it."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from streamkit.fonts import APT_CJK_FONTS, find_cjk_font
from streamkit.media.runner import run_tool
from streamkit.media.tools import media_tools

REQUIRED_FILTERS = ("xfade", "acrossfade", "subtitles", "sidechaincompress", "loudnorm", "ebur128")
REQUIRED_ENCODERS = ("libx264", "aac")
NGINX_RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
OBS_WEBSOCKET_PLUGIN_DIRS = (
    Path("/usr/lib/x86_64-linux-gnu/obs-plugins"),
    Path("/usr/lib/aarch64-linux-gnu/obs-plugins"),
    Path("/usr/lib/obs-plugins"),
)


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    install: str
    required: bool
    needed_for: str


def _output(argv: list[str]) -> str | None:
    """stdout+stderr of a version query, or None when the program is absent or hangs."""
    try:
        done = run_tool(argv, timeout_s=20)
    except (FileNotFoundError, subprocess.TimeoutExpired, PermissionError):
        return None
    return (done.stdout + done.stderr).decode("utf-8", "replace")


def _first_line(text: str | None) -> str:
    return text.strip().splitlines()[0] if text and text.strip() else ""


def _version_of(tool: str, argv: list[str], pattern: str) -> str | None:
    if shutil.which(tool) is None:
        return None
    found = re.search(pattern, _output(argv) or "")
    return found.group(1) if found else "unknown version"


def check_ffmpeg() -> list[Check]:
    apt = "apt-get install ffmpeg"
    checks = []
    tools = media_tools()  # the binaries settings chose, which every command runs
    for tool, binary in (("ffmpeg", tools.ffmpeg), ("ffprobe", tools.ffprobe)):
        version = _version_of(binary, [binary, "-hide_banner", "-version"], rf"{tool} version (\S+)")
        if version is None:
            version = _version_of(binary, [binary, "-version"], rf"{tool} version (\S+)")
        checks.append(Check(tool, version is not None, version or "not found", apt, True, "all media work"))
    if shutil.which(tools.ffmpeg) is None:
        return checks
    filters = _output([tools.ffmpeg, "-hide_banner", "-filters"]) or ""
    names = {line.split()[1] for line in filters.splitlines() if len(line.split()) > 2 and line[:1] == " "}
    for name in REQUIRED_FILTERS:
        ok = name in names
        detail = "present" if ok else "missing from this ffmpeg build"
        if name == "subtitles" and ok:
            detail = "present (libass)"
        checks.append(Check(f"filter {name}", ok, detail, apt, True, "tours"))
    encoders = _output([tools.ffmpeg, "-hide_banner", "-encoders"]) or ""
    enc_names = {line.split()[1] for line in encoders.splitlines() if len(line.split()) > 2 and line[:1] == " "}
    for name in REQUIRED_ENCODERS:
        ok = name in enc_names
        checks.append(Check(f"encoder {name}", ok, "present" if ok else "missing", apt, True, "all renders"))
    return checks


def check_font() -> Check:
    match = find_cjk_font()
    detail = f"{match.family} ({match.file})" if match else "no font covering Chinese found by fontconfig"
    return Check("CJK font", match is not None, detail, APT_CJK_FONTS, True, "captions and overlays")


def check_obs() -> list[Check]:
    apt = "apt-get install obs-studio"
    version = _version_of("obs", ["obs", "--version"], r"OBS Studio - (\S+)")
    plugin = next(
        (d / "obs-websocket.so" for d in OBS_WEBSOCKET_PLUGIN_DIRS if (d / "obs-websocket.so").exists()), None
    )
    ws_detail = "not found"
    if plugin is not None:
        # OBS 28+ bundles obs-websocket 5.x; the exact version is reported by GetVersion once OBS runs.
        ws_detail = f"5.x bundled with OBS ({plugin})"
    return [
        Check("OBS Studio", version is not None, version or "not found", apt, False, "live ceremonies"),
        Check("obs-websocket", plugin is not None, ws_detail, apt, False, "live ceremonies"),
    ]


def _simple(name: str, tool: str, argv: list[str], pattern: str, install: str, needed_for: str) -> Check:
    version = _version_of(tool, argv, pattern)
    return Check(name, version is not None, version or "not found", install, False, needed_for)


def check_nginx_rtmp() -> Check:
    ok = shutil.which("nginx") is not None and NGINX_RTMP_MODULE.exists()
    detail = str(NGINX_RTMP_MODULE) if ok else "nginx or its RTMP module not found"
    return Check("nginx RTMP module", ok, detail, "apt-get install nginx libnginx-mod-rtmp", False, "stream tests")


def check_moviepy() -> Check:
    """moviepy (the Python effects engine) and the ffmpeg it really runs: it must be ours, not imageio's."""
    try:
        from streamkit.media.moviepy_binding import moviepy_ffmpeg, moviepy_version

        used = set(moviepy_ffmpeg().values())
    except Exception as exc:  # an absent or broken moviepy is a row of the report, not a crash
        return Check("moviepy", False, f"cannot import ({exc})", "pip install 'moviepy>=2'", False, "tour effects")
    ours = shutil.which(media_tools().ffmpeg)
    ok = used == {ours}
    detail = f"{moviepy_version()} using ffmpeg {', '.join(sorted(used))}" + ("" if ok else f" (expected {ours})")
    return Check("moviepy", ok, detail, "pip install 'moviepy>=2'", False, "tour effects, --engine moviepy")


CHECKS: tuple[Callable[[], Check | list[Check]], ...] = (
    check_ffmpeg,
    check_moviepy,
    check_font,
    check_obs,
    lambda: _simple("Xvfb", "Xvfb", ["dpkg-query", "-W", "-f", "${Version}", "xvfb"], r"(\S+)",
                    "apt-get install xvfb", "headless OBS"),
    lambda: _simple("Chromium", "chromium", ["chromium", "--version"], r"Chromium (\S+)",
                    "apt-get install chromium", "browser tests"),
    check_nginx_rtmp,
    lambda: _simple("espeak-ng", "espeak-ng", ["espeak-ng", "--version"], r"eSpeak NG text-to-speech: (\S+)",
                    "apt-get install espeak-ng", "spoken sample narration"),
)  # fmt: skip


def run_checks() -> list[Check]:
    found: list[Check] = []
    for check in CHECKS:
        result = check()
        found.extend(result if isinstance(result, list) else [result])
    return found


def print_report(checks: list[Check], console: Console) -> None:
    table = Table(title="streamkit doctor")
    table.add_column("piece")
    table.add_column("status")
    table.add_column("found")
    table.add_column("needed for")
    table.add_column("install with")
    for c in checks:
        status = "[green]OK[/]" if c.ok else ("[red]MISSING[/]" if c.required else "[yellow]missing[/]")
        table.add_row(c.name, status, c.detail, c.needed_for + ("" if c.required else " (optional)"),
                      "" if c.ok else c.install)  # fmt: skip
    console.print(table)
    missing = [c for c in checks if c.required and not c.ok]
    if missing:
        console.print(f"{len(missing)} required piece(s) missing: " + ", ".join(c.name for c in missing))
