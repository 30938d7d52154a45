"""The embedded overlay channel: a small hub on a unix socket, which ``web serve --prod`` starts for its workers.

Every worker's bus keeps one connection to the hub open: the hub sends it the retained state, then each delivery,
and the worker answers each delivery with how many of its pages took it. A publish comes on a connection of its
own: the hub numbers the event, retains it, sends it to every worker and replies with the sum of their answers.
Nothing to install; it joins the workers of one machine (several machines share Redis instead).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from streamkit.overlays.bus import Delivery, OverlayBus, OverlayChannelError, OverlayEvent

log = logging.getLogger(__name__)
ACK_WAIT_S = 1.0  # a worker that has not answered by then is counted as delivering to no page
SEND_TIMEOUT_S = 2  # a worker that stops reading its connection is dropped; it reconnects and gets the state
RECONNECT_S = (0.2, 5.0)  # first and longest wait of a worker between attempts to reach the hub


def _line(data: dict[str, Any] | str) -> bytes:
    return ((data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)) + "\n").encode()


class _Listener:
    """One worker's connection, as the hub sees it."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        # a blocking socket that gives up on a send after SEND_TIMEOUT_S (reads stay blocking for the acks)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, struct.pack("ll", SEND_TIMEOUT_S, 0))
        self.alive = True

    def send(self, data: bytes) -> bool:
        try:
            self.conn.sendall(data)
        except OSError:
            self.alive = False
        return self.alive


class OverlayHub:
    """The hub itself: ``serve_forever`` in a thread or process, ``close`` to stop."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self._ids = itertools.count(1)
        self._retained: dict[str, Delivery] = {}
        self._listeners: set[_Listener] = set()
        self._acks: dict[int, dict[_Listener, int]] = {}
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        path.unlink(missing_ok=True)
        self._server.bind(str(path))
        self._server.listen(64)

    def serve_forever(self) -> None:
        while True:
            try:
                conn, _ = self._server.accept()
            except OSError:  # closed
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True, name="overlay-hub-conn").start()

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._server.shutdown(socket.SHUT_RDWR)
        self._server.close()
        with self._lock:
            listeners, self._listeners = self._listeners, set()
        for listener in listeners:  # shutdown, not close: the reading thread's file still holds the socket
            with contextlib.suppress(OSError):
                listener.conn.shutdown(socket.SHUT_RDWR)
        self.path.unlink(missing_ok=True)

    def _handle(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rb") as reader:
            try:
                first = json.loads(reader.readline() or b"{}")
                if "publish" in first:
                    event_id, pages = self.publish(OverlayEvent.model_validate(first["publish"]))
                    conn.sendall(_line({"id": event_id, "delivered": pages}))
                elif first.get("listen"):
                    self._follow(_Listener(conn), reader)
            except (OSError, ValueError) as exc:  # a broken or foreign connection ends; the hub goes on
                log.debug("overlay hub connection ended: %s", exc)

    def _follow(self, listener: _Listener, reader: Any) -> None:
        with self._lock:  # snapshot and registration together, so no delivery falls between them
            snapshot = sorted(self._retained.values(), key=lambda d: d.id)
            listener.send(_line({"retained": len(snapshot)}) + b"".join(_line(d.to_json()) for d in snapshot))
            self._listeners.add(listener)
        try:
            for raw in reader:
                answer = json.loads(raw)
                with self._lock:
                    if (acks := self._acks.get(int(answer["ack"]))) is not None:
                        acks[listener] = int(answer["pages"])
                        self._answered.notify_all()
        finally:
            with self._lock:
                self._listeners.discard(listener)
                listener.alive = False
                self._answered.notify_all()

    def publish(self, event: OverlayEvent) -> tuple[int, int]:
        """Number, retain and send ``event`` to every worker; returns its id and how many pages took it."""
        with self._lock:
            delivery = Delivery(next(self._ids), event, time.time())
            self._retained[delivery.slot] = delivery
            acks = self._acks[delivery.id] = {}
            data = _line(delivery.to_json())
            sent = [listener for listener in list(self._listeners) if listener.send(data)]
            for dropped in self._listeners.difference(sent):
                self._listeners.discard(dropped)
                with contextlib.suppress(OSError):
                    dropped.conn.shutdown(socket.SHUT_RDWR)
            deadline = time.monotonic() + ACK_WAIT_S
            while any(listener.alive and listener not in acks for listener in sent):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._answered.wait(left)
            del self._acks[delivery.id]
            return delivery.id, sum(acks.values())


class HubChannel:
    """A worker's side of the hub: follows the deliveries for its bus and publishes through the hub."""

    def __init__(self, path: Path, *, timeout_s: float = 5.0) -> None:
        self.path = path
        self.timeout_s = timeout_s
        self._closed = threading.Event()
        self._conn: socket.socket | None = None

    def __repr__(self) -> str:
        return f"HubChannel({str(self.path)!r})"

    def attach(self, bus: OverlayBus) -> None:
        try:  # at once, so the first pages this process serves already replay the retained state
            first = self._listen(bus)
        except OSError as exc:
            log.warning("overlay hub %s not reachable yet (%s); retrying in the background", self.path, exc)
            first = None
        threading.Thread(target=self._follow, args=(bus, first), daemon=True, name="overlay-hub").start()

    def _listen(self, bus: OverlayBus) -> Any:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            conn.settimeout(self.timeout_s)
            conn.connect(str(self.path))
            conn.sendall(_line({"listen": 1}))
            reader = conn.makefile("rb")
            count = int(json.loads(reader.readline() or b"{}")["retained"])
            bus.restore([Delivery.from_json(reader.readline()) for _ in range(count)])
            conn.settimeout(None)
        except (OSError, ValueError, KeyError) as exc:
            conn.close()
            raise OSError(f"bad answer from the overlay hub: {exc}") from None
        self._conn = conn
        return reader

    def _follow(self, bus: OverlayBus, reader: Any) -> None:
        wait = RECONNECT_S[0]
        while not self._closed.is_set():
            if reader is None:
                try:
                    reader = self._listen(bus)
                except OSError:
                    self._closed.wait(wait)
                    wait = min(wait * 2, RECONNECT_S[1])
                    continue
            wait = RECONNECT_S[0]
            conn = self._conn
            try:
                for raw in reader:
                    delivery = Delivery.from_json(raw)
                    pages = bus.deliver(delivery)
                    if conn is not None:
                        conn.sendall(_line({"ack": delivery.id, "pages": pages}))
            except (OSError, ValueError) as exc:
                log.debug("overlay hub connection lost: %s", exc)
            reader.close()
            if conn is not None:
                conn.close()
            reader = None

    def publish(self, event: OverlayEvent) -> int:
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(self.timeout_s)
                conn.connect(str(self.path))
                conn.sendall(_line({"publish": event.model_dump(mode="json", exclude_none=True)}))
                with conn.makefile("rb") as reader:
                    answer = json.loads(reader.readline() or b"{}")
            return int(answer["delivered"])
        except (OSError, ValueError, KeyError) as exc:
            raise OverlayChannelError(f"the overlay hub at {self.path} did not take the event: {exc}") from None

    def close(self) -> None:
        self._closed.set()
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.shutdown(socket.SHUT_RDWR)


@contextmanager
def running_hub(socket_path: Path | None = None, start_timeout_s: float = 10.0) -> Iterator[str]:
    """Run a hub in a child process; yields its ``hub://`` channel URL.

    On ``socket_path`` if given (so that ``overlay serve`` on this machine can join too), else on a socket in a
    private folder, removed afterwards.
    """
    folder = None if socket_path else Path(tempfile.mkdtemp(prefix="streamkit-overlays-"))
    path = socket_path or Path(str(folder)) / "hub.sock"
    process = subprocess.Popen([sys.executable, "-m", "streamkit.overlays.hub", str(path)], stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + start_timeout_s
        while not _answers(path):
            if process.poll() is not None or time.monotonic() > deadline:
                raise OverlayChannelError(f"the overlay hub did not start on {path} (exit code {process.poll()})")
            time.sleep(0.05)
        yield f"hub://{path}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def _answers(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def main(argv: list[str]) -> None:
    """``python -m streamkit.overlays.hub SOCKET``: serve until stopped, or until the process that started it ends."""
    hub = OverlayHub(Path(argv[0]))
    parent = os.getppid()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=hub.serve_forever, daemon=True, name="overlay-hub").start()
    while not stop.wait(1.0):
        if os.getppid() != parent:  # the site was killed without stopping us
            break
    hub.close()


if __name__ == "__main__":
    main(sys.argv[1:])
