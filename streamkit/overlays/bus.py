"""The overlay bus: the ceremony runner publishes overlay events; every open browser-source page receives them.

Thread-safe. Each subscriber has a bounded queue; one that stops reading is dropped (its page reconnects and is
brought up to date), so a stuck browser never blocks the ceremony. The bus remembers the latest text and visibility
of each overlay and replays them to a new subscriber: an OBS browser source that reloads mid-ceremony shows what it
should at once.

Alone, a bus reaches the pages of its own process. Given an ``OverlayChannel`` (the embedded hub, or Redis), it
publishes through the channel, which numbers the event, retains it and hands it to the bus of every process that
serves pages, on this machine or another.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Protocol

from pydantic import Field, ValidationError, model_validator

from streamkit.config.loader import SpecModel, format_loc
from streamkit.errors import StreamkitError

OverlayName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,39}$")]
Action = Literal["set", "show", "hide", "countdown"]
SUBSCRIBER_QUEUE = 64


class OverlayEvent(SpecModel):
    """One instruction for one overlay page: set its text, show or hide it, or start a countdown."""

    overlay: OverlayName
    action: Action
    lines: tuple[str, ...] = ()
    seconds: Annotated[int, Field(ge=0, le=24 * 3600)] | None = None
    title: str | None = None

    @model_validator(mode="after")
    def _countdown_has_seconds(self) -> OverlayEvent:
        if self.action == "countdown" and self.seconds is None:
            raise ValueError("a countdown event needs 'seconds'")
        return self

    @classmethod
    def set_text(cls, overlay: str, *lines: str) -> OverlayEvent:
        return cls(overlay=overlay, action="set", lines=lines)

    @classmethod
    def show(cls, overlay: str) -> OverlayEvent:
        return cls(overlay=overlay, action="show")

    @classmethod
    def hide(cls, overlay: str) -> OverlayEvent:
        return cls(overlay=overlay, action="hide")

    @classmethod
    def start_countdown(cls, seconds: int, *, title: str | None = None, overlay: str = "countdown") -> OverlayEvent:
        return cls(overlay=overlay, action="countdown", seconds=seconds, title=title)


class OverlayEventError(StreamkitError):
    """An event that is not valid (from a POST body or the command line), described in one line."""


class OverlayChannelError(StreamkitError):
    """The channel between the site's processes (the hub, or Redis) could not take an event."""


def parse_event(data: object) -> OverlayEvent:
    """Validate untrusted event data; the first problem becomes one readable line."""
    try:
        return OverlayEvent.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = format_loc(first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise OverlayEventError(f"bad overlay event: {where + ': ' if where else ''}{message}") from None


class OverlayPublisher(Protocol):
    """What the ceremony runner needs: the in-process OverlayBus or an OverlayClient for a site elsewhere."""

    def publish(self, event: OverlayEvent) -> int: ...


class OverlayChannel(Protocol):
    """What carries events between the processes that serve pages: numbers, retains and fans them out."""

    def attach(self, bus: OverlayBus) -> None:
        """Give ``bus`` the retained state now, then every delivery as it is published (from any process)."""

    def publish(self, event: OverlayEvent) -> int:
        """Publish ``event``; returns how many pages, in all attached processes, received it."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """An event as published: its sequence number and when (wall clock, for countdown catch-up in any process)."""

    id: int
    event: OverlayEvent
    published_at: float

    @property
    def slot(self) -> str:
        """What the delivery replaces in the retained state: the overlay's text, or its visibility."""
        return f"{self.event.overlay}/{'text' if self.event.action == 'set' else 'visibility'}"

    def payload(self, now: float | None = None) -> dict[str, Any]:
        """What a page receives; a countdown carries the milliseconds still to run at the time of sending."""
        data: dict[str, Any] = {"id": self.id, **self.event.model_dump(mode="json", exclude_none=True)}
        if self.event.seconds is not None:
            elapsed_ms = ((time.time() if now is None else now) - self.published_at) * 1000
            data["remaining_ms"] = max(0, round(self.event.seconds * 1000 - elapsed_ms))
        return data

    def to_json(self) -> str:
        """The wire form between processes (``from_json`` reads it back)."""
        return delivery_json(self.id, self.published_at, self.event.model_dump_json(exclude_none=True))

    @classmethod
    def from_json(cls, text: str | bytes) -> Delivery:
        data = json.loads(text)
        return cls(int(data["id"]), OverlayEvent.model_validate(data["event"]), float(data["published_at"]))


def delivery_json(delivery_id: int, published_at: float, event_json: str) -> str:
    """One delivery as JSON text; the Redis script builds the same text around an id it draws itself."""
    return f'{{"id":{delivery_id},"published_at":{published_at!r},"event":{event_json}}}'


class Subscription:
    """One page's view of the bus. ``get`` returns the next delivery, None on timeout, or raises when closed."""

    def __init__(self, overlay: str | None, backlog: list[Delivery]) -> None:
        self.overlay = overlay
        self.backlog = backlog
        self._queue: queue.Queue[Delivery | None] = queue.Queue(SUBSCRIBER_QUEUE)
        self.closed = threading.Event()

    def wants(self, delivery: Delivery) -> bool:
        return self.overlay is None or delivery.event.overlay == self.overlay

    def offer(self, delivery: Delivery) -> bool:
        try:
            self._queue.put_nowait(delivery)
        except queue.Full:
            return False
        return True

    def close(self) -> None:
        self.closed.set()
        # when the queue is full the reader still sees ``closed`` after its next timeout
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def get(self, timeout: float) -> Delivery | None:
        """The next delivery, or None if nothing came within ``timeout``; raises SubscriptionClosed when closed."""
        if self.closed.is_set() and self._queue.empty():
            raise SubscriptionClosed
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            if self.closed.is_set():
                raise SubscriptionClosed from None
            return None
        if item is None:
            raise SubscriptionClosed
        return item


class SubscriptionClosed(Exception):
    """The bus closed, or dropped this subscriber for falling behind."""


class OverlayBus:
    """Publish/subscribe for overlay events, safe to use from any thread; shared between processes by a channel."""

    def __init__(self, channel: OverlayChannel | None = None) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Subscription] = []
        self._ids = itertools.count(1)
        # latest text ("set") and latest visibility (show/hide/countdown) per overlay, by Delivery.slot
        self._retained: dict[str, Delivery] = {}
        self._closed = False
        self._channel = channel
        if channel is not None:
            channel.attach(self)

    def publish(self, event: OverlayEvent) -> int:
        """Send ``event`` to every interested page; returns how many subscribers got it."""
        if self._channel is not None:
            return 0 if self._closed else self._channel.publish(event)
        with self._lock:
            return self._deliver(Delivery(next(self._ids), event, time.time()))

    def deliver(self, delivery: Delivery) -> int:
        """Hand a delivery numbered elsewhere (by the channel) to this process's pages; returns how many got it."""
        with self._lock:
            return self._deliver(delivery)

    def restore(self, retained: list[Delivery]) -> None:
        """Take the channel's retained state (on attaching, and after reconnecting to it)."""
        with self._lock:
            self._retained = {}
            for delivery in sorted(retained, key=lambda d: d.id):
                self._retained[delivery.slot] = delivery

    def _deliver(self, delivery: Delivery) -> int:
        if self._closed:
            return 0
        kept = self._retained.get(delivery.slot)
        if kept is None or kept.id < delivery.id:
            self._retained[delivery.slot] = delivery
        delivered = 0
        for sub in list(self._subscribers):
            if not sub.wants(delivery):
                continue
            if sub.offer(delivery):
                delivered += 1
            else:  # fell behind: drop it; the page reconnects and replays the retained state
                self._subscribers.remove(sub)
                sub.close()
        return delivered

    @contextmanager
    def subscribe(self, overlay: str | None = None) -> Iterator[Subscription]:
        """Subscribe to one overlay's events (or all); the backlog holds the retained state to replay first."""
        with self._lock:
            backlog = sorted(
                (d for d in self._retained.values() if overlay is None or d.event.overlay == overlay),
                key=lambda d: d.id,
            )
            sub = Subscription(overlay, backlog)
            if self._closed:
                sub.close()
            else:
                self._subscribers.append(sub)
        try:
            yield sub
        finally:
            with self._lock:
                if sub in self._subscribers:
                    self._subscribers.remove(sub)
            sub.close()

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    def close(self) -> None:
        """End every subscription (their streams finish); later publishes go nowhere."""
        with self._lock:
            self._closed = True
            subs, self._subscribers = self._subscribers, []
        for sub in subs:
            sub.close()
        if self._channel is not None:
            self._channel.close()
