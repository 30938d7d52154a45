"""Pixel checks of the still overlays: text where the plan says, transparency outside, safe margins kept."""

from __future__ import annotations

import pytest
from PIL import Image

from streamkit.overlays import (
    Box,
    OverlayTextError,
    load_style,
    plan_countdown,
    plan_lower_third,
    plan_standby_slate,
    plan_title_slate,
    render_countdown,
    render_lower_third,
    render_standby_slate,
    render_title_slate,
)
from streamkit.overlays.layout import OverlayPlan, paint

LANDSCAPE = (640, 360)
PORTRAIT = (360, 640)
# the memorial style's margins: 5 % landscape; 6 % of the width and 12 % of the height in portrait
SAFE = {LANDSCAPE: Box(32, 18, 608, 342), PORTRAIT: Box(22, 77, 338, 563)}
WHITE = (255, 255, 255)


def ink_box(image: Image.Image, *, colour: tuple[int, int, int] | None = None, tolerance: int = 12) -> Box | None:
    """Bounding box of the visible pixels (alpha > 0), or of those close to ``colour`` with high alpha."""
    rgba = image.convert("RGBA")
    if colour is None:
        mask = rgba.getchannel("A").point(lambda a: 255 if a > 0 else 0)
    else:
        channels = [
            rgba.getchannel(c).point(lambda v, t=t: 255 if abs(v - t) <= tolerance else 0)
            for c, t in zip("RGB", colour, strict=True)
        ]
        mask = rgba.getchannel("A").point(lambda a: 255 if a > 200 else 0)
        for channel in channels:
            mask = Image.composite(channel, Image.new("L", rgba.size, 0), mask)
    found = mask.getbbox()
    return Box(*found) if found else None


def assert_transparent_outside(image: Image.Image, box: Box) -> None:
    drawn = ink_box(image)
    assert drawn is not None, "nothing was drawn"
    assert box.contains(drawn), f"pixels drawn at {drawn}, outside the graphic's box {box}"


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT])
def test_lower_third_text_in_its_box_and_transparent_elsewhere(size: tuple[int, int]) -> None:
    plan = plan_lower_third("李青云", "1922–1949 第一纵队第三团", size=size)
    image = render_lower_third("李青云", "1922–1949 第一纵队第三团", size=size)
    assert image.mode == "RGBA" and image.size == size
    assert SAFE[size].contains(plan.box)
    assert plan.box.left == SAFE[size].left and plan.box.bottom == SAFE[size].bottom  # bottom-left corner
    assert_transparent_outside(image, plan.box)
    name_box = plan.texts[0].box
    white = ink_box(image, colour=WHITE)
    assert white is not None and name_box.contains(white), f"white name ink {white} outside {name_box}"
    assert white.width > name_box.width * 0.8  # the name really spans its box
    # the corner far from the graphic is fully transparent
    assert image.getpixel((size[0] - 1, 0))[3] == 0


def test_lower_third_without_detail_is_a_single_line() -> None:
    one = plan_lower_third("周海", size=LANDSCAPE)
    two = plan_lower_third("周海", "1908–1932", size=LANDSCAPE)
    assert len(one.texts) == 1 and len(two.texts) == 2
    assert one.box.height < two.box.height


def test_lower_third_wraps_detail_and_refuses_a_third_line() -> None:
    detail = "第一纵队第三团政治委员，一九四九年牺牲于河南林州战斗，时年二十七岁"
    plan = plan_lower_third("李青云", detail, size=PORTRAIT)
    details = [t.text for t in plan.texts[1:]]
    assert len(details) == 2 and "".join(details) == detail
    assert all(SAFE[PORTRAIT].contains(t.box) for t in plan.texts)
    with pytest.raises(OverlayTextError, match="allows 2"):
        plan_lower_third("李青云", detail * 3, size=PORTRAIT)


def test_long_name_is_shrunk_to_stay_inside_the_safe_area() -> None:
    name = "中国人民志愿军第一批赴朝作战烈士纪念碑"
    plan = plan_lower_third(name, size=PORTRAIT)
    assert SAFE[PORTRAIT].contains(plan.box)
    assert plan.texts[0].size < plan_lower_third("周海", size=PORTRAIT).texts[0].size


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT])
def test_title_slate_is_opaque_and_centred_in_the_safe_area(size: tuple[int, int]) -> None:
    lines = ["清明祭英烈", "2020年网上祭扫活动"]
    plan = plan_title_slate(lines, size=size)
    image = render_title_slate(lines, size=size)
    assert image.getchannel("A").getextrema() == (255, 255)
    assert SAFE[size].contains(plan.box)
    assert abs((plan.box.left + plan.box.right) / 2 - size[0] / 2) <= 2
    # nothing but black outside the planned box
    rgb = image.convert("RGB")
    lit = rgb.point(lambda v: 255 if v > 8 else 0).getbbox()
    assert lit is not None and plan.box.contains(Box(*lit))
    # the gold rules are drawn in the accent colour
    accent = load_style().colours.accent
    assert rgb.getpixel(((plan.box.left + plan.box.right) // 2, plan.box.top)) == accent[:3]


def test_title_slate_wraps_long_lines_in_portrait() -> None:
    text = "清明节网上祭扫暨烈士纪念日公祭活动直播"
    plan = plan_title_slate([text], size=PORTRAIT)
    assert len(plan.texts) >= 2 and "".join(t.text for t in plan.texts) == text
    assert all(SAFE[PORTRAIT].contains(t.box) for t in plan.texts)


def test_vertical_title_reads_right_to_left_top_to_bottom() -> None:
    plan = plan_title_slate(["英灵永存", "浩气长存"], size=LANDSCAPE, vertical=True)
    first, second = plan.texts
    assert first.vertical and second.vertical
    assert first.x > second.x  # first column on the right
    assert first.box.height > first.box.width * 3  # a column, not a row
    image = paint(plan)
    lit = image.convert("RGB").point(lambda v: 255 if v > 8 else 0).getbbox()
    assert lit is not None and plan.box.contains(Box(*lit))
    assert SAFE[LANDSCAPE].contains(plan.box)


@pytest.mark.parametrize("size", [LANDSCAPE, PORTRAIT])
def test_standby_slate_uses_the_style_message(size: tuple[int, int]) -> None:
    plan = plan_standby_slate(size=size)
    assert "".join(t.text for t in plan.texts) == load_style().standby_slate.message
    image = render_standby_slate(size=size)
    assert image.getchannel("A").getextrema() == (255, 255)
    assert SAFE[size].contains(plan.box)
    white = ink_box(image, colour=WHITE)
    assert white is not None and plan.box.contains(white)


def test_countdown_panel_keeps_its_size_from_second_to_second() -> None:
    boxes = {plan_countdown(s, size=LANDSCAPE).box for s in (60, 59, 11, 1, 0)}
    assert len(boxes) == 1
    (box,) = boxes
    assert SAFE[LANDSCAPE].contains(box)
    image = render_countdown(42, size=LANDSCAPE)
    assert_transparent_outside(image, box)
    digits = plan_countdown(42, size=LANDSCAPE).texts[-1]
    assert digits.text == "0:42"
    white = ink_box(image, colour=WHITE)
    assert white is not None and digits.box.contains(white)


def test_countdown_refuses_negative_time() -> None:
    with pytest.raises(OverlayTextError, match="negative"):
        plan_countdown(-1)


def test_every_plan_keeps_inside_the_frame_for_many_sizes() -> None:
    sizes = [(1920, 1080), (1080, 1920), (1280, 720), (720, 1280), (1080, 1080), (320, 180)]
    for size in sizes:
        plans: list[OverlayPlan] = [
            plan_lower_third("李青云", "1922–1949", size=size),
            plan_title_slate(["清明祭英烈", "网上祭扫"], size=size),
            plan_standby_slate(size=size),
            plan_countdown(60, size=size),
        ]
        frame = Box(0, 0, *size)
        for plan in plans:
            assert frame.contains(plan.box), (size, plan.box)
            assert all(plan.box.contains(t.box) for t in plan.texts), size


def test_empty_texts_are_refused() -> None:
    with pytest.raises(OverlayTextError):
        plan_lower_third("  ")
    with pytest.raises(OverlayTextError):
        plan_title_slate(["", " "])
