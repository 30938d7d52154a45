"""Overlays for live ceremonies and tours: lower-thirds, slates, the minute-of-silence countdown and the name roll.

Still graphics are full-frame RGBA Pillow images (transparent outside the graphic; slates are opaque); the name roll
renders as a PNG sequence or an alpha video. ``streamkit.overlays.web`` serves the same overlays as browser-source
pages driven by server-sent events.
"""

from streamkit.overlays.graphics import (
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

__all__ = [
    "Box",
    "FrameGeometry",
    "MissingGlyphError",
    "NameRoll",
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
    "publish_name_roll_frames",
    "render_countdown",
    "render_lower_third",
    "render_name_roll_frames",
    "render_name_roll_video",
    "render_standby_slate",
    "render_title_slate",
    "resolve_typeface",
]
