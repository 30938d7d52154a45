"""Caption text: splitting, wrapping, escaping per dialect, and the caption and chapter files."""

from __future__ import annotations

import pytest

from streamkit.tours.captions import ass, escape, ffmetadata, srt, wrap
from streamkit.tours.timeline import CaptionCue, Chapter
from tests.tours.specs import make_tour


@pytest.mark.parametrize(
    ("text", "dialect", "expected"),
    [
        ("引号' 冒号: 逗号, [括号]", "srt", "引号' 冒号: 逗号, [括号]"),
        ("等号= 百分% 反斜\\杠", "srt", "等号= 百分% 反斜\\杠"),
        ("第一行\n\n第二行", "srt", "第一行\n第二行"),  # a blank line would end the cue
        ("a < b & c > d --> e", "vtt", "a &lt; b &amp; c &gt; d --&gt; e"),
        ("换行\n第二行", "vtt", "换行\n第二行"),
        ("反斜\\n不是换行", "ass", "反斜\\\u2060n不是换行"),  # libass would read \n as a line break
        ("{\\b1}不是标签", "ass", "{\u2060\\\u2060b1}不是标签"),
        ("第一行\n第二行", "ass", "第一行\\N第二行"),
        ("' : , [ ] % 中文", "ass", "' : , [ ] % 中文"),
        ("a=b;c#d\\e", "ffmetadata", "a\\=b\\;c\\#d\\\\e"),
        ("两行\n标题", "ffmetadata", "两行\\\n标题"),
    ],
)
def test_escape_table(text: str, dialect: str, expected: str) -> None:
    assert escape(text, dialect) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        ("清明时节，我们在这里缅怀为国捐躯的英烈。", 18, "清明时节，我们在这里\n缅怀为国捐躯的英烈。"),
        ("短句", 18, "短句"),
        ("一二三四五六七八九十。", 5, "一二三四\n五六七八\n九十。"),  # 。never starts a line
        ("Memorial hall of the martyrs", 8, "Memorial hall\nof the martyrs"),  # Latin words stay whole
        ("已有\n换行", 18, "已有\n换行"),
    ],
)
def test_wrap_cjk(text: str, width: int, expected: str) -> None:
    assert wrap(text, width) == expected


def test_caption_files() -> None:
    cues = [CaptionCue("第一句", 1320, 2520), CaptionCue("第二\n行", 3000, 4000)]
    assert srt(cues) == "1\n00:00:01,320 --> 00:00:02,520\n第一句\n\n2\n00:00:03,000 --> 00:00:04,000\n第二\n行\n"
    style = make_tour().defaults.captions
    script = ass(cues, style, (320, 180))
    assert "PlayResX: 320" in script and "Style: Caption,Noto Sans CJK SC,11," in script
    assert "Dialogue: 0,0:00:01.32,0:00:02.52,Caption,,0,0,0,,第一句" in script
    assert script.rstrip().endswith("第二\\N行")
    meta = ffmetadata([Chapter("大门=入口", 0, 1520)], "导览")
    assert meta == ";FFMETADATA1\ntitle=导览\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1520\ntitle=大门\\=入口\n"
