"""Shared fixtures: small generated sample media (once per session) and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from streamkit.media.samples import SampleSet, generate

ROOT = Path(__file__).resolve().parent.parent

# Debian's Chromium for browser tests (Playwright cannot download its own browsers here). Without the
# background-networking flags Chromium keeps dialling out on this closed network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--autoplay-policy=no-user-gesture-required",
]


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> SampleSet:
    """The sample set at 320x180, generated once per test session."""
    return generate(tmp_path_factory.mktemp("samples"), width=320, height=180)


def run_cli(
    args: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m streamkit ARGS`` as a user would, capturing text output."""
    full_env = {**os.environ, "COLUMNS": "200", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "streamkit", *args],
        cwd=cwd or ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
