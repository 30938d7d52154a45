"""The headless launcher's seeded config, as data: both websocket layouts, private files, no secret on argv."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from streamkit.obs import launcher
from streamkit.obs.launcher import Canvas


def test_seeded_config_enables_the_websocket_in_both_layouts_and_keeps_the_password_private(tmp_path: Path) -> None:
    record_dir = launcher.seed_config(tmp_path, 4466, "s3cret-pw", Canvas(640, 360, 30))
    cfg = launcher.config_dir(tmp_path)
    ini = (cfg / "global.ini").read_text(encoding="utf-8")
    assert "[OBSWebSocket]\nFirstLoad=false\nServerEnabled=true\nServerPort=4466\n" in ini
    assert "AuthRequired=true\nServerPassword=s3cret-pw\n" in ini and "FirstRun=true" in ini
    plugin = json.loads((cfg / "plugin_config" / "obs-websocket" / "config.json").read_text(encoding="utf-8"))
    assert plugin == {
        "first_load": False,
        "server_enabled": True,
        "server_port": 4466,
        "alerts_enabled": False,
        "auth_required": True,
        "server_password": "s3cret-pw",
    }
    profile = (cfg / "basic" / "profiles" / "streamkit" / "basic.ini").read_text(encoding="utf-8")
    assert "BaseCX=640\nBaseCY=360" in profile and f"FilePath={record_dir}" in profile
    for secret_file in (
        cfg / "global.ini",
        cfg / "plugin_config" / "obs-websocket" / "config.json",
        tmp_path / launcher.PASSWORD_FILE,
    ):
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o700
    assert not any("s3cret" in arg for arg in launcher.obs_argv())


def test_unclean_shutdown_marker_is_removed(tmp_path: Path) -> None:
    sentinel = launcher.config_dir(tmp_path) / ".sentinel"
    sentinel.mkdir(parents=True)
    (sentinel / "run_1").write_text("", encoding="utf-8")
    launcher.clear_unclean_shutdown_marker(tmp_path)
    assert not sentinel.exists()


def test_connection_prefers_explicit_password_then_the_launch_folder(tmp_path: Path) -> None:
    assert launcher.connection_for("h", 1, "pw", tmp_path).port == 1
    state = launcher.LaunchState(str(tmp_path), 5000, 1, 2, ":9", str(tmp_path), str(tmp_path / "obs.log"))
    (tmp_path / launcher.STATE_FILE).write_text(json.dumps(state.__dict__), encoding="utf-8")
    (tmp_path / launcher.PASSWORD_FILE).write_text("from-file\n", encoding="utf-8")
    found = launcher.connection_for("h", 4455, None, tmp_path)
    assert (found.port, found.password) == (5000, "from-file")
    assert "from-file" not in repr(found)


def test_stop_without_a_launch_is_a_no_op(tmp_path: Path) -> None:
    assert launcher.stop(tmp_path) is False


def test_profile_sets_a_keyframe_every_two_seconds_at_any_frame_rate(tmp_path: Path) -> None:
    for fps, frames in ((30, 60), (25, 50)):
        profile = launcher.profile_ini(Canvas(640, 360, fps), tmp_path)
        assert "UseAdvanced=true\n" in profile and f"x264Settings=keyint={frames}\n" in profile


def test_profile_lets_obs_ride_out_an_rtmp_outage() -> None:
    profile = launcher.profile_ini(Canvas(), Path("/r"))
    retries = dict(line.split("=", 1) for line in profile.splitlines() if line.startswith(("RetryDelay", "MaxRetries")))
    assert profile.count("Reconnect=true") == 1 and int(retries["RetryDelay"]) >= 2 and int(retries["MaxRetries"]) >= 20
