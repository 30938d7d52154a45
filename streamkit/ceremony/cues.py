"""Cue execution: each cue becomes one OBS request plus the event that confirms it, and one ``confirm()`` sends it.

Reading the current state first matters: a request for the state OBS is already in produces no event, so waiting
for one would report a good cue as unconfirmed.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from streamkit.ceremony.overlay_feed import OverlayFeed
from streamkit.ceremony.rundown import Cue, HideCue, LowerThirdCue, MediaCue, MuteCue, ShowCue, UnmuteCue, VolumeCue
from streamkit.errors import ObsError, StreamkitError
from streamkit.obs import requests
from streamkit.obs.client import ObsClient, ObsRequest


@dataclass(frozen=True)
class CueResult:
    result: str  # ok | failed | unconfirmed
    latency_ms: float | None = None
    detail: str = ""


@dataclass(frozen=True)
class CueAction:
    request: ObsRequest
    confirmed_by: requests.Confirmation
    already: bool = False  # OBS is in the wanted state already: no confirming event will come


async def confirm(client: ObsClient, action: CueAction, timeout_s: float) -> CueResult:
    """Send the action's request and wait for the event that proves it happened."""
    started = time.monotonic()
    if action.already:
        try:
            await client.send(action.request)
        except ObsError as exc:
            return CueResult("failed", None, str(exc))
        return CueResult("ok", round((time.monotonic() - started) * 1000, 1), "already in that state")
    confirmation = client.expect(action.confirmed_by)
    try:
        await client.send(action.request)
        event = await asyncio.wait_for(asyncio.shield(confirmation), timeout_s)
    except TimeoutError:
        return CueResult("unconfirmed", None, f"no confirming event within {timeout_s:g} s")
    except ObsError as exc:
        return CueResult("failed", None, str(exc))
    finally:
        confirmation.cancel()
    return CueResult("ok", round((event.received - started) * 1000, 1))


def take_scene(client: ObsClient, scene: str) -> CueAction:
    return CueAction(
        requests.set_program_scene(scene),
        requests.program_scene_changed(scene),
        already=client.state.program_scene == scene,
    )


async def visibility(client: ObsClient, scene: str, source: str, visible: bool) -> CueAction:
    item = await client.scene_item_id(scene, source)
    now = await client.send(requests.get_item_enabled(scene, item))
    return CueAction(
        requests.set_item_enabled(scene, item, visible),
        requests.item_enabled_changed(scene, item),
        already=bool(now.get("sceneItemEnabled")) == visible,
    )


async def action_for(client: ObsClient, feed: OverlayFeed, scene: str, cue: Cue) -> CueAction:
    """The request that carries out ``cue`` in ``scene`` (a lower-third's picture is drawn and shown first)."""
    if isinstance(cue, ShowCue):
        return await visibility(client, scene, cue.show, True)
    if isinstance(cue, HideCue):
        return await visibility(client, scene, cue.hide, False)
    if isinstance(cue, LowerThirdCue):
        await feed.show_lower_third(cue.lower_third.source, cue.lower_third.name, cue.lower_third.detail or None)
        return await visibility(client, scene, cue.lower_third.source, True)
    if isinstance(cue, MediaCue):
        action = cue.media
        if action == "play":
            status = await client.send(requests.get_media_status(cue.source))
            if status.get("mediaState") in requests.MEDIA_AT_REST:
                action = "restart"
        return CueAction(requests.media_action(cue.source, action), requests.media_action_triggered(cue.source))
    if isinstance(cue, MuteCue | UnmuteCue):
        name = cue.mute if isinstance(cue, MuteCue) else cue.unmute
        muted = isinstance(cue, MuteCue)
        now = await client.send(requests.get_input_mute(name))
        return CueAction(
            requests.set_input_mute(name, muted),
            requests.input_mute_changed(name),
            already=bool(now.get("inputMuted")) == muted,
        )
    assert isinstance(cue, VolumeCue)
    volume = cue.volume
    now = await client.send(requests.get_input_volume(volume.source))
    return CueAction(
        requests.set_input_volume(volume.source, volume.db),
        requests.input_volume_changed(volume.source),
        already=abs(float(now.get("inputVolumeDb", -999)) - volume.db) < 0.01,
    )


async def fire(client: ObsClient, feed: OverlayFeed, scene: str, cue: Cue, timeout_s: float) -> CueResult:
    """Carry out ``cue`` and confirm it; every failure becomes a result, never an exception."""
    try:
        return await confirm(client, await action_for(client, feed, scene, cue), timeout_s)
    except StreamkitError as exc:  # the source is missing from the scene, a name does not fit the graphic...
        return CueResult("failed", None, str(exc))
