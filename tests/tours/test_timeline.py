"""Pure planning: the timeline of a tour (no ffmpeg runs here)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from streamkit.config.loader import SpecModel
from streamkit.tours.timeline import Chapter, build_timeline, split_sentences
from tests.tours.specs import MEDIA, make_tour


def test_timeline_places_shots_with_xfade_overlaps() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert [(s.kind, s.start_frame, s.frames, s.overlap_in, s.transition_in) for s in plan.shots] == [
        ("card", 0, 50, 0, "cut"),
        ("clip", 38, 75, 12, "fade"),  # 0.5 s at 25 fps rounds to 12 frames (12.5, to even)
        ("photo", 101, 75, 12, "fade"),
        ("photo", 164, 75, 12, "fade"),  # photos of a stop cross-fade with the default transition
        ("clip", 239, 55, 0, "cut"),  # the stop before asked for a cut; 2.2 s = 55 frames from the probe
        ("card", 282, 50, 12, "fade"),
    ]
    assert plan.total_frames == 332 and plan.duration_ms == 13280
    assert plan.shots[1].trim_start_ms == 1000 and plan.shots[1].audio
    assert not plan.shots[4].audio  # the file has no sound: silence instead


def test_chapters_follow_segments_and_cover_the_tour() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert plan.chapters == (
        Chapter("标题", 0, 1520),
        Chapter("大门", 1520, 4040),
        Chapter("墓区", 4040, 9560),
        Chapter("小径", 9560, 11280),
        Chapter("谢谢", 11280, 13280),
    )


def test_plain_caption_text_is_split_and_spread_by_length() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert split_sentences("第一句。第二句话！\nThird") == ["第一句。", "第二句话！", "Third"]
    first, second = plan.captions
    assert (first.text, second.text) == ("第一句。", "第二句话！")
    assert first.start_ms == 1520 + 200 and second.end_ms == 4040 - 200  # visible part of the stop, with margins
    assert first.end_ms == second.start_ms
    assert (second.end_ms - second.start_ms) * 4 == pytest.approx((first.end_ms - first.start_ms) * 5, abs=8)


def test_narration_and_lower_third_are_placed_in_their_stop() -> None:
    plan = build_timeline(make_tour(), MEDIA)
    assert [(v.source, v.start_ms) for v in plan.voices] == [(Path("/media/n.m4a"), 4540)]
    assert [(lt.name, lt.start_ms, lt.end_ms) for lt in plan.lower_thirds] == [("王", 5040, 7040)]
    assert plan.music[0].source == Path("/media/bed.m4a") and plan.music[0].loop


def test_fractional_frame_rate_keeps_whole_frames() -> None:
    plan = build_timeline(make_tour(output={"size": "320x180", "fps": "30000/1001"}), MEDIA)
    assert plan.fps == Fraction(30000, 1001)
    assert plan.shots[0].frames == 60  # 2 s at 29.97
    assert plan.duration_ms == round(plan.total_frames * 1001 / 30)


def test_spec_models_are_frozen() -> None:
    tour = make_tour()
    assert isinstance(tour, SpecModel)
    with pytest.raises(ValueError):
        tour.stops[0].title = "x"  # type: ignore[misc]
