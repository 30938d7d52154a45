"""``streamkit --config FILE`` reaches every command group: each test names something only that file sets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from streamkit.obs.launcher import free_port
from tests.cli.conftest import calls, recording_tool, write_config
from tests.conftest import ROOT, run_cli

RUNDOWN = ROOT / "config" / "ceremonies" / "qingming-sample.yaml"


def test_config_check_prints_the_named_file_merged(tmp_path: Path) -> None:
    config = write_config(tmp_path, "obs:\n  port: 4999\nruns_dir: elsewhere/runs\n")
    done = run_cli(["--config", str(config), "config", "check"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    merged = json.loads(done.stdout)
    assert merged["obs"]["port"] == 4999 and merged["runs_dir"] == "elsewhere/runs"
    assert merged["web"]["port"] == 8000  # the rest keeps the defaults


def test_obs_connects_where_the_file_says(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, f"obs:\n  port: {port}\n")
    done = run_cli(["--config", str(config), "obs", "status"], cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: cannot reach OBS at ws://127.0.0.1:{port}"), done.stderr


def test_ceremony_connects_where_the_file_says(tmp_path: Path) -> None:
    port = free_port()
    config = write_config(tmp_path, f"obs:\n  port: {port}\nruns_dir: {tmp_path / 'runs'}\n")
    done = run_cli(["--config", str(config), "ceremony", "run", str(RUNDOWN), "--auto", "--rehearsal"], cwd=tmp_path)
    assert done.returncode == 1  # refused by the preflight, which looked for OBS where the file says
    assert f"error: OBS: cannot reach OBS at ws://127.0.0.1:{port}" in done.stderr, done.stderr


def _web(tmp_path: Path, name: str) -> str:
    return f"web:\n  database_url: sqlite:///{tmp_path / name}\n  media_dir: {tmp_path / 'media'}\n"


def test_web_serve_opens_the_database_the_file_names(tmp_path: Path) -> None:
    config = write_config(tmp_path, _web(tmp_path, "site.db"))
    done = run_cli(["--config", str(config), "web", "serve", "--prod"], cwd=tmp_path)
    assert done.returncode == 1 and "STREAMKIT_WEB__SECRET_KEY" in done.stderr  # migrated first, then refused
    assert (tmp_path / "site.db").stat().st_size > 0
    assert not (tmp_path / "var").exists()  # not the default database


def test_web_add_user_writes_to_the_database_the_file_names(tmp_path: Path) -> None:
    config = write_config(tmp_path, _web(tmp_path, "site.db"))
    done = subprocess.run(
        [sys.executable, "-m", "streamkit", "--config", str(config), "web", "add-user", "keeper", "--password-stdin"],
        cwd=tmp_path,
        input="a long enough password\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site.db").stat().st_size > 0 and not (tmp_path / "var").exists()


def test_archive_uses_the_file_and_db_wins_over_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, _web(tmp_path, "site.db"))
    listed = run_cli(["--config", str(config), "archive", "list-events"], cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert (tmp_path / "site.db").exists()
    other = tmp_path / "other.db"
    again = run_cli(["--config", str(config), "archive", "list", "--db", f"sqlite:///{other}"], cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert other.exists() and "0 entries" in again.stdout


def test_archive_kind_is_a_choice(tmp_path: Path) -> None:
    config = write_config(tmp_path, _web(tmp_path, "site.db"))
    done = run_cli(["--config", str(config), "archive", "list", "--kind", "film"], cwd=tmp_path)
    assert done.returncode == 2 and "'film' is not one of 'recording', 'tour'" in done.stderr
    assert not (tmp_path / "site.db").exists()


def test_overlay_takes_its_style_from_the_file(tmp_path: Path) -> None:
    config = write_config(tmp_path, "overlays:\n  style: no-such-style\n")
    done = run_cli(["--config", str(config), "overlay", "glyphs", "--text", "清明"], cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.startswith("error: no-such-style: no overlay style of that name"), done.stderr
    assert run_cli(["overlay", "glyphs", "--text", "清明"], cwd=tmp_path).returncode == 0  # the default style


def test_tour_check_probes_with_the_ffprobe_the_file_names(tmp_path: Path) -> None:
    clip = tmp_path / "gate.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "color=c=gray:s=64x36:r=10:d=1", "-pix_fmt", "yuv420p",
         "-c:v", "libx264", str(clip)],
        check=True,
    )  # fmt: skip
    spec = tmp_path / "tour.yaml"
    spec.write_text(f"version: 1\nmedia_root: {tmp_path}\nstops:\n  - title: 大门\n    clip: {{path: gate.mp4}}\n")
    ffprobe, log = recording_tool(tmp_path, "ffprobe")
    config = write_config(tmp_path, f"media:\n  ffprobe: {ffprobe}\n")
    done = run_cli(
        ["--config", str(config), "tour", "check", str(spec)], cwd=tmp_path, env={"XDG_CACHE_HOME": str(tmp_path)}
    )
    assert done.returncode == 0, done.stderr
    assert any(str(clip) in call for call in calls(log)), calls(log)


@pytest.mark.parametrize(
    "command",
    [
        ["obs", "status"],
        ["ceremony", "check", str(RUNDOWN)],
        ["overlay", "glyphs", "--text", "清明"],
        ["tour", "check", "tour.yaml"],
        ["archive", "list"],
        ["web", "serve", "--prod"],
        ["config", "check"],
        ["probe", "clip.mp4"],
    ],
)
def test_a_missing_config_file_stops_every_group_before_it_acts(command: list[str], tmp_path: Path) -> None:
    missing = tmp_path / "typo.yaml"
    done = run_cli(["--config", str(missing), *command], cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: {missing}: file not found"
