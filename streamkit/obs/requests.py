"""The obs-websocket v5 requests the ceremony sends, built as data, and the events that confirm them.

Every request name and field is spelled here, so a test can assert a cue's request whole and nothing outside
``streamkit.obs`` has to know OBS's vocabulary. A ``Confirmation`` is the predicate for the event that proves a
request took effect (OBS answers before the change is on air).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from streamkit.obs.client import ObsEvent, ObsRequest

Confirmation = Callable[[ObsEvent], bool]
MediaAction = Literal["play", "pause", "stop", "restart", "next", "previous"]

# PLAY after STOP does nothing (obs-websocket#1046): a stopped or ended input needs RESTART
MEDIA_AT_REST = frozenset({"OBS_MEDIA_STATE_STOPPED", "OBS_MEDIA_STATE_ENDED"})


def _event(kind: str, **fields: object) -> Confirmation:
    return lambda e: e.type == kind and all(e.data.get(k) == v for k, v in fields.items())


def set_program_scene(scene: str) -> ObsRequest:
    return ObsRequest("SetCurrentProgramScene", {"sceneName": scene})


def program_scene_changed(scene: str) -> Confirmation:
    return _event("CurrentProgramSceneChanged", sceneName=scene)


def get_item_enabled(scene: str, item: int) -> ObsRequest:
    return ObsRequest("GetSceneItemEnabled", {"sceneName": scene, "sceneItemId": item})


def set_item_enabled(scene: str, item: int, enabled: bool) -> ObsRequest:
    return ObsRequest("SetSceneItemEnabled", {"sceneName": scene, "sceneItemId": item, "sceneItemEnabled": enabled})


def item_enabled_changed(scene: str, item: int) -> Confirmation:
    return _event("SceneItemEnableStateChanged", sceneName=scene, sceneItemId=item)


def get_media_status(source: str) -> ObsRequest:
    return ObsRequest("GetMediaInputStatus", {"inputName": source})


def media_action(source: str, action: MediaAction) -> ObsRequest:
    return ObsRequest(
        "TriggerMediaInputAction",
        {"inputName": source, "mediaAction": f"OBS_WEBSOCKET_MEDIA_INPUT_ACTION_{action.upper()}"},
    )


def media_action_triggered(source: str) -> Confirmation:
    return _event("MediaInputActionTriggered", inputName=source)


def get_input_mute(source: str) -> ObsRequest:
    return ObsRequest("GetInputMute", {"inputName": source})


def set_input_mute(source: str, muted: bool) -> ObsRequest:
    return ObsRequest("SetInputMute", {"inputName": source, "inputMuted": muted})


def input_mute_changed(source: str) -> Confirmation:
    return _event("InputMuteStateChanged", inputName=source)


def get_input_volume(source: str) -> ObsRequest:
    return ObsRequest("GetInputVolume", {"inputName": source})


def set_input_volume(source: str, db: float) -> ObsRequest:
    return ObsRequest("SetInputVolume", {"inputName": source, "inputVolumeDb": db})


def input_volume_changed(source: str) -> Confirmation:
    return _event("InputVolumeChanged", inputName=source)


def get_video_settings() -> ObsRequest:
    return ObsRequest("GetVideoSettings")


def list_image_sources() -> ObsRequest:
    return ObsRequest("GetInputList", {"inputKind": "image_source"})


def get_input_settings(source: str) -> ObsRequest:
    return ObsRequest("GetInputSettings", {"inputName": source})


def show_file(source: str, file: str) -> ObsRequest:
    """Point an image source at ``file``."""
    return ObsRequest("SetInputSettings", {"inputName": source, "inputSettings": {"file": file}})


def set_rtmp_destination(url: str, key: str) -> ObsRequest:
    """Custom RTMP server and key (the key is a secret: never log this request)."""
    return ObsRequest(
        "SetStreamServiceSettings",
        {"streamServiceType": "rtmp_custom", "streamServiceSettings": {"server": url, "key": key}},
    )


def get_stream_status() -> ObsRequest:
    return ObsRequest("GetStreamStatus")


def create_record_chapter(name: str) -> ObsRequest:
    return ObsRequest("CreateRecordChapter", {"chapterName": name})
