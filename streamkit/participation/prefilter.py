"""The automatic pre-filter for messages of remembrance: it flags, a moderator decides; it never publishes.

A message is normalised first, so that the usual evasions read as the word they hide: full-width letters and
digits become half width (NFKC), traditional characters simplified, letters lower case; zero-width characters,
spaces, punctuation and symbols are dropped (``麻。。。痹``), as is a single letter or digit wedged between two
Chinese characters (``傻1逼``); runs of one character collapse to one (``傻傻傻逼``). Each normalised character
remembers where it came from, so matches are reported as spans of the original text for highlighting.

One Aho-Corasick pass over the normalised text then finds every word of the lists in ``words/``: ``block`` (held
as likely to be rejected), ``review`` (highlighted) and the domain's ``allow`` list. War words that generic lists
carry (屠杀, 炸弹, 牺牲) are what tributes to the fallen are made of: a word on the allow-list is never flagged,
and a flagged word inside an allowed phrase (麻痹 in 麻痹大意) is not flagged there. Contact details and links are
found on the width-folded text and always held for review.
"""

from __future__ import annotations

import enum
import functools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import zhconv

from streamkit.errors import StreamkitError

WORDS_DIR = Path(__file__).resolve().parent / "words"
CHINESE_DIGITS = str.maketrans("〇零一二三四五六七八九", "00123456789")
PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
LINK = re.compile(
    r"(?:https?://|www\.)\S+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:com|cn|net|org|top|xyz|cc|info|vip)\b", re.IGNORECASE
)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
HANDLE = re.compile(r"(?:qq|扣扣|微信|wx|vx|weixin|威信|v信)[:：\s]*[a-z0-9_-]{5,}", re.IGNORECASE)


class Tier(enum.StrEnum):
    BLOCK = "block"
    REVIEW = "review"
    ALLOW = "allow"


class Verdict(enum.StrEnum):
    CLEAN = "clean"  # nothing found: still waits for a moderator
    REVIEW = "review"
    BLOCK = "block"


class WordListError(StreamkitError):
    """A word list that cannot be read: the file and line say where."""


@dataclass(frozen=True)
class Word:
    tier: Tier
    category: str
    word: str


@dataclass(frozen=True)
class Match:
    """A flagged stretch of the original message: ``message[start:end]``."""

    tier: Tier
    category: str
    word: str
    start: int
    end: int


@dataclass(frozen=True)
class Screening:
    verdict: Verdict
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class Normalised:
    text: str
    origin: tuple[int, ...]  # for each character of ``text``, its index in the original


@functools.lru_cache(maxsize=8192)
def _fold(char: str) -> str:
    """One character in width-folded, lower-case, simplified form (may be several characters, or none)."""
    folded = unicodedata.normalize("NFKC", char).lower()
    simplified = zhconv.convert(folded, "zh-cn") if len(folded) == 1 else folded
    return simplified if len(simplified) == len(folded) else folded


def _noise(char: str) -> bool:
    return char.isspace() or unicodedata.category(char)[0] in "PSCZ"  # punctuation, symbols, Cf/Cc, separators


def _han(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\U00020000" <= char <= "\U0003134f"


def normalise(text: str) -> Normalised:
    """The form words are matched in, with each character's index in ``text``."""
    kept = [(out, i) for i, char in enumerate(text) for out in _fold(char) if not _noise(out)]
    kept = [pair for n, pair in enumerate(kept) if not (0 < n < len(kept) - 1 and _wedged(kept, n))]
    collapsed = [pair for n, pair in enumerate(kept) if n == 0 or kept[n - 1][0] != pair[0]]
    return Normalised("".join(c for c, _ in collapsed), tuple(i for _, i in collapsed))


def _wedged(kept: list[tuple[str, int]], n: int) -> bool:
    """A single ASCII letter or digit between two Chinese characters (``傻1逼``)."""
    char = kept[n][0]
    return char.isascii() and char.isalnum() and _han(kept[n - 1][0]) and _han(kept[n + 1][0])


def parse_word_list(path: Path, tier: Tier) -> list[Word]:
    """A word list file: ``version: 1``, then ``category word`` lines; ``#`` comments and blank lines skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    if not lines or lines[0].strip() != "version: 1":
        raise WordListError(f"{path}:1: expected 'version: 1'")
    words = []
    for number, line in enumerate(lines[1:], start=2):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2:
            raise WordListError(f"{path}:{number}: expected 'category word', got {line[:40]!r}")
        words.append(Word(tier, parts[0], parts[1]))
    return words


class Prefilter:
    """The word lists compiled into one automaton; ``screen`` is safe to call from many threads."""

    def __init__(self, words: Iterable[Word]) -> None:
        entries: dict[str, Word] = {}
        for word in words:
            key = normalise(word.word).text
            if key and (key not in entries or word.tier is Tier.ALLOW):
                entries[key] = word  # a word on the allow-list is never flagged, whichever list also holds it
        self.automaton = ahocorasick.Automaton()
        for key, word in entries.items():
            self.automaton.add_word(key, (len(key), word))
        if entries:
            self.automaton.make_automaton()

    @classmethod
    def from_folder(cls, folder: Path = WORDS_DIR) -> Prefilter:
        return cls(word for tier in Tier for word in parse_word_list(folder / f"{tier.value}.txt", tier))

    def screen(self, message: str) -> Screening:
        """Every flagged word, link and contact detail in ``message``, and the verdict they add up to."""
        found = _contacts(message) + self._words(normalise(message))
        matches = tuple(sorted(found, key=lambda m: (m.start, m.end)))
        tiers = {m.tier for m in matches}
        verdict = Verdict.BLOCK if Tier.BLOCK in tiers else Verdict.REVIEW if matches else Verdict.CLEAN
        return Screening(verdict, matches)

    def _words(self, normalised: Normalised) -> list[Match]:
        if self.automaton.kind != ahocorasick.AHOCORASICK:
            return []
        hits = [(end - length + 1, end + 1, word) for end, (length, word) in self.automaton.iter(normalised.text)]
        allowed = [(start, end) for start, end, word in hits if word.tier is Tier.ALLOW]
        origin = normalised.origin
        return [
            Match(word.tier, word.category, word.word, origin[start], origin[end - 1] + 1)
            for start, end, word in hits
            if word.tier is not Tier.ALLOW and not any(a <= start and end <= b for a, b in allowed)
        ]


def _contacts(message: str) -> list[Match]:
    """Phone numbers (also in Chinese numerals or split by spaces and dashes), links, e-mail and chat handles."""
    folded = "".join(_fold(c)[:1] or " " for c in message)  # one character for one: spans stay the message's
    found: list[Match] = []
    for category, pattern in (("contact", EMAIL), ("link", LINK), ("contact", HANDLE)):
        for m in pattern.finditer(folded):
            if not any(f.start < m.end() and m.start() < f.end for f in found):  # the domain of an e-mail address
                found.append(Match(Tier.REVIEW, category, m.group(0), m.start(), m.end()))
    digits = [(c, i) for i, c in enumerate(folded.translate(CHINESE_DIGITS)) if c.isdigit() or c in " -.·"]
    runs = "".join(c for c, _ in digits if c.isdigit())
    positions = [i for c, i in digits if c.isdigit()]
    for m in PHONE.finditer(runs):
        start, end = positions[m.start()], positions[m.end() - 1] + 1
        if _contiguous(folded, start, end):
            found.append(Match(Tier.REVIEW, "contact", message[start:end], start, end))
    return found


def _contiguous(folded: str, start: int, end: int) -> bool:
    """Digits that belong together: nothing but digits and separators between the first and the last."""
    return all(c.isdigit() or c in " -.·〇零一二三四五六七八九" for c in folded[start:end])


@functools.lru_cache(maxsize=1)
def default_prefilter() -> Prefilter:
    """The pre-filter over the lists shipped in ``words/``, built once per process."""
    return Prefilter.from_folder()
