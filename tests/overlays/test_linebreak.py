"""Chinese line breaking: between Han characters, never inside Latin words, kinsoku rules for punctuation."""

from __future__ import annotations

import pytest

from streamkit.overlays.linebreak import NO_LINE_END, NO_LINE_START, break_lines, clusters


def cells(text: str) -> float:
    """A fixed-width measure: wide (CJK) characters are 2 cells, others 1, like a terminal."""
    return float(sum(2 if ord(c) >= 0x2E80 else 1 for c in text))


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        # plain Han text fills each line to the width
        ("革命先烈永垂不朽", 8, ["革命先烈", "永垂不朽"]),
        # a comma may not start a line: the character before it moves down with it
        ("革命先烈，永垂不朽", 8, ["革命先", "烈，永垂", "不朽"]),
        # a full stop that does not fit pulls the character before it down
        ("英雄事迹万古流芳。", 14, ["英雄事迹万古流", "芳。"]),
        # an opening bracket may not end a line: it moves down with what it opens
        ("纪念活动（网上）", 10, ["纪念活动", "（网上）"]),
        ("他说：“永远怀念”", 12, ["他说：“永远", "怀念”"]),
        # Latin words and numbers are not split; the space at the break is dropped
        ("纪念 Qingming Festival 2020 网上祭扫", 14, ["纪念 Qingming", "Festival 2020", "网上祭扫"]),
        # the two halves of a dash or an ellipsis stay together
        ("永远——怀念", 6, ["永远——", "怀念"]),
        ("永远——怀念", 5, ["永远", "——怀", "念"]),
        ("思念……", 4, ["思", "念……"]),
        # the middle dot of a transliterated name never starts a line
        ("阿不都·热合曼", 8, ["阿不都·", "热合曼"]),
        ("阿不都·热合曼", 6, ["阿不", "都·热", "合曼"]),
        # explicit newlines are kept
        ("第一行\n第二行", 20, ["第一行", "第二行"]),
        # a word wider than the line is cut rather than overflowing the safe area
        ("Supercalifragilistic", 8, ["Supercal", "ifragili", "stic"]),
        ("", 10, [""]),
    ],
)
def test_break_lines_table(text: str, width: int, expected: list[str]) -> None:
    assert break_lines(text, cells, width) == expected


@pytest.mark.parametrize(
    "text", ["清明时节雨纷纷，路上行人欲断魂。借问酒家何处有？牧童遥指杏花村。", "（一）《英名录》、「默哀」"]
)
@pytest.mark.parametrize("width", [6, 8, 10, 12, 16])  # a line holds at least 3 Han characters
def test_no_line_starts_with_closing_or_ends_with_opening_punctuation(text: str, width: int) -> None:
    lines = break_lines(text, cells, width)
    assert "".join(lines) == text  # nothing lost, nothing added
    for line in lines:
        assert line[0] not in NO_LINE_START
        assert line[-1] not in NO_LINE_END
        assert cells(line) <= width + 2  # at most one glued punctuation mark beyond the width


def test_clusters_keep_words_and_glue_punctuation() -> None:
    assert clusters("2020年“清明”") == ["2020", "年", "“清", "明”"]
