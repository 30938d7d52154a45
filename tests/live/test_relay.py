"""The relay's generated config and statistics (pure), and its refusals (real nginx)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from streamkit.live.errors import LiveError
from streamkit.live.relay import Relay, RelayPlan, program_state, relay_conf, write_private
from tests.live.conftest import require_live_tools

STAT = """<?xml version="1.0" encoding="utf-8" ?>
<rtmp><server><application><name>live</name><live>
<stream><name>other</name><bw_in>1</bw_in><bytes_in>1</bytes_in><publishing/></stream>
<stream><name>program</name><bw_in>812000</bw_in><bytes_in>4096000</bytes_in>
<client><id>1</id><publishing/></client><client><id>2</id></client><client><id>3</id></client>
<publishing/><active/></stream>
</live></application></server></rtmp>"""


def test_program_state_reads_the_program_stream_only() -> None:
    state = program_state(STAT)
    assert (state.publishing, state.bytes_in, state.bitrate_in, state.players) == (True, 4096000, 812000, 2)
    assert not program_state("<rtmp><server></server></rtmp>").publishing


def test_config_listens_on_loopback_only_and_cuts_short_hls(tmp_path: Path) -> None:
    conf = relay_conf(RelayPlan(tmp_path, 19350, 19380, hls_fragment_s=1.0))
    assert [line.strip() for line in conf.splitlines() if line.strip().startswith("listen ")] == [
        "listen 127.0.0.1:19350;",
        "listen 127.0.0.1:19380;",
    ]
    assert "allow publish 127.0.0.1;\n            deny publish all;" in conf
    assert "hls_fragment 1s;" in conf and "hls_playlist_length 4s;" in conf and "hls_fragment_naming system;" in conf
    assert f"hls_path {tmp_path.resolve()}/hls;" in conf


def test_private_files_are_0600_from_the_start(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "nginx.conf"
    write_private(target, "a")
    write_private(target, "b")
    assert target.read_text() == "b" and target.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in target.parent.iterdir()) == ["nginx.conf"]


def test_a_taken_port_is_one_clear_error(tmp_path: Path) -> None:
    require_live_tools()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LiveError, match=rf"port {port} on 127.0.0.1 is in use"):
            Relay(RelayPlan(tmp_path, port, port + 1 if port < 65535 else port - 1)).start()
