"""``streamkit archive`` and ``streamkit web`` as a user runs them: one-line errors, secrets kept out of output."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

from streamkit.archive.models import Role
from streamkit.archive.store import ArchiveStore
from streamkit.media.samples import SampleSet
from streamkit.web.accounts import authenticate
from tests.conftest import ROOT, port_open, run_cli, wait_until_up


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "STREAMKIT_WEB__DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
        "STREAMKIT_WEB__MEDIA_DIR": str(tmp_path / "media"),
        **extra,
    }


def test_archive_add_event_add_and_list(tmp_path: Path, samples: SampleSet) -> None:
    env = env_for(tmp_path)
    made = run_cli(
        ["archive", "add-event", "--title", "清明公祭", "--start", "2030-04-04T09:00"], cwd=tmp_path, env=env
    )
    assert made.returncode == 0, made.stderr
    slug = made.stdout.split()[1].rstrip(":")
    added = run_cli(
        [
            "archive",
            "add",
            str(samples.clips[0]),
            "--title",
            "公祭录像",
            "--kind",
            "recording",
            "--event",
            slug,
            "--tag",
            "清明",
        ],
        cwd=tmp_path,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    assert "archive entry 1: 公祭录像 (recording, 3.0 s)" in added.stdout  # duration probed from the file
    listed = run_cli(["archive", "list"], cwd=tmp_path, env=env)
    assert "公祭录像" in listed.stdout and "1 entries" in listed.stdout
    store = ArchiveStore(env["STREAMKIT_WEB__DATABASE_URL"], tmp_path / "media")
    found = store.event_by_slug(slug)
    assert found is not None and found.status == "ended"
    store.dispose()


def test_archive_bad_input_is_one_line_and_writes_nothing(tmp_path: Path, samples: SampleSet) -> None:
    env = env_for(tmp_path)
    bad_vtt = tmp_path / "bad.vtt"
    bad_vtt.write_text("1\n00:00:01,000 --> 00:00:02,000\nSRT, not VTT\n")
    result = run_cli(
        ["archive", "add", str(samples.clips[0]), "--title", "x", "--captions", str(bad_vtt), "--duration-ms", "1"],
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [f"error: {bad_vtt}: not a WebVTT file (first line must be WEBVTT)"]
    assert "0 entries" in run_cli(["archive", "list", "--all"], cwd=tmp_path, env=env).stdout
    start = run_cli(["archive", "add-event", "--title", "x", "--start", "soon"], cwd=tmp_path, env=env)
    assert start.returncode == 1 and start.stderr.startswith("error: --start 'soon'")


def add_user_cli(
    tmp_path: Path, env: dict[str, str], name: str, password: str, *options: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "streamkit", "web", "add-user", name, "--password-stdin", *options],
        input=password + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


def test_add_user_keeps_the_password_out_of_output(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    password = "s3cret-memorial-pass"
    made = add_user_cli(tmp_path, env, "keeper", password)
    assert made.returncode == 0, made.stderr
    assert password not in made.stdout + made.stderr and "keeper" in made.stdout
    store = ArchiveStore(env["STREAMKIT_WEB__DATABASE_URL"], tmp_path / "media")
    assert authenticate(store, "keeper", password) is not None
    store.dispose()
    short = add_user_cli(tmp_path, env, "keeper2", "short")
    assert short.returncode == 1 and short.stderr.strip() == "error: the password needs at least 10 characters"


def test_districts_and_roles_from_the_command_line(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    password = "s3cret-memorial-pass"
    made = run_cli(["web", "district", "add", "south", "南区", "--cemetery", "南山陵园", "--cemetery", "南岭陵园"],
                   cwd=tmp_path, env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    taken = run_cli(["web", "district", "add", "north", "北区", "--cemetery", "南山陵园"], cwd=tmp_path, env=env)
    assert taken.returncode == 1
    assert taken.stderr.strip() == "error: cemetery '南山陵园' already belongs to district 'south'"
    listed = run_cli(["web", "district", "list"], cwd=tmp_path, env=env)
    assert listed.stdout.splitlines() == ["south  南区  南山陵园, 南岭陵园"]
    options = ("--role", "moderator", "--role", "register_editor", "--district", "south")
    assert add_user_cli(tmp_path, env, "keeper", password, *options).returncode == 0
    for bad, message in [
        (("--role", "overlord"), "error: --role: unknown role 'overlord'; one of administrator, moderator, "),
        (("--role", "moderator", "--district", "atlantis"), "error: no district 'atlantis'"),
        (("--district", "south"), "error: --district: give the account's roles (--role) with its district"),
    ]:
        refused = add_user_cli(tmp_path, env, "other", password, *bad)
        assert refused.returncode == 1 and refused.stderr.startswith(message), refused.stderr
        assert password not in refused.stdout + refused.stderr
    store = ArchiveStore(env["STREAMKIT_WEB__DATABASE_URL"], tmp_path / "media")
    keeper = authenticate(store, "keeper", password)
    assert keeper is not None and keeper.roles == {Role.MODERATOR, Role.REGISTER_EDITOR}
    assert keeper.district is not None and keeper.district.slug == "south"
    assert authenticate(store, "other", password) is None
    store.dispose()


def test_prod_serve_needs_a_secret_key(tmp_path: Path) -> None:
    result = run_cli(["web", "serve", "--prod"], cwd=tmp_path, env=env_for(tmp_path))
    assert result.returncode == 1 and "STREAMKIT_WEB__SECRET_KEY" in result.stderr and "Traceback" not in result.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_prod_serve_runs_gunicorn(tmp_path: Path) -> None:
    port = _free_port()
    secret = "prod-secret-key-for-the-test-0123456789"
    env = {**os.environ, **env_for(tmp_path, STREAMKIT_WEB__SECRET_KEY=secret)}
    server = subprocess.Popen(
        [sys.executable, "-m", "streamkit", "web", "serve", "--prod", "--port", str(port), "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        wait_until_up(lambda: port_open(port), "gunicorn", server)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/schedule", timeout=10) as response:
            body = response.read().decode()
            headers = response.headers
        assert "<h1>日程</h1>" in body
        assert headers["Server"].startswith("gunicorn") and "script-src 'self'" in headers["Content-Security-Policy"]
        # overlay pages in OBS hold their event streams open all ceremony; the one worker must still serve pages
        streams = [urllib.request.urlopen(f"http://127.0.0.1:{port}/overlays/events", timeout=5) for _ in range(3)]
        try:
            assert all(stream.readline().startswith(b"retry:") for stream in streams)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/schedule", timeout=5) as response:
                assert response.status == 200
        finally:
            for stream in streams:
                stream.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    assert secret not in output
