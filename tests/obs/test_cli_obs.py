"""The obs and ceremony commands as a user runs them, without OBS: every problem at once, one line each."""

from __future__ import annotations

from pathlib import Path

from streamkit.obs.launcher import free_port
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "config" / "ceremonies" / "qingming-sample.yaml"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "STREAMKIT_OBS__LAUNCH_DIR": str(tmp_path / "no-launch"),
        "STREAMKIT_OBS__PORT": str(free_port()),
        "STREAMKIT_OBS__MEDIA_ROOT": str(tmp_path / "no-media"),
        "STREAMKIT_RUNS_DIR": str(tmp_path / "runs"),
        **extra,
    }


def test_ceremony_check_lists_every_problem_at_once(tmp_path: Path) -> None:
    done = run_cli(["ceremony", "check", str(SAMPLE), "--scenes", str(ROOT / "scenes")], env=_env(tmp_path))
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    text = "\n".join(errors)
    assert "has no key; set STREAMKIT_TARGETS__LOCAL__KEY" in text
    assert "memorial-gate.mp4 does not exist" in text and "logo.png does not exist" in text
    assert "register.csv does not exist" in text
    assert "OBS: cannot reach OBS" in text
    assert len(errors) >= 8 and "Traceback" not in done.stderr


def test_ceremony_check_draws_every_lower_third_before_air_time(tmp_path: Path) -> None:
    rundown = tmp_path / "r.yaml"
    rundown.write_text(
        "version: 1\ntitle: t\nrecord: false\nsegments:\n  - name: 开场\n    scene: 开场\n    duration: 5\n"
        "    cues:\n      - {at: 1, lower_third: {name: 张三🙂, detail: 烈士亲属}}\n"
        "      - {at: 2, lower_third: {name: 李四}}\n",
        encoding="utf-8",
    )
    done = run_cli(["ceremony", "check", str(rundown), "--scenes", str(tmp_path / "none")], env=_env(tmp_path))
    assert done.returncode == 1
    glyphs = [line for line in done.stderr.splitlines() if "lower-third" in line]
    assert len(glyphs) == 1 and "U+1F642" in glyphs[0] and "'开场'" in glyphs[0]


def test_ceremony_run_without_obs_is_one_clear_error_and_writes_no_log(tmp_path: Path) -> None:
    done = run_cli(["ceremony", "run", str(SAMPLE), "--auto", "--rehearsal"], env=_env(tmp_path))
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: cannot reach OBS at ws://127.0.0.1:")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "runs").exists()


def test_obs_apply_with_a_broken_scene_file_reports_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nscenes:\n  - name: 开场\n    itemz: []\n", encoding="utf-8")
    done = run_cli(["obs", "apply", str(bad), "--dry-run"], env=_env(tmp_path))
    assert done.returncode == 1
    assert "bad.yaml:4: scenes[0].itemz" in done.stderr and "did you mean 'items'" in done.stderr


def test_obs_stop_without_launch_says_so(tmp_path: Path) -> None:
    done = run_cli(["obs", "stop"], env=_env(tmp_path))
    assert done.returncode == 0 and "no OBS was running" in done.stdout


def test_console_run_without_a_terminal_asks_for_auto(tmp_path: Path) -> None:
    done = run_cli(["ceremony", "run", str(SAMPLE)], env=_env(tmp_path))
    assert done.returncode == 2 and "use --auto" in done.stderr
