"""The ceremony's live push: OBS streams once to the local relay, the legs carry the program to every platform.

The legs live in their own threads (``streamkit.live``); their state changes queue up here and the runner writes them
into the as-run log on its next tick, so the log has one writer. The program counts as on air for the site when the
relay has it *and* its HLS playlist lists fragments: only then can a viewer's player start, so only then does the
event page turn live.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable

from streamkit.ceremony.outputs import StreamDestination
from streamkit.ceremony.status import LogWriter
from streamkit.live.leg import LegChange
from streamkit.live.masking import redact
from streamkit.live.relay import PROGRAM, hls_fragments
from streamkit.live.run import LiveRun
from streamkit.live.supervisor import LegView

RELAY_NAME = "live relay"


class CeremonyLive:
    """A ``LiveRun`` seen from the runner: leg changes for the as-run log, the program's arrival, per-leg actions."""

    def __init__(self, run: LiveRun, *, on_program: Callable[[], None] = lambda: None) -> None:
        self.run = run
        self.on_program = on_program  # called once, when the program is first confirmed on the relay
        self._changes: queue.SimpleQueue[tuple[LegChange, float]] = queue.SimpleQueue()
        self._chained = run.on_change
        run.on_change = self._heard
        self.confirmed = False
        self.on_air: str | None = None  # "program" or "standby" (the slate while OBS is away)

    @property
    def destination(self) -> StreamDestination:
        """Where OBS streams: the relay's application, stream key ``program`` (no secret: loopback only)."""
        return StreamDestination(RELAY_NAME, self.run.plan.program_url.rsplit("/", 1)[0], PROGRAM)

    def _heard(self, change: LegChange) -> None:  # the legs' thread
        self._changes.put((change, time.time()))
        self._chained(change)

    def start(self) -> CeremonyLive:
        self.run.start()
        return self

    def views(self) -> list[LegView]:
        return self.run.legs.views()

    def names(self) -> list[str]:
        return list(self.run.legs.targets)

    def retry(self, name: str) -> None:
        self.run.legs.retry_now(name)

    def disable(self, name: str) -> None:
        self.run.legs.disable(name)

    def poll(self, log: LogWriter) -> None:
        """Write the legs' news into the as-run log; note the program's first confirmed arrival on the relay."""
        self.drain(log)
        on_air = self.run.on_air.value if self.run.on_air is not None else None
        if on_air != self.on_air:
            self.on_air = on_air
            log("on_air", source=on_air)
        if not self.confirmed and self.run.program.publishing and hls_fragments(self.run.plan.hls_playlist) > 0:
            self.confirmed = True
            log("live_program", state="confirmed", bitrate_in=self.run.program.bitrate_in)
            try:
                self.on_program()
            except Exception as exc:  # the site being down must not take the ceremony off the air
                log("event_page", state="live", result="failed", detail=redact(str(exc)))

    def drain(self, log: LogWriter) -> None:
        while True:
            try:
                change, at = self._changes.get_nowait()
            except queue.Empty:
                return
            log(
                "leg",
                leg=change.leg,
                before=change.before.value,
                after=change.after.value,
                attempts=change.attempts,
                reason=redact(change.reason, self.run.legs.secrets()),
                changed_at=round(at, 3),
                next_retry_in_s=None if change.next_retry_at is None else round(change.next_retry_at - change.at, 1),
            )

    def stop(self, log: LogWriter) -> None:
        """End the relay and every leg; their last changes (``stopped``) reach the log."""
        self.run.stop()
        self.drain(log)
