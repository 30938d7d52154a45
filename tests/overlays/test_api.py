"""The public API other areas (tours, obs) build on: names and signatures stay as agreed."""

from __future__ import annotations

import inspect

import streamkit.overlays as overlays


def test_every_exported_name_resolves() -> None:
    assert overlays.__all__ == sorted(overlays.__all__)
    for name in overlays.__all__:
        assert getattr(overlays, name) is not None, name


def test_agreed_signatures() -> None:
    def params(func: object) -> list[str]:
        return list(inspect.signature(func).parameters)  # type: ignore[arg-type]

    assert params(overlays.render_lower_third)[:4] == ["name", "detail", "size", "style"]
    assert params(overlays.render_title_slate)[:3] == ["lines", "size", "style"]
    assert params(overlays.render_standby_slate)[:3] == ["message", "size", "style"]
    assert params(overlays.render_countdown)[:4] == ["remaining_s", "title", "size", "style"]
    assert params(overlays.load_register) == ["csv_path"]
    assert params(overlays.render_name_roll_video)[:3] == ["roll", "out", "alpha"]
    assert params(overlays.load_style)[:1] == ["name_or_path"]
    assert params(overlays.NameRoll)[:4] == ["entries", "size", "fps", "speed_px_per_s"]
    assert inspect.signature(overlays.render_countdown).parameters["title"].default == "默哀"
    assert inspect.signature(overlays.render_lower_third).parameters["size"].default == (1920, 1080)
    for field in ("name", "born", "died", "unit", "hometown", "section", "row", "number", "photo"):
        assert field in overlays.RegisterEntry.model_fields
