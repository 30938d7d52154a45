"""Overlays for live ceremonies and tours: lower-thirds, slates, the minute-of-silence countdown and the name roll.

Still graphics are full-frame RGBA Pillow images (transparent outside the graphic; slates are opaque); the name roll
renders as a PNG sequence or an alpha video. ``streamkit.overlays.web`` serves the same overlays as browser-source
pages driven by server-sent events.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from streamkit.overlays.graphics import (
        CountdownClip,
        format_remaining,
        plan_countdown,
        plan_lower_third,
        plan_standby_slate,
        plan_title_slate,
        render_countdown,
        render_lower_third,
        render_standby_slate,
        render_title_slate,
    )
    from streamkit.overlays.layout import Box, FrameGeometry, OverlayPlan, OverlayTextError, frame_geometry
    from streamkit.overlays.linebreak import break_lines
    from streamkit.overlays.name_roll import (
        NameRoll,
        publish_name_roll_frames,
        render_name_roll_frames,
        render_name_roll_video,
    )
    from streamkit.overlays.register import RegisterEntry, load_register
    from streamkit.overlays.style import OverlayStyle, load_style
    from streamkit.overlays.typeface import MissingGlyphError, Typeface, resolve_typeface
    from streamkit.overlays.video import OverlayClip, publish_clip_frames, render_clip_frames, render_clip_video

# Loaded on first use, so that `streamkit --version` and other commands do not pay for Pillow and fontTools.
_HOME = {
    "Box": "streamkit.overlays.layout",
    "CountdownClip": "streamkit.overlays.graphics",
    "FrameGeometry": "streamkit.overlays.layout",
    "MissingGlyphError": "streamkit.overlays.typeface",
    "NameRoll": "streamkit.overlays.name_roll",
    "OverlayClip": "streamkit.overlays.video",
    "OverlayPlan": "streamkit.overlays.layout",
    "OverlayStyle": "streamkit.overlays.style",
    "OverlayTextError": "streamkit.overlays.layout",
    "RegisterEntry": "streamkit.overlays.register",
    "Typeface": "streamkit.overlays.typeface",
    "break_lines": "streamkit.overlays.linebreak",
    "format_remaining": "streamkit.overlays.graphics",
    "frame_geometry": "streamkit.overlays.layout",
    "load_register": "streamkit.overlays.register",
    "load_style": "streamkit.overlays.style",
    "plan_countdown": "streamkit.overlays.graphics",
    "plan_lower_third": "streamkit.overlays.graphics",
    "plan_standby_slate": "streamkit.overlays.graphics",
    "plan_title_slate": "streamkit.overlays.graphics",
    "publish_clip_frames": "streamkit.overlays.video",
    "publish_name_roll_frames": "streamkit.overlays.name_roll",
    "render_clip_frames": "streamkit.overlays.video",
    "render_clip_video": "streamkit.overlays.video",
    "render_countdown": "streamkit.overlays.graphics",
    "render_lower_third": "streamkit.overlays.graphics",
    "render_name_roll_frames": "streamkit.overlays.name_roll",
    "render_name_roll_video": "streamkit.overlays.name_roll",
    "render_standby_slate": "streamkit.overlays.graphics",
    "render_title_slate": "streamkit.overlays.graphics",
    "resolve_typeface": "streamkit.overlays.typeface",
}

__all__ = [
    "Box",
    "CountdownClip",
    "FrameGeometry",
    "MissingGlyphError",
    "NameRoll",
    "OverlayClip",
    "OverlayPlan",
    "OverlayStyle",
    "OverlayTextError",
    "RegisterEntry",
    "Typeface",
    "break_lines",
    "format_remaining",
    "frame_geometry",
    "load_register",
    "load_style",
    "plan_countdown",
    "plan_lower_third",
    "plan_standby_slate",
    "plan_title_slate",
    "publish_clip_frames",
    "publish_name_roll_frames",
    "render_clip_frames",
    "render_clip_video",
    "render_countdown",
    "render_lower_third",
    "render_name_roll_frames",
    "render_name_roll_video",
    "render_standby_slate",
    "render_title_slate",
    "resolve_typeface",
]


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
