"""The one place that speaks obs-websocket v5 (through simpleobsws), behind a small interface of our own.

What it adds to simpleobsws (see docs/decisions-obs.md): a timeout on every request, typed ObsRequestError with code
and comment, retry on 207 NotReady, the close-code policy (4009 wrong password and 4010 old server: stop with a clear
message; 4011 kicked: never reconnect; 1006 and the rest: reconnect with backoff), a GetStats heartbeat that catches a
half-open link, a full resync after every reconnect, at most one output command in flight, event waiters used to
confirm cues, and feature detection from GetVersion.availableRequests.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import simpleobsws

from streamkit.errors import ObsError, ObsRequestError

log = logging.getLogger(__name__)
# simpleobsws logs every request payload at DEBUG, stream keys included (SetStreamServiceSettings): keep it quiet
# even under `streamkit --debug`.
logging.getLogger("simpleobsws").setLevel(logging.INFO)

NOT_READY = 207
OUTPUT_REQUESTS = frozenset(
    {"StartStream", "StopStream", "ToggleStream", "StartRecord", "StopRecord", "ToggleRecord", "PauseRecord"}
)


class ObsAuthError(ObsError):
    """OBS refused the password (close code 4009); retrying cannot help."""


class ObsDisconnected(ObsError):
    """The link to OBS is down; the request was not (or may not have been) carried out."""


@dataclass(frozen=True)
class ObsConnection:
    """Where OBS listens; the password is kept out of repr and str."""

    host: str
    port: int
    password: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"


@dataclass(frozen=True)
class ObsRequest:
    """One request as data, so plans can be asserted whole before anything is sent."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ObsEvent:
    type: str
    data: Mapping[str, Any]
    received: float  # time.monotonic()


@dataclass(frozen=True)
class LinkEvent:
    """A change of the link itself: 'lost' (with close code), 'resynced' (after a reconnect), 'gave_up'."""

    kind: str
    detail: str = ""
    close_code: int | None = None
    at: float = 0.0


@dataclass
class ObsState:
    """What we know about OBS, rebuilt from scratch by every resync."""

    obs_version: str = ""
    websocket_version: str = ""
    available_requests: frozenset[str] = frozenset()
    scenes: tuple[str, ...] = ()
    program_scene: str = ""
    stream_active: bool = False
    record_active: bool = False
    scene_item_ids: dict[tuple[str, str], int] = field(default_factory=dict)

    def supports(self, request_type: str) -> bool:
        return request_type in self.available_requests


@dataclass(frozen=True)
class ClosePolicy:
    reconnect: bool
    message: str


def close_policy(code: int | None) -> ClosePolicy:
    """What to do when OBS closes the link with ``code`` (obs-websocket v5 WebSocketCloseCode)."""
    if code == 4009:
        return ClosePolicy(False, "OBS refused the websocket password (close code 4009); check STREAMKIT_OBS__PASSWORD")
    if code == 4010:
        return ClosePolicy(False, "OBS speaks an older websocket protocol (close code 4010); OBS 28+ is needed")
    if code == 4011:
        return ClosePolicy(False, "OBS closed the connection on purpose (kicked, close code 4011); not reconnecting")
    if code is not None and 4002 <= code <= 4008:
        return ClosePolicy(True, f"OBS rejected a malformed message (close code {code}); this is a streamkit bug")
    return ClosePolicy(True, f"link to OBS lost (close code {code})")


EventHandler = Callable[[ObsEvent], None]
LinkHandler = Callable[[LinkEvent], None]


class _Waiter:
    def __init__(self, predicate: Callable[[ObsEvent], bool]) -> None:
        self.predicate = predicate
        self.future: asyncio.Future[ObsEvent] = asyncio.get_running_loop().create_future()


class ObsClient:
    """An asyncio OBS client that survives OBS restarts; use ``async with`` or connect()/close()."""

    def __init__(
        self,
        connection: ObsConnection,
        *,
        request_timeout_s: float = 5.0,
        heartbeat_s: float = 2.0,
        reconnect: bool = True,
        backoff_s: tuple[float, float] = (0.25, 4.0),
        not_ready_retries: int = 20,
        refresh: Callable[[], ObsConnection] | None = None,
    ) -> None:
        """``refresh`` re-reads where OBS listens before each reconnect (a relaunched OBS has a new password)."""
        self.connection = connection
        self.refresh = refresh
        self.request_timeout_s = request_timeout_s
        self.heartbeat_s = heartbeat_s
        self.reconnect = reconnect
        self.backoff_s = backoff_s
        self.not_ready_retries = not_ready_retries
        self.state = ObsState()
        self._ws: simpleobsws.WebSocketClient | None = None
        self._connected = asyncio.Event()
        self._closing = False
        self._fatal: ObsError | None = None
        self._supervisor: asyncio.Task[None] | None = None
        self._waiters: list[_Waiter] = []
        self._event_handlers: list[EventHandler] = []
        self._link_handlers: list[LinkHandler] = []
        self._output_lock = asyncio.Lock()
        self.reconnects = 0

    def __repr__(self) -> str:
        return f"ObsClient({self.connection.url}, connected={self.connected})"

    # ---- lifecycle -------------------------------------------------------------------------------------------------

    async def __aenter__(self) -> ObsClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def connect(self, timeout_s: float = 10.0) -> None:
        """First connection: errors are raised here (unreachable, wrong password) instead of retried."""
        await self._open(timeout_s)
        try:
            await self.resync()
        except BaseException:
            await self._drop_socket()
            raise
        self._connected.set()
        if self.heartbeat_s > 0 or self.reconnect:
            self._supervisor = asyncio.create_task(self._supervise(), name="obs-supervisor")

    async def close(self) -> None:
        self._closing = True
        self._connected.clear()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._supervisor
            self._supervisor = None
        await self._drop_socket()
        for waiter in self._waiters:
            if not waiter.future.done():
                waiter.future.set_exception(ObsDisconnected("client closed"))
        self._waiters.clear()

    async def wait_connected(self, timeout_s: float | None = None) -> None:
        """Wait for the link (after a reconnect and resync); raises the fatal error if reconnecting was given up."""
        if self._fatal is not None:
            raise self._fatal
        try:
            await asyncio.wait_for(self._connected.wait(), timeout_s)
        except TimeoutError:
            raise ObsDisconnected(f"OBS at {self.connection.url} did not come back within {timeout_s} s") from None
        if self._fatal is not None:
            raise self._fatal

    async def _open(self, timeout_s: float) -> None:
        ws = simpleobsws.WebSocketClient(
            url=self.connection.url,
            password=self.connection.password,
            identification_parameters=simpleobsws.IdentificationParameters(),
        )
        try:
            await asyncio.wait_for(ws.connect(), timeout_s)
        except (OSError, TimeoutError) as exc:
            raise ObsDisconnected(f"cannot reach OBS at {self.connection.url}: {exc or 'timed out'}") from None
        except Exception as exc:  # websockets raises InvalidHandshake etc. for a non-websocket server
            raise ObsDisconnected(f"cannot reach OBS at {self.connection.url}: {exc}") from None
        identified = asyncio.create_task(ws.wait_until_identified(timeout_s))
        recv = ws.recv_task
        assert recv is not None
        # simpleobsws waits out the whole timeout when OBS closes the link during Identify; racing the receive task
        # gets the close code at once.
        await asyncio.wait({identified, recv}, return_when=asyncio.FIRST_COMPLETED)
        if not (identified.done() and identified.result() and ws.identified):
            identified.cancel()
            code = _close_code(ws)
            with contextlib.suppress(Exception):
                await ws.disconnect()
            policy = close_policy(code)
            if code == 4009:
                raise ObsAuthError(policy.message)
            if not policy.reconnect:
                raise ObsError(policy.message)
            raise ObsDisconnected(f"OBS at {self.connection.url} did not identify us ({policy.message})")
        ws.register_event_callback(self._on_event)
        self._ws = ws

    async def _drop_socket(self) -> None:
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.disconnect(), 2.0)

    # ---- requests --------------------------------------------------------------------------------------------------

    async def call(
        self, request_type: str, data: Mapping[str, Any] | None = None, *, timeout_s: float | None = None
    ) -> dict[str, Any]:
        """Send one request; return its responseData. Retries 207 NotReady; raises ObsRequestError on failure."""
        if request_type in OUTPUT_REQUESTS:
            async with self._output_lock:
                return await self._call(request_type, data, timeout_s)
        return await self._call(request_type, data, timeout_s)

    async def send(self, request: ObsRequest, *, timeout_s: float | None = None) -> dict[str, Any]:
        """``call`` for a request built as data (``streamkit.obs.requests``)."""
        return await self.call(request.type, request.data, timeout_s=timeout_s)

    async def _call(self, request_type: str, data: Mapping[str, Any] | None, timeout_s: float | None) -> dict[str, Any]:
        timeout = timeout_s or self.request_timeout_s
        delay = 0.1
        for attempt in range(self.not_ready_retries + 1):
            ws = self._require_ws()
            try:
                response = await _with_link(
                    ws, ws.call(simpleobsws.Request(request_type, dict(data) if data else None), timeout=timeout)
                )
            except simpleobsws.MessageTimeout:
                raise ObsDisconnected(f"OBS did not answer {request_type} within {timeout:g} s") from None
            except simpleobsws.NotIdentifiedError:
                raise ObsDisconnected(f"not connected to OBS; {request_type} was not sent") from None
            status = response.requestStatus
            if status.result:
                return dict(response.responseData or {})
            if status.code == NOT_READY and attempt < self.not_ready_retries:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            raise ObsRequestError(request_type, status.code, status.comment)
        raise AssertionError("unreachable")

    async def batch(
        self,
        requests: Sequence[ObsRequest],
        *,
        halt_on_failure: bool = False,
        serial_frame: bool = False,
        timeout_s: float | None = None,
    ) -> list[dict[str, Any]]:
        """Send a RequestBatch; raise ObsRequestError for the first failed request (all 207 -> retried)."""
        if not requests:
            return []
        timeout = timeout_s or max(self.request_timeout_s, 0.05 * len(requests))
        execution = (
            simpleobsws.RequestBatchExecutionType.SerialFrame
            if serial_frame
            else simpleobsws.RequestBatchExecutionType.SerialRealtime
        )
        delay = 0.1
        for attempt in range(self.not_ready_retries + 1):
            ws = self._require_ws()
            try:
                results = await _with_link(
                    ws,
                    ws.call_batch(
                        [simpleobsws.Request(r.type, dict(r.data) if r.data else None) for r in requests],
                        timeout=timeout,
                        halt_on_failure=halt_on_failure,
                        execution_type=execution,
                    ),
                )
            except simpleobsws.MessageTimeout:
                raise ObsDisconnected(f"OBS did not answer a batch of {len(requests)} within {timeout:g} s") from None
            except simpleobsws.NotIdentifiedError:
                raise ObsDisconnected("not connected to OBS; the batch was not sent") from None
            if results and all(r.requestStatus.code == NOT_READY for r in results) and attempt < self.not_ready_retries:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 1.0)
                continue
            for result in results:
                if not result.requestStatus.result:
                    raise ObsRequestError(result.requestType, result.requestStatus.code, result.requestStatus.comment)
            return [dict(r.responseData or {}) for r in results]
        raise AssertionError("unreachable")

    async def output(self, output: str, start: bool, *, confirm_timeout_s: float = 15.0) -> ObsEvent | None:
        """Start or stop ``stream``/``record`` and wait for OBS to confirm it by event; one command in flight at once.

        Returns the confirming event, or None when the output was already in the wanted state (nothing sent).
        A stream that goes STARTING -> STOPPED (RTMP server down, wrong key) raises ObsError: failed, not started.
        """
        if output not in ("stream", "record"):
            raise ValueError(f"unknown output {output!r}")
        event_type = "StreamStateChanged" if output == "stream" else "RecordStateChanged"
        request = ("Start" if start else "Stop") + ("Stream" if output == "stream" else "Record")
        terminal = {"OBS_WEBSOCKET_OUTPUT_STARTED", "OBS_WEBSOCKET_OUTPUT_STOPPED"}
        async with self._output_lock:
            active = self.state.stream_active if output == "stream" else self.state.record_active
            if active == start:
                return None
            confirmed = self.expect(lambda e: e.type == event_type and e.data.get("outputState") in terminal)
            try:
                await self._call(request, None, None)
                event = await asyncio.wait_for(asyncio.shield(confirmed), confirm_timeout_s)
            except TimeoutError:
                raise ObsError(f"OBS did not confirm {request} within {confirm_timeout_s:g} s") from None
            finally:
                confirmed.cancel()
            if start and event.data.get("outputState") != "OBS_WEBSOCKET_OUTPUT_STARTED":
                raise ObsError(f"{output} failed to start: OBS reported {event.data.get('outputState')}")
            return event

    def _require_ws(self) -> simpleobsws.WebSocketClient:
        if self._fatal is not None:
            raise self._fatal
        ws = self._ws
        if ws is None or not ws.identified:
            raise ObsDisconnected("not connected to OBS")
        return ws

    # ---- events ----------------------------------------------------------------------------------------------------

    def on_event(self, handler: EventHandler) -> None:
        self._event_handlers.append(handler)

    def on_link(self, handler: LinkHandler) -> None:
        self._link_handlers.append(handler)

    def expect(self, predicate: Callable[[ObsEvent], bool]) -> asyncio.Future[ObsEvent]:
        """Register interest in an event *before* sending the request that causes it; await the returned future."""
        waiter = _Waiter(predicate)
        self._waiters.append(waiter)
        waiter.future.add_done_callback(lambda _f: self._waiters.remove(waiter) if waiter in self._waiters else None)
        return waiter.future

    async def _on_event(self, payload: dict[str, Any]) -> None:
        event = ObsEvent(str(payload.get("eventType", "")), payload.get("eventData") or {}, time.monotonic())
        self._track(event)
        for waiter in list(self._waiters):
            if not waiter.future.done() and waiter.predicate(event):
                waiter.future.set_result(event)
        for handler in list(self._event_handlers):
            try:
                handler(event)
            except Exception:  # a broken handler must not take the link down with it
                log.exception("event handler failed on %s", event.type)
        if event.type == "ExitStarted":
            # OBS keeps the socket open while it unloads; treat it as gone now (obs-websocket#1010).
            await self._drop_socket()

    def _track(self, event: ObsEvent) -> None:
        data = event.data
        if event.type == "CurrentProgramSceneChanged":
            self.state.program_scene = str(data.get("sceneName", ""))
        elif event.type == "StreamStateChanged":
            self.state.stream_active = bool(data.get("outputActive"))
        elif event.type == "RecordStateChanged":
            self.state.record_active = bool(data.get("outputActive"))
        elif event.type in ("SceneItemCreated", "SceneItemRemoved", "SceneCreated", "SceneRemoved", "InputNameChanged"):
            self.state.scene_item_ids.clear()
            if event.type == "SceneCreated":
                self.state.scenes = (*self.state.scenes, str(data.get("sceneName", "")))

    def _emit_link(self, link_event: LinkEvent) -> None:
        for handler in list(self._link_handlers):
            try:
                handler(link_event)
            except Exception:
                log.exception("link handler failed on %s", link_event.kind)

    # ---- state -----------------------------------------------------------------------------------------------------

    async def resync(self) -> ObsState:
        """Rebuild everything we know from OBS (after every (re)connect: v5 replays nothing)."""
        version = await self._call("GetVersion", None, None)
        scenes = await self._call("GetSceneList", None, None)
        stream = await self._call("GetStreamStatus", None, None)
        record = await self._call("GetRecordStatus", None, None)
        self.state = ObsState(
            obs_version=str(version.get("obsVersion", "")),
            websocket_version=str(version.get("obsWebSocketVersion", "")),
            available_requests=frozenset(version.get("availableRequests", ())),
            scenes=tuple(str(s["sceneName"]) for s in reversed(scenes.get("scenes", []))),
            program_scene=str(scenes.get("currentProgramSceneName", "")),
            stream_active=bool(stream.get("outputActive")),
            record_active=bool(record.get("outputActive")),
        )
        return self.state

    async def scene_item_id(self, scene: str, source: str) -> int:
        """The sceneItemId of ``source`` in ``scene``, cached until a scene item changes or the link drops."""
        key = (scene, source)
        cached = self.state.scene_item_ids.get(key)
        if cached is not None:
            return cached
        found = await self.call("GetSceneItemId", {"sceneName": scene, "sourceName": source})
        item_id = int(found["sceneItemId"])
        self.state.scene_item_ids[key] = item_id
        return item_id

    # ---- supervisor: heartbeat, close-code policy, reconnect with backoff ------------------------------------------

    async def _supervise(self) -> None:
        while not self._closing:
            code = await self._watch_link()
            if self._closing:
                return
            self._connected.clear()
            await self._drop_socket()
            policy = close_policy(code)
            self._emit_link(LinkEvent("lost", policy.message, code, time.monotonic()))
            for waiter in list(self._waiters):
                if not waiter.future.done():
                    waiter.future.set_exception(ObsDisconnected(policy.message))
            if not (policy.reconnect and self.reconnect):
                self._fatal = ObsError(policy.message)
                self._connected.set()  # wake waiters so they see the fatal error
                self._emit_link(LinkEvent("gave_up", policy.message, code, time.monotonic()))
                return
            await self._reconnect()

    async def _watch_link(self) -> int | None:
        """Return when the link is gone: the receive task ended (close code) or a heartbeat went unanswered."""
        ws = self._ws
        if ws is None or ws.recv_task is None:
            return None
        recv = ws.recv_task
        while True:
            done, _ = await asyncio.wait({recv}, timeout=self.heartbeat_s if self.heartbeat_s > 0 else None)
            if done:
                return _close_code(ws)
            try:
                await self._call("GetStats", None, max(self.heartbeat_s * 2, 1.0))
            except ObsDisconnected:
                return _close_code(ws) if recv.done() else 1006  # half-open: treat like an abnormal close
            except ObsRequestError:
                pass

    async def _reconnect(self) -> None:
        delay, ceiling = self.backoff_s
        while not self._closing:
            if self.refresh is not None:
                try:
                    self.connection = self.refresh()
                except (ObsError, OSError) as exc:  # the launcher is rewriting its files: try the last known place
                    log.debug("cannot re-read the OBS connection: %s", exc)
            try:
                await self._open(max(2.0, self.request_timeout_s))
                await self.resync()
            except ObsAuthError as exc:
                self._fatal = exc
                self._connected.set()
                self._emit_link(LinkEvent("gave_up", str(exc), 4009, time.monotonic()))
                raise asyncio.CancelledError from None
            except ObsError as exc:
                log.debug("reconnect failed: %s", exc)
                await self._drop_socket()
                await asyncio.sleep(delay)
                delay = min(delay * 2, ceiling)
                continue
            self.reconnects += 1
            self._connected.set()
            self._emit_link(LinkEvent("resynced", f"OBS {self.state.obs_version}", None, time.monotonic()))
            return


async def _with_link(ws: simpleobsws.WebSocketClient, coro: Awaitable[Any]) -> Any:
    """Await ``coro`` but fail fast when the link drops (simpleobsws would wait out the whole timeout)."""
    task = asyncio.ensure_future(coro)
    recv = ws.recv_task
    if recv is None:
        task.cancel()
        raise ObsDisconnected("not connected to OBS")
    done, _ = await asyncio.wait({task, recv}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        return task.result()
    task.cancel()
    with contextlib.suppress(BaseException):
        await task
    raise ObsDisconnected(f"link to OBS lost ({close_policy(_close_code(ws)).message})")


def _close_code(ws: simpleobsws.WebSocketClient) -> int | None:
    conn = getattr(ws, "ws", None)
    code = getattr(conn, "close_code", None)
    return int(code) if code is not None else None
