"""ObsClient against the fake v5 server: status codes, 207 retry, close-code policy, heartbeat, reconnect, resync."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from streamkit.errors import ObsError, ObsRequestError
from streamkit.obs.client import LinkEvent, ObsAuthError, ObsClient, ObsConnection, ObsDisconnected, close_policy
from tests.fakes.obs import FakeObs


def run(scenario: Callable[[FakeObs], Awaitable[Any]], **fake_kw: Any) -> Any:
    async def main() -> Any:
        fake = await FakeObs(**fake_kw).start()
        try:
            return await asyncio.wait_for(scenario(fake), 20)
        finally:
            await fake.stop()

    return asyncio.run(main())


def client_for(fake: FakeObs, password: str | None = None, **kw: Any) -> ObsClient:
    kw.setdefault("heartbeat_s", 0.2)
    kw.setdefault("backoff_s", (0.02, 0.1))
    return ObsClient(ObsConnection("127.0.0.1", fake.port, fake.password if password is None else password), **kw)


async def until(predicate: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not predicate():
            await asyncio.sleep(0.01)


def test_connect_resyncs_state_and_detects_features() -> None:
    async def scenario(fake: FakeObs) -> None:
        fake.scenes["开场"] = []
        fake.program = "开场"
        async with client_for(fake) as client:
            assert client.state.scenes == ("Scene", "开场")
            assert client.state.program_scene == "开场"
            assert client.state.websocket_version == "5.1.0"
            assert client.state.supports("GetStats")
            assert not client.state.supports("CreateRecordChapter")

    run(scenario)


def test_failed_request_keeps_code_and_comment() -> None:
    async def scenario(fake: FakeObs) -> None:
        async with client_for(fake) as client:
            with pytest.raises(ObsRequestError) as caught:
                await client.call("SetCurrentProgramScene", {"sceneName": "NoSuchScene"})
            assert (caught.value.request, caught.value.code) == ("SetCurrentProgramScene", 600)
            assert "NoSuchScene" in (caught.value.comment or "")
            with pytest.raises(ObsRequestError) as unknown:
                await client.call("CreateRecordChapter", {"chapterName": "x"})
            assert unknown.value.code == 204

    run(scenario)


def test_not_ready_207_is_retried_until_obs_is_ready() -> None:
    async def scenario(fake: FakeObs) -> None:
        async with client_for(fake, heartbeat_s=0) as client:
            fake.received.clear()
            fake.not_ready_left = 3
            await client.call("GetSceneList")
            assert fake.received.count("GetSceneList") == 4

    run(scenario)


def test_207_that_never_ends_becomes_a_request_error() -> None:
    async def scenario(fake: FakeObs) -> None:
        async with client_for(fake, heartbeat_s=0, not_ready_retries=2) as client:
            fake.not_ready_left = 100
            with pytest.raises(ObsRequestError) as caught:
                await client.call("GetSceneList")
            assert caught.value.code == 207

    run(scenario)


def test_wrong_password_is_one_clear_error_without_retry_and_without_the_secret() -> None:
    async def scenario(fake: FakeObs) -> None:
        client = client_for(fake, password="wrong-hunter2")
        with pytest.raises(ObsAuthError) as caught:
            await client.connect(timeout_s=5)
        await client.close()
        message = str(caught.value)
        assert "4009" in message and "password" in message
        assert "hunter2" not in message and "hunter2" not in repr(client) and "hunter2" not in repr(client.connection)
        assert fake.handshakes == 1

    run(scenario)


def test_dropped_link_reconnects_with_backoff_and_resyncs() -> None:
    async def scenario(fake: FakeObs) -> None:
        links: list[LinkEvent] = []
        async with client_for(fake) as client:
            client.on_link(links.append)
            fake.scenes["默哀"] = []
            fake.program = "默哀"  # changed while we were not listening: only a resync can know
            fake.drop_links()
            await until(lambda: any(e.kind == "resynced" for e in links))
            assert [e.kind for e in links] == ["lost", "resynced"]
            assert links[0].close_code == 1006
            assert client.state.program_scene == "默哀"
            assert (await client.call("GetCurrentProgramScene"))["currentProgramSceneName"] == "默哀"
            assert client.reconnects == 1

    run(scenario)


def test_reconnect_keeps_trying_while_obs_is_down() -> None:
    async def scenario(fake: FakeObs) -> None:
        links: list[LinkEvent] = []
        async with client_for(fake) as client:
            client.on_link(links.append)
            port = fake.port
            await fake.stop()
            await until(lambda: bool(links))
            with pytest.raises(ObsDisconnected):
                await client.call("GetSceneList")
            await asyncio.sleep(0.3)  # several failed attempts happen here
            await fake.start(port)
            await client.wait_connected(5)
            assert links[-1].kind == "resynced"
            assert "GetSceneList" in [r for r in fake.received]

    run(scenario)


@pytest.mark.parametrize("code", [4005, 1011])
def test_protocol_and_server_errors_reconnect(code: int) -> None:
    async def scenario(fake: FakeObs) -> None:
        links: list[LinkEvent] = []
        async with client_for(fake) as client:
            client.on_link(links.append)
            await fake.close_links(code)
            await until(lambda: any(e.kind == "resynced" for e in links))
            assert links[0].close_code == code

    run(scenario)


@pytest.mark.parametrize("code", [4011, 4009, 4010])
def test_kicked_or_refused_session_is_not_reconnected(code: int) -> None:
    async def scenario(fake: FakeObs) -> None:
        links: list[LinkEvent] = []
        async with client_for(fake) as client:
            client.on_link(links.append)
            await fake.close_links(code)
            await until(lambda: any(e.kind == "gave_up" for e in links))
            with pytest.raises(ObsError) as caught:
                await client.wait_connected(1)
            assert str(code) in str(caught.value)
            await asyncio.sleep(0.2)
            assert fake.handshakes == 1

    run(scenario)


def test_close_policy_table() -> None:
    assert not close_policy(4009).reconnect and not close_policy(4011).reconnect and not close_policy(4010).reconnect
    assert close_policy(1006).reconnect and close_policy(4005).reconnect and close_policy(None).reconnect
    assert "bug" in close_policy(4005).message


def test_slow_reply_times_out_as_disconnected() -> None:
    async def scenario(fake: FakeObs) -> None:
        async with client_for(fake, heartbeat_s=0, request_timeout_s=0.2) as client:
            fake.reply_delay_s = 1.0
            with pytest.raises(ObsDisconnected, match="did not answer GetSceneList"):
                await client.call("GetSceneList")

    run(scenario)


def test_heartbeat_detects_a_half_open_link() -> None:
    async def scenario(fake: FakeObs) -> None:
        links: list[LinkEvent] = []
        async with client_for(fake, heartbeat_s=0.1) as client:

            def on_link(event: LinkEvent) -> None:
                links.append(event)
                fake.silent = False  # OBS answers again once we notice and reconnect

            client.on_link(on_link)
            fake.silent = True  # socket stays up, nothing answers
            await until(lambda: bool(links))
            assert links[0].kind == "lost" and links[0].close_code == 1006
            await until(lambda: any(e.kind == "resynced" for e in links))

    run(scenario)


def test_one_output_command_in_flight_and_confirmed_by_event() -> None:
    async def scenario(fake: FakeObs) -> None:
        async with client_for(fake) as client:
            fake.received.clear()
            first, second = await asyncio.gather(client.output("stream", True), client.output("stream", True))
            assert fake.received.count("StartStream") == 1
            assert first is not None and first.data["outputState"] == "OBS_WEBSOCKET_OUTPUT_STARTED"
            assert second is None  # already live: nothing sent
            assert client.state.stream_active

    run(scenario)


def test_stream_that_cannot_connect_is_reported_failed() -> None:
    async def scenario(fake: FakeObs) -> None:
        async with client_for(fake) as client:
            with pytest.raises(ObsError, match="stream failed to start"):
                await client.output("stream", True)
            assert not client.state.stream_active

    run(scenario, rtmp_down=True)


def test_cue_confirmed_by_event_and_batch_results() -> None:
    async def scenario(fake: FakeObs) -> None:
        fake.scenes["结束"] = []
        async with client_for(fake) as client:
            changed = client.expect(lambda e: e.type == "CurrentProgramSceneChanged" and e.data["sceneName"] == "结束")
            await client.call("SetCurrentProgramScene", {"sceneName": "结束"})
            event = await asyncio.wait_for(changed, 2)
            assert client.state.program_scene == "结束" and event.data["sceneName"] == "结束"
            from streamkit.obs.client import ObsRequest

            results = await client.batch([ObsRequest("GetVersion"), ObsRequest("GetCurrentProgramScene")])
            assert results[1]["currentProgramSceneName"] == "结束"
            with pytest.raises(ObsRequestError) as caught:
                await client.batch([ObsRequest("GetVersion"), ObsRequest("CreateScene", {"sceneName": "结束"})])
            assert (caught.value.request, caught.value.code) == ("CreateScene", 601)

    run(scenario)


def test_obs_relaunched_with_a_new_password_is_rejoined_from_the_launch_folder(tmp_path: Path) -> None:
    from streamkit.obs import launcher

    def publish(port: int, password: str) -> None:  # what `obs launch` leaves in its folder
        state = launcher.LaunchState(str(tmp_path), port, 1, 2, ":9", str(tmp_path), str(tmp_path / "obs.log"))
        launcher.write_state(state, password)

    async def scenario(fake: FakeObs) -> None:
        links: list[LinkEvent] = []
        publish(fake.port, fake.password)
        found = launcher.connection_for("127.0.0.1", 1, None, tmp_path)
        client = ObsClient(
            found,
            heartbeat_s=0.2,
            backoff_s=(0.02, 0.1),
            refresh=lambda: launcher.connection_for("127.0.0.1", 1, None, tmp_path),
        )
        async with client:
            client.on_link(links.append)
            port = fake.port
            await fake.stop()  # OBS crashed; `obs launch` starts a new one with a new password
            await until(lambda: bool(links))
            fake.password = "a-new-password-from-the-relaunch"
            publish(port, fake.password)
            await fake.start(port)
            await until(lambda: links[-1].kind != "lost")
            assert [e.kind for e in links] == ["lost", "resynced"]
            assert (await client.call("GetCurrentProgramScene"))["currentProgramSceneName"] == fake.program

    run(scenario)
