"""Scenes as code: loading, colour conversion, and the pure diff planner asserted as whole request lists."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.errors import ConfigError
from streamkit.obs.apply import ObservedItem, Snapshot, conflicts, desired_transform, plan
from streamkit.obs.client import ObsRequest
from streamkit.obs.scenes import OWNER_KEY, load_scenes, obs_color
from tests.conftest import ROOT

MEDIA = Path("/media")
OVERLAYS = Path("/overlays")


def _collection(tmp_path: Path) -> object:
    path = tmp_path / "s.yaml"
    path.write_text(
        "version: 1\n"
        "sources:\n"
        "  - {name: bg, kind: color, color: '#102030'}\n"
        "  - {name: lt, kind: image, overlay: lower-third}\n"
        "scenes:\n"
        "  - name: 开场\n"
        "    items:\n"
        "      - {source: bg}\n"
        "      - {source: lt, position: [0, 270], size: [640, 90], visible: false}\n",
        encoding="utf-8",
    )
    return load_scenes([path])


@pytest.mark.parametrize(
    ("text", "value"), [("#ff0000", 0xFF0000FF), ("#102030", 0xFF302010), ("#00ff0080", 0x8000FF00)]
)
def test_obs_color_is_abgr(text: str, value: int) -> None:
    assert obs_color(text) == value


def test_sample_scenes_load() -> None:
    collection = load_scenes([ROOT / "scenes"])
    assert {s.name for s in collection.scenes} == {"开场", "敬献花篮", "默哀", "祭扫", "英名录", "结束", "待机"}


def test_scene_files_report_every_problem(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        "version: 1\nsources:\n  - {name: x, kind: colour}\nscenes:\n  - {name: s, items: [{source: nope}]}\n",
        encoding="utf-8",
    )
    (tmp_path / "b.yaml").write_text(
        "version: 1\nscenes:\n  - {name: s2, items: [{source: ghost}]}\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError) as caught:
        load_scenes([tmp_path])
    text = "\n".join(caught.value.lines())
    assert "a.yaml" in text and "ghost" in text


def test_plan_from_empty_obs_creates_everything_in_order(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    empty = Snapshot(frozenset({"Scene"}), {}, {}, {})
    requests = plan(collection, empty, media_root=MEDIA, overlay_dir=OVERLAYS)  # type: ignore[arg-type]
    assert requests == [
        ObsRequest("CreateScene", {"sceneName": "开场"}),
        ObsRequest(
            "CreateInput",
            {
                "sceneName": "开场",
                "inputName": "bg",
                "inputKind": "color_source_v3",
                "inputSettings": {"color": 0xFF302010, "width": 640, "height": 360, OWNER_KEY: True},
                "sceneItemEnabled": True,
            },
        ),
        ObsRequest(
            "CreateInput",
            {
                "sceneName": "开场",
                "inputName": "lt",
                "inputKind": "image_source",
                "inputSettings": {"file": str(OVERLAYS / "lower-third.png"), OWNER_KEY: True},
                "sceneItemEnabled": False,
            },
        ),
    ]


def _settled(collection: object) -> Snapshot:
    from streamkit.obs.scenes import SceneCollection, input_settings

    assert isinstance(collection, SceneCollection)
    scene = collection.scenes[0]
    items = tuple(
        ObservedItem(i + 1, item.source, item.visible, i, desired_transform(item)) for i, item in enumerate(scene.items)
    )
    settings = {s.name: input_settings(s, MEDIA, OVERLAYS) for s in collection.sources}
    kinds = {"bg": "color_source_v3", "lt": "image_source"}
    return Snapshot(frozenset({"Scene", "开场"}), kinds, settings, {"开场": items})


def test_plan_is_empty_when_obs_matches(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    assert plan(collection, _settled(collection), media_root=MEDIA, overlay_dir=OVERLAYS) == []  # type: ignore[arg-type]


def test_plan_fixes_drift_and_removes_only_owned_strays(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    snap = _settled(collection)
    bg, lt = snap.items["开场"]
    moved = ObservedItem(lt.id, lt.source, True, lt.index, {**lt.transform, "positionY": 10.0})
    foreign = ObservedItem(7, "operator camera", True, 2, {})
    stray = ObservedItem(8, "old logo", True, 3, {})
    drifted = Snapshot(
        snap.scenes,
        {**snap.inputs, "operator camera": "v4l2_input", "old logo": "image_source"},
        {**snap.settings, "operator camera": {}, "old logo": {OWNER_KEY: True}},
        {"开场": (bg, moved, foreign, stray)},
    )
    requests = plan(collection, drifted, media_root=MEDIA, overlay_dir=OVERLAYS)  # type: ignore[arg-type]
    assert [r.type for r in requests] == ["SetSceneItemEnabled", "SetSceneItemTransform", "RemoveSceneItem"]
    assert requests[0].data == {"sceneName": "开场", "sceneItemId": lt.id, "sceneItemEnabled": False}
    assert requests[2].data == {"sceneName": "开场", "sceneItemId": 8}  # never 7: not ours


def test_plan_reorders_items_bottom_to_top(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    snap = _settled(collection)
    bg, lt = snap.items["开场"]
    swapped = Snapshot(
        snap.scenes,
        snap.inputs,
        snap.settings,
        {
            "开场": (
                ObservedItem(lt.id, lt.source, lt.enabled, 0, lt.transform),
                ObservedItem(bg.id, bg.source, bg.enabled, 1, bg.transform),
            )
        },
    )
    requests = plan(collection, swapped, media_root=MEDIA, overlay_dir=OVERLAYS)  # type: ignore[arg-type]
    assert requests == [
        ObsRequest("SetSceneItemIndex", {"sceneName": "开场", "sceneItemId": bg.id, "sceneItemIndex": 0}),
        ObsRequest("SetSceneItemIndex", {"sceneName": "开场", "sceneItemId": lt.id, "sceneItemIndex": 1}),
    ]


def test_same_named_foreign_input_is_a_conflict_not_a_takeover(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    snap = Snapshot(frozenset({"Scene"}), {"bg": "color_source_v3"}, {"bg": {"color": 1}}, {})
    found = conflicts(collection, snap)  # type: ignore[arg-type]
    assert len(found) == 1 and "not created by streamkit" in found[0]


def test_overlay_repointed_by_the_runner_is_not_drift(tmp_path: Path) -> None:
    collection = _collection(tmp_path)
    snap = _settled(collection)
    repointed = {**snap.settings, "lt": {**snap.settings["lt"], "file": str(OVERLAYS / "lower-third-123.png")}}
    moved = Snapshot(snap.scenes, snap.inputs, repointed, snap.items)
    assert plan(collection, moved, media_root=MEDIA, overlay_dir=OVERLAYS) == []  # type: ignore[arg-type]
    elsewhere = {**snap.settings, "lt": {**snap.settings["lt"], "file": "/somewhere/else.png"}}
    fixed = plan(
        collection, Snapshot(snap.scenes, snap.inputs, elsewhere, snap.items), media_root=MEDIA, overlay_dir=OVERLAYS
    )  # type: ignore[arg-type]
    assert [r.type for r in fixed] == ["SetInputSettings"]
