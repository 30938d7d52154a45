"""``obs apply``: read OBS's state, diff it against the scene collection, send only the difference, batched.

``plan()`` is pure (snapshot in, request list out) and unit-tested whole; ``apply()`` loops snapshot -> plan -> batch
until the plan is empty (new items get their transform in the next round, once OBS has given them an id). A second
apply sends nothing. Only inputs carrying the ``streamkit_owned`` mark are changed or removed from our scenes;
anything else found in OBS is left alone (a same-named foreign input is reported as a conflict).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from streamkit.errors import ObsError
from streamkit.obs.client import ObsClient, ObsRequest
from streamkit.obs.scenes import (
    OWNER_KEY,
    ImageSource,
    SceneCollection,
    SceneItem,
    input_kind,
    input_settings,
    overlay_of,
)

MAX_ROUNDS = 4


@dataclass(frozen=True)
class ObservedItem:
    id: int
    source: str
    enabled: bool
    index: int
    transform: Mapping[str, Any]


@dataclass(frozen=True)
class Snapshot:
    scenes: frozenset[str]
    inputs: Mapping[str, str]  # name -> kind
    settings: Mapping[str, Mapping[str, Any]]  # name -> settings (only for inputs we asked about)
    items: Mapping[str, tuple[ObservedItem, ...]]  # scene -> items, bottom to top

    def owned(self, name: str) -> bool:
        return bool(self.settings.get(name, {}).get(OWNER_KEY))


@dataclass
class ApplyReport:
    rounds: list[list[ObsRequest]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def changes(self) -> int:
        return sum(len(r) for r in self.rounds)


def desired_transform(item: SceneItem) -> dict[str, Any]:
    transform: dict[str, Any] = {
        "positionX": float(item.position[0]),
        "positionY": float(item.position[1]),
        "alignment": 5,  # top-left, so position means the item's top-left corner
        "cropLeft": item.crop.left,
        "cropRight": item.crop.right,
        "cropTop": item.crop.top,
        "cropBottom": item.crop.bottom,
    }
    if item.size is not None:
        transform |= {
            "boundsType": "OBS_BOUNDS_SCALE_INNER",
            "boundsWidth": float(item.size[0]),
            "boundsHeight": float(item.size[1]),
            "boundsAlignment": 0,
        }
    else:
        transform |= {"boundsType": "OBS_BOUNDS_NONE", "scaleX": 1.0, "scaleY": 1.0}
    return transform


def _differs(want: Mapping[str, Any], have: Mapping[str, Any]) -> bool:
    for key, value in want.items():
        got = have.get(key)
        if isinstance(value, float | int) and not isinstance(value, bool) and isinstance(got, float | int):
            if abs(float(value) - float(got)) > 0.01:
                return True
        elif isinstance(value, Mapping) and isinstance(got, Mapping):
            if _differs(value, got):
                return True
        elif value != got:
            return True
    return False


def conflicts(collection: SceneCollection, snapshot: Snapshot) -> list[str]:
    """Inputs we would have to take over: same name in OBS, but not ours, or of another kind."""
    found = []
    for source in collection.sources:
        kind = snapshot.inputs.get(source.name)
        if kind is None:
            continue
        if not snapshot.owned(source.name):
            found.append(f"input {source.name!r} exists in OBS but was not created by streamkit; rename one of them")
        elif kind != input_kind(source):
            found.append(f"input {source.name!r} is a {kind} in OBS, the scene file wants {input_kind(source)}")
    return found


def plan(collection: SceneCollection, snapshot: Snapshot, *, media_root: Path, overlay_dir: Path) -> list[ObsRequest]:
    """The requests that bring OBS to the collection's state (empty when it is already there)."""
    requests: list[ObsRequest] = []
    existing_inputs = set(snapshot.inputs)
    for scene in collection.scenes:
        if scene.name not in snapshot.scenes:
            requests.append(ObsRequest("CreateScene", {"sceneName": scene.name}))
    for source in collection.sources:
        if source.name in existing_inputs and snapshot.owned(source.name):
            want = input_settings(source, media_root, overlay_dir)
            current = snapshot.settings.get(source.name, {})
            if (
                isinstance(source, ImageSource)
                and source.overlay
                and _shows_overlay(current, source.overlay, overlay_dir)
            ):
                want["file"] = current["file"]  # the runner re-points overlays at fresh files; that is not drift
            if _differs(want, current):
                requests.append(ObsRequest("SetInputSettings", {"inputName": source.name, "inputSettings": want}))
    for scene in collection.scenes:
        observed = {item.source: item for item in snapshot.items.get(scene.name, ())}
        for item in scene.items:
            have = observed.get(item.source)
            if have is None:
                requests.append(_create_item(collection, scene.name, item, existing_inputs, media_root, overlay_dir))
                existing_inputs.add(item.source)
                continue
            if have.enabled != item.visible:
                requests.append(
                    ObsRequest(
                        "SetSceneItemEnabled",
                        {"sceneName": scene.name, "sceneItemId": have.id, "sceneItemEnabled": item.visible},
                    )
                )
            want = desired_transform(item)
            if _differs(want, have.transform):
                requests.append(
                    ObsRequest(
                        "SetSceneItemTransform",
                        {"sceneName": scene.name, "sceneItemId": have.id, "sceneItemTransform": want},
                    )
                )
        wanted = {item.source for item in scene.items}
        for have in observed.values():
            if have.source not in wanted and snapshot.owned(have.source):
                requests.append(ObsRequest("RemoveSceneItem", {"sceneName": scene.name, "sceneItemId": have.id}))
        requests.extend(_reorder(scene.name, [item.source for item in scene.items], observed))
    return requests


def _shows_overlay(settings: Mapping[str, Any], overlay: str, overlay_dir: Path) -> bool:
    current = Path(str(settings.get("file", "")))
    return overlay_of(current, overlay_dir.resolve()) == overlay


def _create_item(
    collection: SceneCollection,
    scene: str,
    item: SceneItem,
    existing_inputs: set[str],
    media_root: Path,
    overlay_dir: Path,
) -> ObsRequest:
    if item.source in existing_inputs:
        return ObsRequest(
            "CreateSceneItem", {"sceneName": scene, "sourceName": item.source, "sceneItemEnabled": item.visible}
        )
    source = collection.source(item.source)
    return ObsRequest(
        "CreateInput",
        {
            "sceneName": scene,
            "inputName": source.name,
            "inputKind": input_kind(source),
            "inputSettings": input_settings(source, media_root, overlay_dir),
            "sceneItemEnabled": item.visible,
        },
    )


def _reorder(scene: str, order: Sequence[str], observed: Mapping[str, ObservedItem]) -> list[ObsRequest]:
    """Put our items at indexes 0..n-1 in file order (bottom to top) when their order differs; others stay above."""
    present = [name for name in order if name in observed]
    if len(present) != len(order):
        return []  # new items are created this round; order is settled in the next one
    if [observed[name].index for name in present] == list(range(len(present))):
        return []
    return [
        ObsRequest("SetSceneItemIndex", {"sceneName": scene, "sceneItemId": observed[name].id, "sceneItemIndex": i})
        for i, name in enumerate(present)
    ]


async def snapshot(client: ObsClient, collection: SceneCollection) -> Snapshot:
    """Read what the plan needs in two batches (lists, then items and settings)."""
    scene_list, input_list = await client.batch([ObsRequest("GetSceneList"), ObsRequest("GetInputList")])
    scenes = frozenset(str(s["sceneName"]) for s in scene_list.get("scenes", []))
    inputs = {str(i["inputName"]): str(i["inputKind"]) for i in input_list.get("inputs", [])}
    wanted_scenes = [s.name for s in collection.scenes if s.name in scenes]
    # items of our scenes may be inputs the files no longer name; ask for the settings of every input seen there
    detail = [ObsRequest("GetSceneItemList", {"sceneName": name}) for name in wanted_scenes]
    item_lists = await client.batch(detail) if detail else []
    items: dict[str, tuple[ObservedItem, ...]] = {}
    for name, listed in zip(wanted_scenes, item_lists, strict=True):
        raw = sorted(listed.get("sceneItems", []), key=lambda it: int(it["sceneItemIndex"]))
        items[name] = tuple(
            ObservedItem(
                int(it["sceneItemId"]),
                str(it["sourceName"]),
                bool(it["sceneItemEnabled"]),
                int(it["sceneItemIndex"]),
                it.get("sceneItemTransform") or {},
            )
            for it in raw
        )
    names = sorted(
        ({s.name for s in collection.sources} | {it.source for its in items.values() for it in its}) & set(inputs)
    )
    settings_list = (
        await client.batch([ObsRequest("GetInputSettings", {"inputName": n}) for n in names]) if names else []
    )
    settings = {n: s.get("inputSettings", {}) for n, s in zip(names, settings_list, strict=True)}
    return Snapshot(scenes, inputs, settings, items)


async def apply(
    client: ObsClient,
    collection: SceneCollection,
    *,
    media_root: Path,
    overlay_dir: Path,
    dry_run: bool = False,
    batched: bool = True,
) -> ApplyReport:
    """Bring OBS to the collection's state; with ``dry_run`` only report the first round of requests."""
    report = ApplyReport()
    started = time.perf_counter()
    for _ in range(MAX_ROUNDS):
        current = await snapshot(client, collection)
        problems = conflicts(collection, current)
        if problems:
            raise ObsError("; ".join(problems))
        requests = plan(collection, current, media_root=media_root, overlay_dir=overlay_dir)
        if not requests:
            break
        report.rounds.append(requests)
        if dry_run:
            break
        if batched:
            await client.batch(requests, halt_on_failure=True)
        else:
            for request in requests:
                await client.call(request.type, request.data)
    else:
        raise ObsError(f"OBS did not settle after {MAX_ROUNDS} rounds of changes; something else is changing scenes")
    report.seconds = time.perf_counter() - started
    return report
