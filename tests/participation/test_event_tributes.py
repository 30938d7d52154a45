"""Tributes on event pages and the live counts: one tap, counted per event; counts per martyr, cemetery and day
from a small cached JSON document; the same key sent by many requests at once counted once; the fast path answers
exactly as the view does."""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ArchiveError
from streamkit.participation.models import Tribute, TributeKind
from streamkit.participation.tributes import (
    Outcome,
    TributeRequest,
    TributeWriter,
    _offer_batch,
    _Pending,
    _sql,
    cemetery_counts,
    daily_counts,
    event_counts,
    live_counts,
    offer,
    offer_tribute,
    tribute_day,
)
from streamkit.register.importer import import_register
from streamkit.web import tributes as web_tributes
from tests.archive.conftest import make_event
from tests.participation.conftest import JSON, register_file
from tests.participation.test_tribute_pages import form
from tests.register.conftest import PRIVATE_PHONE

DAY = date(2026, 4, 4)
SAME_ORIGIN = {"Origin": "http://localhost", **JSON}


def tribute(key: str, *, martyr_id: int | None = 1, event_id: int | None = None, client: str = "c1") -> TributeRequest:
    kind = TributeKind.CANDLE
    return TributeRequest(key=key.ljust(16, "0"), martyr_id=martyr_id, event_id=event_id, kind=kind, client=client,
                          day=DAY)  # fmt: skip


def rows(store: ArchiveStore) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(Tribute.id))) or 0


def test_event_tributes_count_per_event_and_venue_and_cap_per_client(store: ArchiveStore) -> None:
    event = make_event(store, venue="南山烈士陵园")
    other = make_event(store, venue="北山陵园")
    outcomes = [offer_tribute(store, tribute(f"e{i}", martyr_id=None, event_id=event.id), daily_cap=2)
                for i in range(3)]  # fmt: skip
    assert outcomes == [Outcome.COUNTED, Outcome.COUNTED, Outcome.CAPPED]
    assert offer_tribute(store, tribute("o1", martyr_id=None, event_id=other.id), daily_cap=2) is Outcome.COUNTED
    assert offer_tribute(store, tribute("m1"), daily_cap=2) is Outcome.COUNTED  # a martyr of 南山烈士陵园
    assert offer_tribute(store, tribute("x1", martyr_id=None, event_id=999), daily_cap=2) is Outcome.NOT_FOUND
    assert event_counts(store, event.id) == {TributeKind.FLOWER: 0, TributeKind.CANDLE: 2, TributeKind.BOW: 0}
    assert cemetery_counts(store) == {"北山陵园": 1, "南山烈士陵园": 3}
    assert daily_counts(store) == {DAY: 4}
    assert rows(store) == 4  # the capped tribute left no row


@pytest.mark.parametrize(("martyr_id", "event_id"), [(None, None), (1, 2)], ids=["no-target", "two-targets"])
def test_a_tribute_names_exactly_one_target(martyr_id: int | None, event_id: int | None) -> None:
    with pytest.raises(ValueError):
        tribute("bad", martyr_id=martyr_id, event_id=event_id)


def test_the_same_key_sent_by_many_requests_at_once_counts_once(store: ArchiveStore) -> None:
    start = threading.Barrier(16)

    def send(n: int) -> Outcome:
        start.wait()
        key = "retry" if n % 2 else f"own{n}"  # half the requests retry one key, the others each have their own
        return offer(store, tribute(key, client=f"c{n}"), daily_cap=100).outcome

    with ThreadPoolExecutor(16) as pool:
        outcomes = list(pool.map(send, range(16)))
    retried = [o for n, o in enumerate(outcomes) if n % 2]
    assert sorted(retried) == sorted([Outcome.COUNTED] + [Outcome.REPEATED] * 7)
    assert all(o is Outcome.COUNTED for n, o in enumerate(outcomes) if not n % 2)
    assert rows(store) == 9
    found = live_counts(store, martyr_id=1, day=DAY)
    assert found is not None and found.counts[TributeKind.CANDLE] == 9 and found.cemetery_today == 9


def test_one_bad_tribute_in_a_batch_costs_the_others_nothing(store: ArchiveStore) -> None:
    broken = dataclasses.replace(tribute("broken"), day="not a date")  # type: ignore[arg-type]
    batch = [_Pending(t, 100) for t in (tribute("g1"), broken, tribute("g2"))]
    TributeWriter(store)._write(batch)  # one batch, as the writer takes them: the commit fails, each goes alone
    assert [p.done.is_set() for p in batch] == [True, True, True]
    assert [p.answer.outcome if p.answer else None for p in batch] == [Outcome.COUNTED, None, Outcome.COUNTED]
    assert isinstance(batch[1].error, ArchiveError) and rows(store) == 2


def test_the_event_page_offers_tributes_and_stays_a_shared_cached_page(
    client: FlaskClient, store: ArchiveStore
) -> None:
    event = make_event(store, venue="南山烈士陵园")
    page = client.get(f"/events/{event.slug}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Set-Cookie" not in page.headers  # no session, no token: cacheable
    assert f'action="/events/{event.id}/tributes"' in html and "献花" in html and "js/tributes.js" in html
    assert f'data-live="/api/tributes/events/{event.id}"' in html and 'name="csrf_token"' not in html
    answer = client.post(f"/events/{event.id}/tributes", data={"kind": "bow", "key": "e" * 20}, headers=SAME_ORIGIN)
    assert answer.status_code == 200 and answer.json == {
        "outcome": "counted",
        "counts": {"flower": 0, "candle": 0, "bow": 1},
    }
    retry = client.post(f"/events/{event.id}/tributes", data={"kind": "bow", "key": "e" * 20}, headers=SAME_ORIGIN)
    assert retry.json == {"outcome": "repeated", "counts": {"flower": 0, "candle": 0, "bow": 1}}
    # without JavaScript: the browser's plain form post, with its Origin, and back to the page
    plain = client.post(f"/events/{event.id}/tributes", data={"kind": "flower"}, headers={"Origin": "http://localhost"})
    assert plain.status_code == 303 and plain.headers["Location"] == f"/events/{event.slug}?offered=flower#tributes"
    assert event_counts(store, event.id)[TributeKind.FLOWER] == 1


def test_event_tributes_refuse_other_sites_and_missing_events(client: FlaskClient, store: ArchiveStore) -> None:
    event = make_event(store)
    data = {"kind": "bow", "key": "f" * 20}
    cross = {"Origin": "https://evil.example", **JSON}
    assert client.post(f"/events/{event.id}/tributes", data=data, headers=cross).status_code == 400
    fetched = {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost", **JSON}
    assert client.post(f"/events/{event.id}/tributes", data=data, headers=fetched).status_code == 400
    assert client.post(f"/events/{event.id}/tributes", data=data, headers=JSON).status_code == 400  # no Origin
    assert client.post("/events/999/tributes", data=data, headers=SAME_ORIGIN).status_code == 404
    assert rows(store) == 0


def test_the_fast_path_answers_as_the_view_does(app: Flask, client: FlaskClient, store: ArchiveStore) -> None:
    token, _ = form(client)
    fast = {"csrf_token": token, "kind": "flower", "key": "a" * 20}
    answers = [client.post("/martyrs/1/tributes", data={**fast, "key": f"{'a' * 19}{i}"}, headers=SAME_ORIGIN)
               for i in range(4)]  # fmt: skip
    assert [a.status_code for a in answers] == [200, 200, 200, 429]  # the fixture caps at 3 per martyr and day
    assert answers[-1].json == {"outcome": "capped", "counts": {"flower": 3, "candle": 0, "bow": 0}}
    assert answers[0].headers["Content-Security-Policy"] and answers[0].headers["Cache-Control"] == "no-store"
    # the fast path leaves what it does not take to the view: a bad key, a hidden martyr, a missing token
    assert client.post("/martyrs/1/tributes", data={**fast, "key": "short"}, headers=SAME_ORIGIN).status_code == 400
    assert client.post("/martyrs/5/tributes", data={**fast, "key": "h" * 20}, headers=SAME_ORIGIN).status_code == 404
    no_token = {"kind": "flower", "key": "n" * 20}
    assert client.post("/martyrs/2/tributes", data=no_token, headers=JSON).status_code == 400  # no Origin: CSRF
    assert rows(store) == 3


def test_the_rate_limit_holds_on_the_fast_path(client: FlaskClient) -> None:
    codes = [client.post(f"/martyrs/{1 + i % 4}/tributes", data={"kind": "bow", "key": f"r{i:019d}"},
                         headers=SAME_ORIGIN).status_code for i in range(9)]  # fmt: skip
    assert codes == [200] * 8 + [429]  # 8 per minute in the fixture


def test_the_client_limit_counts_per_window_and_client() -> None:
    limit = web_tributes.ClientLimit("2 per minute")
    assert [limit.allow("a", now=60.0) for _ in range(3)] == [True, True, False]
    assert limit.allow("b", now=60.0)
    assert limit.allow("a", now=120.0)  # the next minute


def test_live_counts_for_martyr_and_event_pages(client: FlaskClient, store: ArchiveStore) -> None:
    event = make_event(store, venue="南山烈士陵园")
    today = tribute_day()
    for n, target in enumerate([{"martyr_id": 1}, {"martyr_id": 2}, {"martyr_id": None, "event_id": event.id}]):
        request = TributeRequest(key=f"live{n:016d}", kind=TributeKind.FLOWER, client=f"c{n}", day=today, **target)  # type: ignore[arg-type]
        assert offer_tribute(store, request, daily_cap=5) is Outcome.COUNTED
    answer = client.get("/api/tributes/martyrs/1")
    assert answer.status_code == 200 and answer.headers["Cache-Control"] == "public, max-age=2"
    assert answer.json == {
        "counts": {"flower": 1, "candle": 0, "bow": 0},
        "cemetery": "南山烈士陵园",
        "cemetery_today": 3,
        "today": 3,
        "day": today.isoformat(),
        "campaign": None,  # config/campaigns holds no campaign running today
    }
    assert client.get(f"/api/tributes/events/{event.id}").json["counts"] == {"flower": 1, "candle": 0, "bow": 0}
    assert client.get("/api/tributes/martyrs/5").status_code == 404  # hidden
    assert client.get("/api/tributes/events/999").status_code == 404
    assert "Set-Cookie" not in answer.headers
    assert PRIVATE_PHONE not in answer.get_data(as_text=True)  # 王志国's family contact stays on the staff pages
    html = client.get("/martyrs/1").get_data(as_text=True)
    assert 'data-total="cemetery_today">3</output>' in html and 'data-total="today">3</output>' in html


def test_postgresql_counts_event_tributes_and_concurrent_retries_once(
    postgresql_store: ArchiveStore, tmp_path: Path
) -> None:
    import_register(postgresql_store, register_file(tmp_path))
    event = make_event(postgresql_store, venue="南山烈士陵园")
    start = threading.Barrier(8)

    def send(n: int) -> Outcome:
        start.wait()
        return offer(
            postgresql_store, tribute("same", martyr_id=None, event_id=event.id, client=f"c{n}"), daily_cap=9
        ).outcome

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(send, range(8)))
    assert sorted(outcomes) == sorted([Outcome.COUNTED] + [Outcome.REPEATED] * 7)
    found = live_counts(postgresql_store, event_id=event.id, day=DAY)
    assert found is not None and found.counts[TributeKind.CANDLE] == 1 and found.cemetery_today == 1


def test_one_batch_gives_each_tribute_the_outcome_it_would_get_alone(store: ArchiveStore) -> None:
    assert offer_tribute(store, tribute("before"), daily_cap=3) is Outcome.COUNTED  # one already stored today
    requests = [tribute("b1"), tribute("b1"), tribute("b2"), tribute("b3"), tribute("b4", client="c2"),
                tribute("b5", martyr_id=5), tribute("before")]  # fmt: skip
    batch = [_Pending(r, 3) for r in requests]
    TributeWriter(store)._write(batch)
    outcomes = [p.answer.outcome if p.answer else None for p in batch]
    assert outcomes == [Outcome.COUNTED, Outcome.REPEATED, Outcome.COUNTED, Outcome.CAPPED, Outcome.COUNTED,
                        Outcome.NOT_FOUND, Outcome.REPEATED]  # fmt: skip
    assert rows(store) == 4 and batch[0].answer and batch[0].answer.counts[TributeKind.CANDLE] == 4
    assert event_counts(store, 1)[TributeKind.CANDLE] == 0 and daily_counts(store) == {DAY: 4}
    assert offer_tribute(store, tribute("b3"), daily_cap=4) is Outcome.COUNTED  # the capped key was not kept


def test_postgresql_two_workers_at_once_never_let_a_client_past_the_cap(
    postgresql_store: ArchiveStore, tmp_path: Path
) -> None:
    """Two workers' batches for one client and martyr at the same instant: PostgreSQL shows neither the other's
    uncommitted row, so without a lock on the cap both would count. The second must wait and then be capped."""
    import_register(postgresql_store, register_file(tmp_path))
    sql = _sql("postgresql")
    first = postgresql_store.engine.raw_connection()
    outcomes: list[Outcome] = []

    def second_worker() -> None:
        connection = postgresql_store.engine.raw_connection()
        try:
            answers = _offer_batch(connection.cursor(), sql, [_Pending(tribute("second"), 1)])
            connection.commit()
            outcomes.extend(answer.outcome for answer in answers)
        finally:
            connection.close()

    try:
        assert [a.outcome for a in _offer_batch(first.cursor(), sql, [_Pending(tribute("first"), 1)])] == [
            Outcome.COUNTED
        ]  # written, not yet committed
        other = threading.Thread(target=second_worker)
        other.start()
        with postgresql_store.engine.connect() as watch:  # the second batch waits for the first's lock …
            waiting = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
            deadline = time.monotonic() + 30
            while watch.exec_driver_sql(waiting).scalar() != 1:
                assert time.monotonic() < deadline and other.is_alive(), "the second batch did not wait"
                time.sleep(0.02)
        first.commit()  # … until it commits, then counts its row in
        other.join(30)
    finally:
        first.close()
    assert outcomes == [Outcome.CAPPED] and rows(postgresql_store) == 1
    assert live_counts(postgresql_store, martyr_id=1, day=DAY).counts[TributeKind.CANDLE] == 1  # type: ignore[union-attr]
