"""A fake obs-websocket v5 server on ``websockets`` with a tiny OBS model and fault injection.

It speaks the real handshake (Hello with challenge/salt, Identify, Identified) on the msgpack and json subprotocols,
answers the requests streamkit uses with real status codes (100, 204, 207, 600...), runs asynchronous output state
machines (STARTING -> STARTED, or STARTING -> STOPPED when the "RTMP server" is down) and delays scene-change events
like a transition. Faults: drop the link (client sees 1006), close with any code, 207 windows, slow or missing replies,
a stream that drops (OBS reconnecting, or giving up) or is cut once after it started. Requests are answered through
a dispatch table, one small handler per request.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import msgpack
from websockets.asyncio.server import Server, ServerConnection, serve

Reply = tuple[int, str | None, dict[str, Any] | None]  # status code, comment, responseData


def auth_string(password: str, salt: str, challenge: str) -> str:
    secret = base64.b64encode(hashlib.sha256((password + salt).encode()).digest())
    return base64.b64encode(hashlib.sha256(secret + challenge.encode()).digest()).decode()


@dataclass
class Item:
    id: int
    source: str
    enabled: bool = True
    transform: dict[str, Any] = field(default_factory=dict)


@dataclass
class FakeObs:
    password: str = "fake-secret"
    available: set[str] = field(
        default_factory=lambda: {
            "GetVersion", "GetStats", "GetSceneList", "GetCurrentProgramScene", "SetCurrentProgramScene",
            "GetStreamStatus", "GetRecordStatus", "StartStream", "StopStream", "StartRecord", "StopRecord",
            "CreateScene", "GetSceneItemList", "GetSceneItemId", "SetSceneItemEnabled", "GetSceneItemEnabled",
            "CreateInput",
            "GetInputList", "GetInputSettings", "SetInputSettings", "SetStreamServiceSettings", "Sleep",
            "GetInputMute", "SetInputMute", "GetInputVolume", "SetInputVolume", "GetMediaInputStatus",
            "TriggerMediaInputAction",
        }
    )  # fmt: skip
    scenes: dict[str, list[Item]] = field(default_factory=lambda: {"Scene": []})
    inputs: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    program: str = "Scene"
    stream_active: bool = False
    record_active: bool = False
    # fault injection
    not_ready_left: int = 0
    reply_delay_s: float = 0.0
    silent: bool = False  # keep the link open but never answer (a half-open link)
    rtmp_down: bool = False
    close_on_identify: int | None = None
    transition_s: float = 0.03
    received: list[str] = field(default_factory=list)
    next_id: int = 1
    muted: dict[str, bool] = field(default_factory=dict)
    volume_db: dict[str, float] = field(default_factory=dict)
    media_state: dict[str, str] = field(default_factory=dict)
    handshakes: int = 0
    cut_stream_after_s: float | None = None  # once: the stream stops by itself this long after it started
    record_path: str = "/tmp/fake.mkv"  # where "OBS" says the recording went (set it inside the test's folder)

    def __post_init__(self) -> None:
        self._conns: set[ServerConnection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: Server | None = None
        self.port = 0

    async def start(self, port: int = 0) -> FakeObs:
        self._server = await serve(
            self._handle, "127.0.0.1", port, subprotocols=["obswebsocket.msgpack", "obswebsocket.json"]
        )  # type: ignore[list-item]
        sock = next(iter(self._server.sockets))
        self.port = sock.getsockname()[1]
        return self

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for conn in list(self._conns):
                conn.transport.abort()
            await self._server.wait_closed()
            self._server = None

    async def stream_lost(self, *, gave_up: bool = False) -> None:
        """The RTMP link broke: OBS reconnects by itself, or (``gave_up``) stops the stream.

        Like OBS, the stream is reported inactive while it reconnects (``outputActive`` false, state RECONNECTING)."""
        self.stream_active = False
        state = "OBS_WEBSOCKET_OUTPUT_STOPPED" if gave_up else "OBS_WEBSOCKET_OUTPUT_RECONNECTING"
        await self.broadcast("StreamStateChanged", {"outputActive": False, "outputState": state})

    async def stream_reconnected(self) -> None:
        self.stream_active = True
        await self.broadcast(
            "StreamStateChanged", {"outputActive": True, "outputState": "OBS_WEBSOCKET_OUTPUT_RECONNECTED"}
        )

    def drop_links(self) -> None:
        """Cut every client's TCP link without a close frame: the client sees 1006."""
        for conn in list(self._conns):
            conn.transport.abort()

    async def close_links(self, code: int, reason: str = "") -> None:
        for conn in list(self._conns):
            await conn.close(code, reason)

    async def broadcast(self, event_type: str, data: dict[str, Any]) -> None:
        for conn in list(self._conns):
            with contextlib.suppress(Exception):
                await self._send(conn, {"op": 5, "d": {"eventType": event_type, "eventIntent": 0, "eventData": data}})

    # ---- protocol ------------------------------------------------------------------------------------------------

    async def _send(self, conn: ServerConnection, message: dict[str, Any]) -> None:
        if conn.subprotocol == "obswebsocket.msgpack":
            await conn.send(msgpack.packb(message))
        else:
            await conn.send(json.dumps(message))

    async def _handle(self, conn: ServerConnection) -> None:
        self.handshakes += 1
        salt, challenge = "c2FsdA==", "Y2hhbGxlbmdl"
        await self._send(
            conn,
            {
                "op": 0,
                "d": {
                    "obsWebSocketVersion": "5.1.0",
                    "rpcVersion": 1,
                    "authentication": {"challenge": challenge, "salt": salt},
                },
            },
        )
        try:
            async for raw in conn:
                message = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
                op, d = message["op"], message["d"]
                if op == 1:
                    if self.close_on_identify is not None:
                        await conn.close(self.close_on_identify, "injected")
                        return
                    if d.get("authentication") != auth_string(self.password, salt, challenge):
                        await conn.close(4009, "Authentication failed.")
                        return
                    self._conns.add(conn)
                    await self._send(conn, {"op": 2, "d": {"negotiatedRpcVersion": 1}})
                elif op == 6:
                    self._spawn(self._answer(conn, d))
                elif op == 8:
                    self._spawn(self._answer_batch(conn, d))
                else:
                    await conn.close(4004, "unknown op")
                    return
        except Exception:
            pass
        finally:
            self._conns.discard(conn)

    async def _answer(self, conn: ServerConnection, d: dict[str, Any]) -> None:
        self.received.append(d["requestType"])
        if self.silent:
            return
        if self.reply_delay_s:
            await asyncio.sleep(self.reply_delay_s)
        code, comment, data = await self._execute(d["requestType"], d.get("requestData") or {})
        reply: dict[str, Any] = {
            "requestType": d["requestType"],
            "requestId": d["requestId"],
            "requestStatus": {"result": code == 100, "code": code, **({"comment": comment} if comment else {})},
        }
        if data is not None:
            reply["responseData"] = data
        with contextlib.suppress(Exception):
            await self._send(conn, {"op": 7, "d": reply})

    async def _answer_batch(self, conn: ServerConnection, d: dict[str, Any]) -> None:
        results = []
        for request in d["requests"]:
            self.received.append(request["requestType"])
            code, comment, data = await self._execute(request["requestType"], request.get("requestData") or {})
            results.append(
                {
                    "requestType": request["requestType"],
                    "requestStatus": {"result": code == 100, "code": code, **({"comment": comment} if comment else {})},
                    **({"responseData": data} if data is not None else {}),
                }
            )
            if code != 100 and d.get("haltOnFailure"):
                break
        with contextlib.suppress(Exception):
            await self._send(conn, {"op": 9, "d": {"requestId": d["requestId"], "results": results}})

    async def _execute(self, kind: str, data: dict[str, Any]) -> Reply:
        if kind not in self.available:
            return 204, f"Your request type is not valid: {kind}", None
        if self.not_ready_left > 0:
            self.not_ready_left -= 1
            return 207, "OBS is not ready to perform the request.", None
        handler = _HANDLERS.get(kind)
        if handler is None:
            return 204, f"fake does not implement {kind}", None
        return await handler(self, data)

    # ---- one handler per request (the dispatch table is at the end of the module) ---------------------------------

    async def _get_version(self, data: dict[str, Any]) -> Reply:
        return 100, None, {
            "obsVersion": "29.0.2", "obsWebSocketVersion": "5.1.0", "rpcVersion": 1,
            "availableRequests": sorted(self.available),
        }  # fmt: skip

    async def _get_stats(self, data: dict[str, Any]) -> Reply:
        return 100, None, {"activeFps": 30.0, "availableDiskSpace": 50000.0, "outputSkippedFrames": 0}

    async def _get_scene_list(self, data: dict[str, Any]) -> Reply:
        scenes = [{"sceneName": n, "sceneIndex": i} for i, n in enumerate(reversed(list(self.scenes)))]
        return 100, None, {"currentProgramSceneName": self.program, "scenes": scenes}

    async def _get_program_scene(self, data: dict[str, Any]) -> Reply:
        return 100, None, {"currentProgramSceneName": self.program}

    async def _set_program_scene(self, data: dict[str, Any]) -> Reply:
        name = data["sceneName"]
        if name not in self.scenes:
            return 600, f"No source was found by the name of `{name}`.", None
        self.program = name
        asyncio.get_running_loop().call_later(
            self.transition_s, lambda: self._spawn(self.broadcast("CurrentProgramSceneChanged", {"sceneName": name}))
        )
        return 100, None, None

    async def _get_stream_status(self, data: dict[str, Any]) -> Reply:
        return 100, None, {"outputActive": self.stream_active, "outputReconnecting": False, "outputBytes": 0}

    async def _get_record_status(self, data: dict[str, Any]) -> Reply:
        return 100, None, {"outputActive": self.record_active, "outputPaused": False}

    async def _create_scene(self, data: dict[str, Any]) -> Reply:
        if data["sceneName"] in self.scenes:
            return 601, "A source already exists by that scene name.", None
        self.scenes[data["sceneName"]] = []
        return 100, None, None

    async def _get_scene_item_list(self, data: dict[str, Any]) -> Reply:
        items = self.scenes.get(data["sceneName"])
        if items is None:
            return 600, "No source was found", None
        listed = [
            {"sceneItemId": it.id, "sourceName": it.source, "sceneItemEnabled": it.enabled, "sceneItemIndex": i}
            for i, it in enumerate(items)
        ]
        return 100, None, {"sceneItems": listed}

    def _item(self, data: dict[str, Any]) -> Item | None:
        return next((it for it in self.scenes.get(data["sceneName"], []) if it.id == data["sceneItemId"]), None)

    async def _get_scene_item_id(self, data: dict[str, Any]) -> Reply:
        for it in self.scenes.get(data["sceneName"], []):
            if it.source == data["sourceName"]:
                return 100, None, {"sceneItemId": it.id}
        return 600, "No scene items were found in the specified scene by that name.", None

    async def _get_scene_item_enabled(self, data: dict[str, Any]) -> Reply:
        item = self._item(data)
        return (600, "No scene item", None) if item is None else (100, None, {"sceneItemEnabled": item.enabled})

    async def _set_scene_item_enabled(self, data: dict[str, Any]) -> Reply:
        item = self._item(data)
        if item is None:
            return 600, "No scene item", None
        item.enabled = bool(data["sceneItemEnabled"])
        await self.broadcast("SceneItemEnableStateChanged", {**data})
        return 100, None, None

    async def _create_input(self, data: dict[str, Any]) -> Reply:
        if data["inputName"] in self.inputs:
            return 601, "A source already exists by that input name.", None
        self.inputs[data["inputName"]] = (data["inputKind"], dict(data.get("inputSettings") or {}))
        item = Item(self.next_id, data["inputName"], bool(data.get("sceneItemEnabled", True)))
        self.next_id += 1
        self.scenes[data["sceneName"]].append(item)
        return 100, None, {"sceneItemId": item.id}

    async def _get_input_list(self, data: dict[str, Any]) -> Reply:
        return 100, None, {"inputs": [{"inputName": n, "inputKind": k} for n, (k, _) in self.inputs.items()]}

    async def _get_input_settings(self, data: dict[str, Any]) -> Reply:
        found = self.inputs.get(data["inputName"])
        if found is None:
            return 600, "No source was found", None
        return 100, None, {"inputKind": found[0], "inputSettings": found[1]}

    async def _set_input_settings(self, data: dict[str, Any]) -> Reply:
        found = self.inputs.get(data["inputName"])
        if found is None:
            return 600, "No source was found", None
        found[1].update(data["inputSettings"])
        return 100, None, None

    async def _get_media_status(self, data: dict[str, Any]) -> Reply:
        return 100, None, {"mediaState": self.media_state.get(data["inputName"], "OBS_MEDIA_STATE_PLAYING")}

    async def _trigger_media(self, data: dict[str, Any]) -> Reply:
        name = data["inputName"]
        if name not in self.inputs:
            return 600, "No source was found", None
        action = data["mediaAction"]
        if action.endswith("_PLAY") and self.media_state.get(name) == "OBS_MEDIA_STATE_STOPPED":
            return 100, None, None  # like OBS: PLAY after STOP does nothing (obs-websocket#1046), no event
        self.media_state[name] = "OBS_MEDIA_STATE_PLAYING"
        await self.broadcast("MediaInputActionTriggered", {"inputName": name, "mediaAction": action})
        return 100, None, None

    async def _create_record_chapter(self, data: dict[str, Any]) -> Reply:
        if not self.record_active:
            return 501, "The output is not running.", None
        return 100, None, None

    async def _accept(self, data: dict[str, Any]) -> Reply:
        return 100, None, None

    async def _sleep(self, data: dict[str, Any]) -> Reply:
        await asyncio.sleep(data.get("sleepMillis", 0) / 1000)
        return 100, None, None

    async def _audio(self, data: dict[str, Any], kind: str) -> Reply:
        name = data["inputName"]
        if name not in self.inputs:
            return 600, "No source was found", None
        if kind == "GetInputMute":
            return 100, None, {"inputMuted": self.muted.get(name, False)}
        if kind == "GetInputVolume":
            return 100, None, {"inputVolumeDb": self.volume_db.get(name, 0.0), "inputVolumeMul": 1.0}
        if kind == "SetInputMute":
            if self.muted.get(name, False) != data["inputMuted"]:
                self.muted[name] = data["inputMuted"]
                await self.broadcast("InputMuteStateChanged", {"inputName": name, "inputMuted": data["inputMuted"]})
            return 100, None, None
        self.volume_db[name] = data["inputVolumeDb"]
        await self.broadcast("InputVolumeChanged", {"inputName": name, "inputVolumeDb": data["inputVolumeDb"]})
        return 100, None, None

    def _output(self, kind: str) -> Reply:
        loop = asyncio.get_running_loop()
        stream = "Stream" in kind
        event = "StreamStateChanged" if stream else "RecordStateChanged"
        active = self.stream_active if stream else self.record_active
        starting = kind.startswith("Start")
        if starting == active:
            return 500, "output already " + ("active" if active else "inactive"), None

        def later(delay: float, state: str, is_active: bool) -> None:
            def fire() -> None:
                if stream:
                    self.stream_active = is_active
                else:
                    self.record_active = is_active
                extra = {"outputPath": self.record_path} if not stream else {}
                self._spawn(self.broadcast(event, {"outputActive": is_active, "outputState": state, **extra}))

            loop.call_later(delay, fire)

        if starting:
            later(0.01, "OBS_WEBSOCKET_OUTPUT_STARTING", False)
            if stream and self.rtmp_down:
                later(0.05, "OBS_WEBSOCKET_OUTPUT_STOPPED", False)
            else:
                later(0.05, "OBS_WEBSOCKET_OUTPUT_STARTED", True)
            if stream and self.cut_stream_after_s is not None:
                later(0.05 + self.cut_stream_after_s, "OBS_WEBSOCKET_OUTPUT_STOPPED", False)
                self.cut_stream_after_s = None
        else:
            later(0.01, "OBS_WEBSOCKET_OUTPUT_STOPPING", True)
            later(0.05, "OBS_WEBSOCKET_OUTPUT_STOPPED", False)
        return 100, None, None


class FakeObsInThread:
    """The fake OBS on its own loop in a thread, so a CLI subprocess can talk to it."""

    def __init__(self) -> None:
        self.fake = FakeObs()
        self.fake.scenes = {"Scene": [], "开场": [Item(1, "字幕条", False)], "结束": [], "待机": []}
        self.fake.inputs = {"字幕条": ("image_source", {})}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> FakeObsInThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.fake.start(), self.loop).result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def _output(kind: str) -> Callable[[FakeObs, dict[str, Any]], Awaitable[Reply]]:
    async def handle(fake: FakeObs, data: dict[str, Any]) -> Reply:
        return fake._output(kind)

    return handle


def _audio(kind: str) -> Callable[[FakeObs, dict[str, Any]], Awaitable[Reply]]:
    async def handle(fake: FakeObs, data: dict[str, Any]) -> Reply:
        return await fake._audio(data, kind)

    return handle


_HANDLERS: dict[str, Callable[[FakeObs, dict[str, Any]], Awaitable[Reply]]] = {
    "GetVersion": FakeObs._get_version,
    "GetStats": FakeObs._get_stats,
    "GetSceneList": FakeObs._get_scene_list,
    "GetCurrentProgramScene": FakeObs._get_program_scene,
    "SetCurrentProgramScene": FakeObs._set_program_scene,
    "GetStreamStatus": FakeObs._get_stream_status,
    "GetRecordStatus": FakeObs._get_record_status,
    **{kind: _output(kind) for kind in ("StartStream", "StopStream", "StartRecord", "StopRecord")},
    "CreateScene": FakeObs._create_scene,
    "GetSceneItemList": FakeObs._get_scene_item_list,
    "GetSceneItemId": FakeObs._get_scene_item_id,
    "GetSceneItemEnabled": FakeObs._get_scene_item_enabled,
    "SetSceneItemEnabled": FakeObs._set_scene_item_enabled,
    "CreateInput": FakeObs._create_input,
    "GetInputList": FakeObs._get_input_list,
    "GetInputSettings": FakeObs._get_input_settings,
    "SetInputSettings": FakeObs._set_input_settings,
    **{kind: _audio(kind) for kind in ("GetInputMute", "SetInputMute", "GetInputVolume", "SetInputVolume")},
    "GetMediaInputStatus": FakeObs._get_media_status,
    "TriggerMediaInputAction": FakeObs._trigger_media,
    "CreateRecordChapter": FakeObs._create_record_chapter,
    "SetStreamServiceSettings": FakeObs._accept,
    "Sleep": FakeObs._sleep,
}
