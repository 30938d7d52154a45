"""The forms a name or place is searched by: simplified characters spaced out, pinyin, and pinyin initials.

Both the stored search columns and the queries go through the same functions, so a traditional query meets a
simplified record (and the other way round), and ``wzg`` or ``wangzhiguo`` meet 王志国. Characters stand one per
token because a Chinese name has no word breaks: a two-character query must match as surely as a three-character one.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import zhconv
from pypinyin import Style, lazy_pinyin, pinyin

# zhconv's own loader leaves its dictionary file open (a ResourceWarning); given a path it closes it.
zhconv.loaddict(str(Path(zhconv.__file__).resolve().parent / "zhcdict.json"))
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN_WORD = re.compile(r"[a-z0-9]+")


def is_han(char: str) -> bool:
    return bool(_HAN.fullmatch(char))


# Whole names and places are cached in a small LRU only: a register's names are nearly all different, so a large
# cache would mostly hold names never asked for again and grow the import's memory with the register (bench/RESULTS.md);
# places, units and posts repeat and stay in it.
@lru_cache(maxsize=4096)
def simplified(text: str) -> str:
    """NFKC (full-width letters) and traditional characters as simplified ones, lower case."""
    converted: str = zhconv.convert(unicodedata.normalize("NFKC", text), "zh-cn")
    return converted.lower()


def spaced_characters(text: str) -> list[str]:
    """Each Han character on its own, and runs of Latin letters or digits as words."""
    tokens: list[str] = []
    for part in re.split(r"[^\w]+", simplified(text)):
        tokens += re.findall(r"[a-z0-9]+|\w", part)
    return tokens


@lru_cache(maxsize=65536)
def readings(char: str) -> tuple[str, ...]:
    """A character's pinyin without tones, the usual reading first (empty for a character pypinyin does not know).

    Read per character, not per phrase: a name is not a word, and the per-character cache makes a 200,000-name
    register cheap to index."""
    usual = lazy_pinyin(char, errors="ignore")
    every = pinyin(char, style=Style.NORMAL, heteronym=True, errors="ignore")
    return tuple(dict.fromkeys([*usual, *(every[0] if every else [])]))


@lru_cache(maxsize=4096)
def name_tokens(name: str) -> str:
    """The search text of a name: characters, full pinyin, initials, syllables (and every reading of a surname)."""
    han = [c for c in simplified(name) if is_han(c) and readings(c)]
    tokens = spaced_characters(name)
    if han:
        rest = [readings(c)[0] for c in han[1:]]
        for surname in readings(han[0]):
            tokens += ["".join([surname, *rest]), "".join(s[0] for s in [surname, *rest])]
        tokens += [readings(han[0])[0], *rest]
    return " ".join(dict.fromkeys(tokens))


def place_tokens(*texts: str) -> str:
    """The search text of places, units or posts: their characters, one per token."""
    return " ".join(t for text in texts for t in spaced_characters(text))


def query_terms(query: str) -> list[tuple[str, bool]]:
    """A typed query as (term, is_prefix) pairs: Han runs as phrases of characters, Latin words as prefixes."""
    terms: list[tuple[str, bool]] = []
    for word in simplified(query).split():
        han = " ".join(c for c in word if is_han(c))
        if han:
            terms.append((han, False))
        terms += [(latin, True) for latin in _LATIN_WORD.findall(word)]
    return terms
