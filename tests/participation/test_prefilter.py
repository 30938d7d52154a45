"""The messages pre-filter: a table of real-looking tributes that must pass, evasions that must be caught, contact
details and links held for review, and the word-list format."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.participation.prefilter import (
    Prefilter,
    Tier,
    Verdict,
    Word,
    WordListError,
    default_prefilter,
    normalise,
    parse_word_list,
)

TRIBUTES = [
    "英烈千古，永垂不朽！",
    "1947年3月5日，您在孟良崮战斗中英勇牺牲，年仅二十五岁。",
    "南京大屠杀中遇难的同胞和为国牺牲的先烈，我们永远铭记。",
    "您抱着炸弹冲向敌人的碉堡，炸毁碉堡后壮烈牺牲。",
    "敌人残酷杀害了您，可您至死没有吐露一个字。",
    "爷爷，我们不能麻痹大意，要把日子过好。",
    "五四游行的学生里，也有您年轻的身影。",
    "致敬志願軍烈士陳國樑，吾輩當自強。",
    "Rest in peace. 我们会替您看看今天的中国。",
]
FLAGGED = [
    # message, verdict, category, the original text the match covers
    ("傻1逼", Verdict.BLOCK, "insult", "傻1逼"),
    ("什么英雄，傻 逼", Verdict.BLOCK, "insult", "傻 逼"),
    ("麻。。。痹", Verdict.BLOCK, "insult", "麻。。。痹"),
    ("麻麻麻痹", Verdict.BLOCK, "insult", "麻麻麻痹"),
    ("狗\u200b东\u200b西", Verdict.BLOCK, "insult", "狗\u200b东\u200b西"),
    ("ＦＵＣＫ", Verdict.BLOCK, "insult", "ＦＵＣＫ"),
    ("Fuck", Verdict.BLOCK, "insult", "Fuck"),
    ("假烈士罢了", Verdict.BLOCK, "slander", "假烈士"),
    ("假.烈.士", Verdict.BLOCK, "slander", "假.烈.士"),
    ("專業代開發票", Verdict.BLOCK, "ad", "代開發票"),
    ("砍头示众", Verdict.REVIEW, "violence", "砍头"),
    ("有事打电话 138-0013-8000", Verdict.REVIEW, "contact", "138-0013-8000"),
    ("电话１３８００１３８０００", Verdict.REVIEW, "contact", "１３８００１３８０００"),
    ("一三八〇〇一三八〇〇〇", Verdict.REVIEW, "contact", "一三八〇〇一三八〇〇〇"),
    ("加微信：abc_12345 了解", Verdict.REVIEW, "contact", "微信：abc_12345"),
    ("详见 https://example.com/x", Verdict.REVIEW, "link", "https://example.com/x"),
    ("看看 example.cn 吧", Verdict.REVIEW, "link", "example.cn"),
    ("写信 someone@example.org", Verdict.REVIEW, "contact", "someone@example.org"),
]


@pytest.mark.parametrize("message", TRIBUTES)
def test_tributes_pass_even_with_war_words(message: str) -> None:
    screening = default_prefilter().screen(message)
    assert (screening.verdict, screening.matches) == (Verdict.CLEAN, ())


@pytest.mark.parametrize(("message", "verdict", "category", "covered"), FLAGGED)
def test_evasions_contacts_and_links_are_caught(message: str, verdict: Verdict, category: str, covered: str) -> None:
    screening = default_prefilter().screen(message)
    assert screening.verdict is verdict
    assert [(m.category, message[m.start : m.end]) for m in screening.matches] == [(category, covered)]


def test_dates_and_counts_are_not_phone_numbers() -> None:
    for message in ("1947年3月5日牺牲", "共有 13800 人参加", "编号 2026040412345678"):
        assert default_prefilter().screen(message).verdict is Verdict.CLEAN, message


def test_normalising_keeps_where_each_character_came_from() -> None:
    found = normalise("Ａ，傻1逼！！麻麻")
    assert found.text == "a傻逼麻"
    assert found.origin == (0, 2, 4, 7)


def test_the_allow_list_wins_over_a_generic_list_and_covers_phrases() -> None:
    words = [Word(Tier.REVIEW, "violence", "屠杀"), Word(Tier.BLOCK, "insult", "麻痹")]
    strict = Prefilter(words)
    assert strict.screen("大屠杀").verdict is Verdict.REVIEW and strict.screen("麻痹大意").verdict is Verdict.BLOCK
    allowing = Prefilter([*words, Word(Tier.ALLOW, "war", "屠杀"), Word(Tier.ALLOW, "phrase", "麻痹大意")])
    assert allowing.screen("大屠杀").verdict is Verdict.CLEAN
    assert allowing.screen("麻痹大意").verdict is Verdict.CLEAN
    assert allowing.screen("你个麻痹").verdict is Verdict.BLOCK
    assert Prefilter([]).screen("傻逼").verdict is Verdict.CLEAN


def test_word_lists_are_versioned_and_bad_lines_say_where(tmp_path: Path) -> None:
    good = tmp_path / "block.txt"
    good.write_text("version: 1\n# comment\n\ninsult 傻逼\n", encoding="utf-8")
    assert parse_word_list(good, Tier.BLOCK) == [Word(Tier.BLOCK, "insult", "傻逼")]
    unversioned = tmp_path / "old.txt"
    unversioned.write_text("insult 傻逼\n", encoding="utf-8")
    with pytest.raises(WordListError, match=r"old.txt:1: expected 'version: 1'"):
        parse_word_list(unversioned, Tier.BLOCK)
    bad = tmp_path / "bad.txt"
    bad.write_text("version: 1\ninsult 傻 逼\n", encoding="utf-8")
    with pytest.raises(WordListError, match=r"bad.txt:2: expected 'category word'"):
        parse_word_list(bad, Tier.BLOCK)
