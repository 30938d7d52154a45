"""The channels between processes serving overlay pages: the embedded hub and Redis, held to the same promises.

Each bus here stands for one process (a gunicorn worker, or a site on another machine): a page subscribed to any
bus gets what any other bus publishes, and a page that connects later replays the same retained state.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from streamkit.errors import ConfigError
from streamkit.overlays.bus import Delivery, OverlayBus, OverlayChannelError, OverlayEvent, Subscription
from streamkit.overlays.channel import open_channel
from streamkit.overlays.hub import HubChannel, OverlayHub
from streamkit.overlays.redis_channel import RedisChannel

NewBus = Callable[[], OverlayBus]


@pytest.fixture
def hub_url() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="sk-hub-"))  # short: a unix socket path has at most 107 bytes
    hub = OverlayHub(folder / "hub.sock")
    thread = threading.Thread(target=hub.serve_forever, daemon=True)
    thread.start()
    yield f"hub://{hub.path}"
    hub.close()
    thread.join(timeout=5)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(params=["hub", "redis"])
def new_bus(request: pytest.FixtureRequest) -> Iterator[NewBus]:
    """Make buses joined by one channel of the parametrized kind; all are closed after the test."""
    url = request.getfixturevalue("hub_url" if request.param == "hub" else "redis_url")
    with ExitStack() as stack:

        def make() -> OverlayBus:
            bus = OverlayBus(open_channel(url))
            stack.callback(bus.close)
            return bus

        yield make


def next_delivery(sub: Subscription) -> Delivery:
    got = sub.get(timeout=10)
    assert got is not None, "no delivery within 10 s"
    return got


def test_every_process_gets_what_any_one_publishes(new_bus: NewBus) -> None:
    first, second = new_bus(), new_bus()
    with first.subscribe("lower-third") as here, second.subscribe() as there, second.subscribe("title") as other:
        assert first.publish(OverlayEvent.set_text("lower-third", "周海", "1908–1932")) == 2  # pages, both processes
        assert next_delivery(here).event.lines == ("周海", "1908–1932")
        assert next_delivery(there).event.lines == ("周海", "1908–1932")
        assert second.publish(OverlayEvent.show("title")) == 2  # `there` takes every overlay, `other` the title
        assert next_delivery(there).event.overlay == "title"
        assert next_delivery(other).event.action == "show"
        assert here.get(timeout=0.05) is None


def test_a_process_that_attaches_later_replays_the_latest_state(new_bus: NewBus) -> None:
    first = new_bus()
    first.publish(OverlayEvent.set_text("lower-third", "周海"))
    first.publish(OverlayEvent.show("lower-third"))
    first.publish(OverlayEvent.set_text("lower-third", "李成"))
    first.publish(OverlayEvent.start_countdown(60, title="默哀"))
    later = new_bus()
    with later.subscribe("lower-third") as sub:
        assert [(d.id, d.event.action, d.event.lines) for d in sub.backlog] == [(2, "show", ()), (3, "set", ("李成",))]
    with later.subscribe("countdown") as sub:
        (countdown,) = sub.backlog
        assert countdown.payload(now=countdown.published_at + 12.5)["remaining_ms"] == 47_500


def test_every_process_sees_one_order(new_bus: NewBus) -> None:
    buses = [new_bus(), new_bus()]
    with buses[0].subscribe() as one, buses[1].subscribe() as two:
        publishers = [
            threading.Thread(target=lambda b=bus: [b.publish(OverlayEvent.show("title")) for _ in range(10)])
            for bus in buses
        ]
        for thread in publishers:
            thread.start()
        for thread in publishers:
            thread.join()
        seen_one = [next_delivery(one).id for _ in range(20)]
        seen_two = [next_delivery(two).id for _ in range(20)]
    assert seen_one == seen_two == sorted(seen_one) and len(set(seen_one)) == 20


def test_an_unreachable_hub_is_one_clear_error() -> None:
    channel = HubChannel(Path("/nonexistent/hub.sock"), timeout_s=0.5)
    with pytest.raises(OverlayChannelError, match=r"^the overlay hub at /nonexistent/hub.sock did not take the event"):
        channel.publish(OverlayEvent.show("title"))


def test_an_unknown_channel_is_a_config_error_that_hides_the_url() -> None:
    with pytest.raises(ConfigError) as caught:
        open_channel("amqp://user:s3cret@broker/")
    assert "s3cret" not in str(caught.value) and "overlays.channel" in str(caught.value)
    assert open_channel(None) is None


def _serve_hub(path: Path) -> tuple[OverlayHub, threading.Thread]:
    hub = OverlayHub(path)
    thread = threading.Thread(target=hub.serve_forever, daemon=True)
    thread.start()
    return hub, thread


def _until(check: Callable[[], bool]) -> bool:
    """Poll ``check`` for up to 30 s on the clock: a worker retries the hub with a growing pause, the first ones
    short, and a loaded machine stretches every pause."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if check():
            return True
        threading.Event().wait(0.05)
    return False


def test_a_worker_follows_a_hub_that_starts_late_or_restarts() -> None:
    folder = Path(tempfile.mkdtemp(prefix="sk-hub-"))
    path = folder / "hub.sock"
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, folder, True)
        worker = OverlayBus(HubChannel(path))  # no hub yet: it keeps trying in the background
        stack.callback(worker.close)
        hub, _ = _serve_hub(path)
        publisher = OverlayBus(HubChannel(path))
        stack.callback(publisher.close)
        publisher.publish(OverlayEvent.set_text("lower-third", "周海"))

        def replayed() -> bool:
            with worker.subscribe("lower-third") as sub:
                return [d.event.lines for d in sub.backlog] == [("周海",)]

        assert _until(replayed)
        hub.close()
        hub, _ = _serve_hub(path)  # a new hub: the worker reconnects and gets events again
        stack.callback(hub.close)
        with worker.subscribe("title") as page:
            assert _until(lambda: publisher.publish(OverlayEvent.show("title")) == 1)
            assert next_delivery(page).event.action == "show"


def test_a_redis_password_stays_out_of_reprs_and_errors() -> None:
    url = "redis://:s3cret-redis-pass@127.0.0.1:1/0"  # nothing listens on port 1
    channel = open_channel(url)
    assert channel is not None and "s3cret" not in repr(channel)
    with pytest.raises(OverlayChannelError) as caught:
        channel.publish(OverlayEvent.show("title"))
    assert "s3cret" not in str(caught.value) and str(caught.value).startswith("Redis did not take the overlay event")
    channel.close()


class _TornSubscription:
    """Stands in for redis-py's subscription: closed under a blocked read, it fails the way redis-py's parser does."""

    def __init__(self) -> None:
        self.closed = threading.Event()

    def listen(self) -> Iterator[dict[str, object]]:
        self.closed.wait(10)
        raise AttributeError("'NoneType' object has no attribute 'readline'")
        yield {}  # a generator, like redis-py's listen()

    def close(self) -> None:
        self.closed.set()


def test_a_redis_channel_closed_under_its_follower_ends_it_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))
    channel = RedisChannel("redis://127.0.0.1:1/0")  # never reached: the subscription is the stand-in
    torn = _TornSubscription()
    monkeypatch.setattr(channel, "_subscribe", lambda bus: setattr(channel, "_pubsub", torn))
    bus = OverlayBus(channel)
    follower = channel._follower
    assert follower is not None and follower.is_alive()
    bus.close()
    assert torn.closed.is_set() and not follower.is_alive()  # close() waits for the follower to end
    assert failures == []
