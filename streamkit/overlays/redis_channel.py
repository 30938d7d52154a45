"""The overlay channel over Redis: for a site served by several machines (or when Redis is there anyway).

One Lua script numbers an event, retains it and publishes it, atomically, so every process sees the same order
and a page that connects later replays the same state. Each process answers a delivery by pushing how many of its
pages took it onto a short-lived list; the publisher sums the answers of the processes Redis says it reached.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis

from streamkit.overlays.bus import Delivery, OverlayBus, OverlayChannelError, OverlayEvent

log = logging.getLogger(__name__)
PREFIX = "streamkit:overlays"
ACK_WAIT_S = 1.0
RETAIN_S = 12 * 3600  # a ceremony's state; a site restarted the next day starts blank, as the in-process bus did
RECONNECT_S = (0.2, 5.0)

# KEYS: id counter, retained hash, channel. ARGV: event JSON, retained slot, wall-clock time, retain seconds.
PUBLISH = """
local id = redis.call('INCR', KEYS[1])
local delivery = '{"id":' .. id .. ',"published_at":' .. ARGV[3] .. ',"event":' .. ARGV[1] .. '}'
redis.call('HSET', KEYS[2], ARGV[2], delivery)
redis.call('EXPIRE', KEYS[2], ARGV[4])
return {id, redis.call('PUBLISH', KEYS[3], delivery)}
"""


class RedisChannel:
    """Publishes through Redis and follows its deliveries for one process's bus."""

    def __init__(self, url: str, *, prefix: str = PREFIX) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
        # the subscription waits for deliveries as long as there are none: no read timeout on its connection
        self._listening = redis.Redis.from_url(url, socket_timeout=None, socket_connect_timeout=5)
        self._keys = [f"{prefix}:id", f"{prefix}:retained", f"{prefix}:events"]
        self._ack_prefix = f"{prefix}:ack:"
        self._script = self._redis.register_script(PUBLISH)
        self._closed = threading.Event()
        self._pubsub: Any = None
        self._follower: threading.Thread | None = None

    def __repr__(self) -> str:  # the URL may hold a password
        return "RedisChannel()"

    def attach(self, bus: OverlayBus) -> None:
        try:
            self._subscribe(bus)
        except redis.RedisError as exc:
            log.warning("overlay channel: Redis not reachable yet (%s); retrying in the background", type(exc).__name__)
        self._follower = threading.Thread(target=self._follow, args=(bus,), daemon=True, name="overlay-redis")
        self._follower.start()

    def _subscribe(self, bus: OverlayBus) -> None:
        # subscribe before reading the retained state: a delivery in between arrives twice, never not at all
        pubsub = self._listening.pubsub(ignore_subscribe_messages=True)  # type: ignore[no-untyped-call]
        pubsub.subscribe(self._keys[2])
        retained = self._redis.hgetall(self._keys[1])
        bus.restore([Delivery.from_json(text) for text in retained.values()])
        self._pubsub = pubsub

    def _follow(self, bus: OverlayBus) -> None:
        wait = RECONNECT_S[0]
        while not self._closed.is_set():
            try:
                if self._pubsub is None:
                    self._subscribe(bus)
                wait = RECONNECT_S[0]
                for message in self._pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    delivery = Delivery.from_json(message["data"])
                    key = f"{self._ack_prefix}{delivery.id}"
                    answer = self._redis.pipeline()
                    answer.rpush(key, bus.deliver(delivery))
                    answer.expire(key, 60)
                    answer.execute()
            except Exception as exc:
                # close() tears the subscription's connection down under the read: redis-py may then fail in any
                # way (a parser without its buffer); once closed, whatever the follower was doing is over
                if self._closed.is_set():
                    return
                if not isinstance(exc, (redis.RedisError, OSError, ValueError)):
                    raise
                log.debug("overlay channel: Redis connection lost: %s", type(exc).__name__)
                self._pubsub = None
                self._closed.wait(wait)
                wait = min(wait * 2, RECONNECT_S[1])

    def publish(self, event: OverlayEvent) -> int:
        slot = Delivery(0, event, 0.0).slot
        try:
            delivery_id, receivers = self._script(
                keys=self._keys, args=[event.model_dump_json(exclude_none=True), slot, repr(time.time()), RETAIN_S]
            )
            key = f"{self._ack_prefix}{delivery_id}"
            pages, deadline = 0, time.monotonic() + ACK_WAIT_S
            for _ in range(int(receivers)):
                left = deadline - time.monotonic()
                answer = self._redis.blpop([key], timeout=max(left, 0.01)) if left > 0 else None
                if answer is None:
                    break
                pages += int(answer[1])
            self._redis.delete(key)
            return pages
        except redis.RedisError as exc:
            raise OverlayChannelError(f"Redis did not take the overlay event: {type(exc).__name__}") from None

    def close(self) -> None:
        self._closed.set()
        pubsub = self._pubsub
        if pubsub is not None:
            pubsub.close()
        self._redis.close()
        self._listening.close()
        if self._follower is not None and self._follower is not threading.current_thread():
            self._follower.join(timeout=5)
