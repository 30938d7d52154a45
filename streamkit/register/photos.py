"""The tomb photo survey: match a folder of photos to the register, check them, and keep the result in the store.

A photo is known by its full path, so running the survey again updates its row instead of adding one; photos of
earlier runs stay (the survey never deletes), and near-duplicates are looked for across all of them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from streamkit.archive.models import utcnow
from streamkit.archive.store import ArchiveStore
from streamkit.errors import ConfigError
from streamkit.register.models import Martyr, TombPhoto
from streamkit.register.photo_checks import PhotoChecks, PhotoScores
from streamkit.register.photo_match import PhotoMatch, RegisterIndex, read_mapping
from streamkit.register.photo_qa import PHOTO_SUFFIXES, measure_photos, near_duplicates
from streamkit.register.record import tomb_label


@dataclass(frozen=True)
class SurveyedPhoto:
    """One photo of a survey run as a person reads it: its file, match and problems."""

    name: str
    match: PhotoMatch
    problems: tuple[str, ...]


@dataclass(frozen=True)
class SurveyReport:
    photos: tuple[SurveyedPhoto, ...]
    duplicates: int

    def summary(self) -> str:
        counts = Counter(p.match.match for p in self.photos)
        good = sum(1 for p in self.photos if p.match.match == "matched" and not p.problems)
        return (
            f"{len(self.photos)} photos: matched {counts['matched']}, ambiguous {counts['ambiguous']}, "
            f"unmatched {counts['unmatched']}; {good} matched without problems; near-duplicates {self.duplicates}"
        )


def find_photos(folder: Path) -> list[Path]:
    """The photos under ``folder`` (any depth), in name order, hidden files left out; a ConfigError if no folder."""
    if not folder.is_dir():
        raise ConfigError.single(folder, "not a folder of photos")
    found = (p for p in folder.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES and not p.name.startswith("."))
    return sorted(p for p in found if p.is_file())


def _row_values(match: PhotoMatch, scores: PhotoScores, checks: PhotoChecks) -> dict[str, object]:
    return {
        "martyr_id": match.martyr_id,
        "match": match.match,
        "method": match.method,
        "candidates": ",".join(map(str, match.candidates)),
        **scores.model_dump(exclude={"readable"}),
        "problems": ",".join(scores.problems(checks)),
        "checked_at": utcnow(),
    }


def survey_photos(
    store: ArchiveStore,
    folder: Path,
    *,
    mapping_file: Path | None = None,
    cemetery: str = "",
    checks: PhotoChecks = PhotoChecks(),  # noqa: B008 (frozen model)
    jobs: int = 1,
) -> SurveyReport:
    """Match and check every photo under ``folder`` and store the results in one transaction."""
    files = find_photos(folder)
    mapping = read_mapping(mapping_file, {f.name for f in files}) if mapping_file else {}
    scores = list(measure_photos(files, checks, jobs=jobs))  # before the transaction: the slow part holds no lock
    surveyed: list[SurveyedPhoto] = []
    with store.transaction() as session:
        index = RegisterIndex(session, cemetery)
        stored = _stored(session, [str(f.resolve()) for f in files])
        for file, score in zip(files, scores, strict=True):
            match = index.match(file, mapping)
            values = _row_values(match, score, checks)
            row = stored.get(str(file.resolve()))
            if row is None:
                session.add(TombPhoto(path=str(file.resolve()), **values))
            else:
                for field, value in values.items():
                    setattr(row, field, value)
            surveyed.append(SurveyedPhoto(file.name, match, score.problems(checks)))
        session.flush()
        hashes = [(photo_id, h) for photo_id, h in session.execute(select(TombPhoto.id, TombPhoto.dhash))]
        duplicates = near_duplicates(hashes, checks.duplicate_distance)
        session.execute(update(TombPhoto).values(duplicate_of=None))
        for photo_id, earlier in duplicates.items():
            session.execute(update(TombPhoto).where(TombPhoto.id == photo_id).values(duplicate_of=earlier))
    return SurveyReport(tuple(surveyed), len(duplicates))


def _stored(session: Session, paths: list[str]) -> dict[str, TombPhoto]:
    """The stored rows of these paths, asked for in batches that stay under the databases' parameter limits."""
    found: dict[str, TombPhoto] = {}
    for start in range(0, len(paths), 1000):
        batch = select(TombPhoto).where(TombPhoto.path.in_(paths[start : start + 1000]))
        found |= {p.path: p for p in session.scalars(batch)}
    return found


def describe_candidates(store: ArchiveStore, ids: tuple[int, ...]) -> str:
    """``#1 南山烈士陵园 A区3排12号, #2 …`` for a person choosing between ambiguous candidates."""
    with store.session() as session:
        found = session.scalars(select(Martyr).where(Martyr.id.in_(ids)).order_by(Martyr.id))
        return ", ".join(
            f"#{m.id} {m.name} {m.cemetery} {tomb_label(m.section, m.row, m.number)}".strip() for m in found
        )
