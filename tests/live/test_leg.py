"""The leg state machine, driven by a made-up clock: every path between the states, as tables."""

from __future__ import annotations

import pytest

from streamkit.live.leg import (
    Disable,
    Event,
    Exited,
    Leg,
    LegChange,
    LegState,
    Progress,
    RetryNow,
    RetryPolicy,
    Shutdown,
    Start,
    Stop,
    Tick,
    begin,
    step,
)

POLICY = RetryPolicy(stall_after_s=5, connect_timeout_s=15, retry_first_s=1, retry_max_s=8, max_attempts=4)
C, L, S, R, F, D = (LegState.CONNECTING, LegState.LIVE, LegState.STALLED, LegState.RETRYING, LegState.FAILED,
                    LegState.DISABLED)  # fmt: skip


def play(events: list[Event], *, enabled: bool = True) -> tuple[Leg, list[tuple[LegState, tuple[object, ...]]]]:
    """Feed ``events`` to a leg begun at t=0; the state and actions after each one."""
    leg, actions, _ = begin("d", 0.0, enabled=enabled)
    trace: list[tuple[LegState, tuple[object, ...]]] = [(leg.state, actions)]
    for event in events:
        leg, actions, _ = step(leg, event, POLICY)
        trace.append((leg.state, actions))
    return leg, trace


@pytest.mark.parametrize(
    ("events", "states", "actions"),
    [
        # bytes move: live; a progress report without new bytes changes nothing
        ([Progress(1, 2, 1000), Progress(1, 3, 1000)], [C, L, L], [(Start(1),), (), ()]),
        # live, then bytes stop: stalled after 5 s, restarted after 10 s of silence
        (
            [Progress(1, 1, 10), Tick(5.9), Tick(6), Tick(10.9), Tick(11)],
            [C, L, L, S, S, R],
            [(Start(1),), (), (), (), (), (Stop(1),)],
        ),
        # stalled, then bytes move again: live again, no restart
        ([Progress(1, 1, 10), Tick(6), Progress(1, 7, 20)], [C, L, S, L], [(Start(1),), (), (), ()]),
        # the process ends: retrying, then a new process after the backoff
        ([Exited(1, 2, 1, "refused"), Tick(2.9), Tick(3)], [C, R, R, C], [(Start(1),), (), (), (Start(2),)]),
        # nothing sent within the connect timeout: the process is stopped and retried
        ([Tick(14.9), Tick(15)], [C, C, R], [(Start(1),), (), (Stop(1),)]),
        # a late exit of a stopped process does not touch the next one
        (
            [Tick(15), Tick(16), Exited(1, 16.5, 255, "killed")],
            [C, R, C, C],
            [(Start(1),), (Stop(1),), (Start(2),), ()],
        ),
        # progress from an old process is ignored
        ([Exited(1, 1, 1, "x"), Tick(2), Progress(1, 2.5, 99)], [C, R, C, C], [(Start(1),), (), (Start(2),), ()]),
        # disable stops the process; a late exit and ticks leave it disabled; retry now enables it
        (
            [Disable(1), Exited(1, 1.1, 255, ""), Tick(100), RetryNow(101)],
            [C, D, D, D, C],
            [(Start(1),), (Stop(1),), (), (), (Start(2),)],
        ),
        # retry now on a live leg restarts it (a replaced key takes effect)
        ([Progress(1, 1, 10), RetryNow(2, "key replaced")], [C, L, C], [(Start(1),), (), (Stop(1), Start(2))]),
        # the run ends: every leg stops, and stays stopped
        (
            [Progress(1, 1, 10), Shutdown(2), RetryNow(3), Tick(99)],
            [C, L, LegState.STOPPED, LegState.STOPPED, LegState.STOPPED],
            [(Start(1),), (), (Stop(1),), (), ()],
        ),
    ],
)
def test_transitions(events: list[Event], states: list[LegState], actions: list[tuple[object, ...]]) -> None:
    _, trace = play(events)
    assert [s for s, _ in trace] == states
    assert [a for _, a in trace] == actions


def test_backoff_doubles_up_to_the_cap_then_gives_up() -> None:
    leg, _, _ = begin("d", 0.0)
    now, waits = 0.0, []
    for _ in range(POLICY.max_attempts):
        leg, _, _ = step(leg, Exited(leg.generation, now, 1, "refused"), POLICY)
        if leg.state is LegState.FAILED:
            break
        assert leg.next_retry_at is not None
        waits.append(leg.next_retry_at - now)
        now = leg.next_retry_at
        leg, _, _ = step(leg, Tick(now), POLICY)
    assert waits == [1, 2, 4]
    assert leg.state is LegState.FAILED and leg.attempts == 4 and leg.last_error == "refused"
    # failed stays failed whatever the clock says, until the operator retries
    assert step(leg, Tick(now + 1000), POLICY)[0].state is LegState.FAILED
    retried, actions, _ = step(leg, RetryNow(now + 1000), POLICY)
    assert retried.state is LegState.CONNECTING and retried.attempts == 0 and actions == (Start(5),)
    assert POLICY.backoff_s(10) == 8


def test_going_live_clears_the_failure_count() -> None:
    leg, trace = play([Exited(1, 1, 1, "a"), Tick(2), Progress(2, 3, 50)])
    assert trace[1][0] is R and leg.state is L and leg.attempts == 0 and leg.live_since == 3


def test_bitrate_and_uptime_survive_a_stall() -> None:
    leg, _ = play([Progress(1, 1, 0), Progress(1, 2, 125_000), Tick(7.5), Progress(1, 8, 250_000)])
    assert leg.state is L and leg.live_since == 2 and leg.bitrate == round(125_000 * 8 / 6)


def test_every_change_is_reported_with_its_reason() -> None:
    leg, _, first = begin("douyin", 0.0)
    changes: list[LegChange | None] = [first]
    for event in [Progress(1, 1, 10), Tick(6), Tick(11), Tick(12)]:
        leg, _, change = step(leg, event, POLICY)
        changes.append(change)
    assert [(c.before, c.after, c.reason) for c in changes if c] == [
        (LegState.IDLE, C, "run started"),
        (C, L, "bytes moving"),
        (L, S, "no bytes for 5 s"),
        (S, R, "stalled for 10 s"),
        (R, C, "attempt 2"),
    ]
    assert changes[3] is not None and changes[3].next_retry_at == 12


def test_a_destination_disabled_in_settings_never_starts() -> None:
    leg, trace = play([Tick(100)], enabled=False)
    assert leg.state is D and all(actions == () for _, actions in trace)
