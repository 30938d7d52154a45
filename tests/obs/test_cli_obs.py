"""The obs commands as a user runs them, without OBS: every problem at once, one line each."""

from __future__ import annotations

from pathlib import Path

from streamkit.obs.launcher import free_port
from tests.conftest import run_cli


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "STREAMKIT_OBS__LAUNCH_DIR": str(tmp_path / "no-launch"),
        "STREAMKIT_OBS__PORT": str(free_port()),
        "STREAMKIT_OBS__MEDIA_ROOT": str(tmp_path / "no-media"),
        "STREAMKIT_RUNS_DIR": str(tmp_path / "runs"),
        **extra,
    }


def test_obs_apply_with_a_broken_scene_file_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nscenes:\n  - name: 开场\n    itemz: []\n", encoding="utf-8")
    done = run_cli(["obs", "apply", str(bad), "--dry-run"], env=_env(tmp_path))
    assert done.returncode == 1
    assert "bad.yaml:4: scenes[0].itemz" in done.stderr and "did you mean 'items'" in done.stderr


def test_obs_stop_without_launch_says_so(tmp_path: Path) -> None:
    done = run_cli(["obs", "stop"], env=_env(tmp_path))
    assert done.returncode == 0 and "no OBS was running" in done.stdout
