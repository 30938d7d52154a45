"""No tofu: every character of the register and of the texts we ship has a real glyph in the chosen fonts."""

from __future__ import annotations

import pytest
from PIL import ImageFont

from streamkit.media.samples import SampleSet
from streamkit.overlays import MissingGlyphError, load_register, load_style, plan_lower_third, resolve_typeface
from streamkit.overlays.layout import VERTICAL_FORMS
from streamkit.overlays.typeface import Typeface
from tests.conftest import run_cli

# Texts staff are expected to put on screen, plus everything the memorial style itself draws.
SAMPLE_TEXTS = [
    "清明祭英烈",
    "2020年网上祭扫活动",
    "烈士陵园管理处",
    "仪式即将开始，请稍候",
    "默哀",
    "英名录",
    "向革命先烈敬献花篮",
    "“英雄永垂不朽！”（全体肃立）",
    "0123456789:–·",
]
NOT_IN_ANY_CJK_FONT = "\U000f0000"  # a supplementary private-use character


def notdef_mask(font: ImageFont.FreeTypeFont) -> bytes:
    return bytes(font.getmask(NOT_IN_ANY_CJK_FONT))


def is_drawn_as_notdef(font: ImageFont.FreeTypeFont, char: str) -> bool:
    """Independent of the character map: Pillow draws a missing character exactly like ``.notdef``."""
    return bytes(font.getmask(char)) == notdef_mask(font)


def faces() -> list[Typeface]:
    style = load_style()
    return [resolve_typeface(style.fonts.text), resolve_typeface(style.fonts.names)]


def test_every_register_character_has_a_glyph(samples: SampleSet) -> None:
    entries = load_register(samples.register)
    text = "".join(e.name + e.years + e.unit + e.hometown for e in entries)
    assert len(set(text)) > 50  # the sample register really exercises many characters
    for face in faces():
        assert face.missing(text) == []
        font = face.font(32)
        drawn_as_tofu = [c for c in set(text) if is_drawn_as_notdef(font, c)]
        assert drawn_as_tofu == [], f"{face.family}: {drawn_as_tofu}"


@pytest.mark.parametrize("text", SAMPLE_TEXTS)
def test_sample_texts_have_glyphs(text: str) -> None:
    style = load_style()
    shipped = style.standby_slate.message + style.name_roll.title
    for face in faces():
        assert face.missing(text + shipped) == []
        font = face.font(32)
        assert not [c for c in set(text + shipped) if not c.isspace() and is_drawn_as_notdef(font, c)]


def test_vertical_punctuation_forms_have_glyphs() -> None:
    forms = "".join(str(v) for v in VERTICAL_FORMS.values())
    for face in faces():
        assert face.missing(forms) == []


def test_a_missing_character_is_refused_before_drawing() -> None:
    face = faces()[0]
    assert face.missing("周" + NOT_IN_ANY_CJK_FONT) == [NOT_IN_ANY_CJK_FONT]
    assert is_drawn_as_notdef(face.font(32), NOT_IN_ANY_CJK_FONT)  # the independent check agrees
    with pytest.raises(MissingGlyphError, match="U\\+F0000"):
        plan_lower_third("周" + NOT_IN_ANY_CJK_FONT + "海")


def test_glyphs_command_checks_a_register(samples: SampleSet) -> None:
    done = run_cli(["overlay", "glyphs", "--register", str(samples.register)])
    assert done.returncode == 0, done.stderr
    assert "every character has a glyph" in done.stdout
    bad = run_cli(["overlay", "glyphs", "--text", "周" + NOT_IN_ANY_CJK_FONT])
    assert bad.returncode == 1
    assert bad.stderr.count("\n") == 1 and bad.stderr.startswith("error: ") and "U+F0000" in bad.stderr


def test_a_family_that_is_not_installed_is_substituted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    from streamkit.overlays.style import FontSpec

    with caplog.at_level("WARNING"):
        face = resolve_typeface(FontSpec(family="Streamkit Imaginary Serif"))
    assert face.missing("英名录") == []  # the substitute still covers Chinese
    assert "'Streamkit Imaginary Serif' is not installed" in caplog.text
