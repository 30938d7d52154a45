"""The overlay bus: thread-safe publish/subscribe with retained state and no blocking on slow pages."""

from __future__ import annotations

import threading

import pytest
from pydantic import ValidationError

from streamkit.overlays.bus import SUBSCRIBER_QUEUE, OverlayBus, OverlayEvent, SubscriptionClosed


def test_subscribers_get_only_their_overlay() -> None:
    bus = OverlayBus()
    with bus.subscribe("lower-third") as lt, bus.subscribe() as everything:
        assert bus.publish(OverlayEvent(overlay="lower-third", action="show")) == 2
        assert bus.publish(OverlayEvent(overlay="title", action="show")) == 1
        got = lt.get(timeout=1)
        assert got is not None and got.event.overlay == "lower-third"
        assert lt.get(timeout=0.05) is None
        names = [everything.get(timeout=1), everything.get(timeout=1)]
        assert [d.event.overlay for d in names if d] == ["lower-third", "title"]
    assert bus.subscriber_count == 0


def test_new_subscriber_gets_latest_text_and_visibility() -> None:
    bus = OverlayBus()
    bus.publish(OverlayEvent(overlay="lower-third", action="set", lines=("周海",)))
    bus.publish(OverlayEvent(overlay="lower-third", action="show"))
    bus.publish(OverlayEvent(overlay="lower-third", action="set", lines=("李成",)))
    bus.publish(OverlayEvent(overlay="title", action="hide"))
    with bus.subscribe("lower-third") as sub:
        assert [(d.event.action, d.event.lines) for d in sub.backlog] == [("show", ()), ("set", ("李成",))]


def test_countdown_replay_carries_the_time_still_to_run() -> None:
    bus = OverlayBus()
    bus.publish(OverlayEvent(overlay="countdown", action="countdown", seconds=60))
    with bus.subscribe("countdown") as sub:
        (delivery,) = sub.backlog
        later = delivery.published_at + 12.5
        assert delivery.payload(now=later)["remaining_ms"] == 47_500
        assert delivery.payload(now=delivery.published_at + 99)["remaining_ms"] == 0


def test_a_subscriber_that_stops_reading_is_dropped_not_waited_for() -> None:
    bus = OverlayBus()
    with bus.subscribe() as stuck:
        for _ in range(SUBSCRIBER_QUEUE):
            assert bus.publish(OverlayEvent(overlay="title", action="show")) == 1
        assert bus.publish(OverlayEvent(overlay="title", action="hide")) == 0  # dropped, publisher not blocked
        assert bus.subscriber_count == 0
        drained = 0
        with pytest.raises(SubscriptionClosed):
            while True:
                if stuck.get(timeout=0.1) is not None:
                    drained += 1
        assert drained == SUBSCRIBER_QUEUE


def test_close_ends_waiting_subscribers() -> None:
    bus = OverlayBus()
    ended = threading.Event()

    def reader() -> None:
        with bus.subscribe() as sub:
            try:
                while True:
                    sub.get(timeout=5)
            except SubscriptionClosed:
                ended.set()

    thread = threading.Thread(target=reader)
    thread.start()
    while bus.subscriber_count == 0:
        threading.Event().wait(0.01)
    bus.close()
    thread.join(timeout=5)
    assert ended.is_set()
    assert bus.publish(OverlayEvent(overlay="title", action="show")) == 0


def test_concurrent_publishers_deliver_every_event_once_in_id_order() -> None:
    bus = OverlayBus()
    per_thread = 15
    with bus.subscribe() as sub:
        threads = [
            threading.Thread(
                target=lambda: [bus.publish(OverlayEvent(overlay="title", action="show")) for _ in range(per_thread)]
            )
            for _ in range(4)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        ids = []
        while (d := sub.get(timeout=0.05)) is not None:
            ids.append(d.id)
    assert ids == sorted(ids) and len(set(ids)) == 4 * per_thread


@pytest.mark.parametrize(
    "data",
    [
        {"overlay": "lower-third", "action": "countdown"},  # no seconds
        {"overlay": "Lower Third", "action": "show"},  # not a page name
        {"overlay": "title", "action": "explode"},
        {"overlay": "countdown", "action": "countdown", "seconds": -5},
    ],
)
def test_bad_events_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        OverlayEvent.model_validate(data)
