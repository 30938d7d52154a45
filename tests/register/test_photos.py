"""The tomb photo survey on a real store: matching, stored results, re-runs, coverage, the bureau's package."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ConfigError
from streamkit.register.coverage import coverage, coverage_lines, write_coverage_xlsx
from streamkit.register.importer import import_register
from streamkit.register.models import Martyr, TombPhoto
from streamkit.register.package import INDEX_HEADER, INDEX_NAME, write_package
from streamkit.register.photo_checks import PhotoChecks
from streamkit.register.photos import survey_photos
from tests.register.tomb_photos import blurred, save, save_turned, stone

CHECKS = PhotoChecks(min_side=400)


def make_survey(folder: Path) -> Path:
    """Photos for the hard register: by position, by name (one ambiguous), by mapping (a duplicate), loose ones."""
    save(stone(10), folder / "A-03-12.jpg")  # 王志国 of tomb 12
    save(stone(11), folder / "王志国.jpg")  # two records of that name: ambiguous
    save(blurred(stone(12)), folder / "B-01-01.jpg")  # 𠮷䶮
    save_turned(stone(13), folder / "北区" / "陈国梁.jpg")  # 陳國樑, by the simplified name, stored turned
    save(stone(14), folder / "李明.jpg")  # a record with no tomb position
    save(stone(15), folder / "unknown.jpg")
    save(stone(10), folder / "IMG_0001.jpg", quality=60)  # the photo of tomb 12 again, mapped to tomb 13
    (folder / ".IMG_0002.partial.jpg").write_bytes(b"")  # a copy in progress: hidden, left out
    mapping = folder.parent / "mapping.csv"
    mapping.write_text("照片,记录\nIMG_0001.jpg,南山烈士陵园 A-03-13\n", encoding="utf-8")
    return mapping


@pytest.fixture
def surveyed(store: ArchiveStore, hard_csv: Path, tmp_path: Path) -> Path:
    import_register(store, hard_csv)
    folder = tmp_path / "photos"
    survey_photos(store, folder, mapping_file=make_survey(folder), checks=CHECKS)
    return folder


def _photos(store: ArchiveStore) -> dict[str, TombPhoto]:
    with store.session() as session:
        return {Path(p.path).name: p for p in session.scalars(select(TombPhoto))}


def _ids(store: ArchiveStore) -> dict[str, int]:
    with store.session() as session:
        return {m.tomb_key or m.name: m.id for m in session.scalars(select(Martyr))}


def test_photos_are_matched_by_position_name_and_mapping_never_guessed(store: ArchiveStore, surveyed: Path) -> None:
    photos, ids = _photos(store), _ids(store)
    found = {name: (p.match, p.method, p.martyr_id, p.candidates) for name, p in photos.items()}
    both = f"{ids['南山烈士陵园/A/3/12']},{ids['南山烈士陵园/A/3/13']}"
    assert found == {
        "A-03-12.jpg": ("matched", "position", ids["南山烈士陵园/A/3/12"], ""),
        "王志国.jpg": ("ambiguous", "name", None, both),
        "B-01-01.jpg": ("matched", "position", ids["南山烈士陵园/B/1/1"], ""),
        "陈国梁.jpg": ("matched", "name", ids["南山烈士陵园/B/1/2"], ""),
        "李明.jpg": ("matched", "name", ids["李明"], ""),
        "unknown.jpg": ("unmatched", "name", None, ""),
        "IMG_0001.jpg": ("matched", "mapping", ids["南山烈士陵园/A/3/13"], ""),
    }
    assert photos["B-01-01.jpg"].problems == "blurred" and photos["A-03-12.jpg"].problems == ""
    assert photos["IMG_0001.jpg"].duplicate_of == photos["A-03-12.jpg"].id
    assert (photos["陈国梁.jpg"].width, photos["陈国梁.jpg"].height, photos["陈国梁.jpg"].orientation) == (640, 480, 6)
    assert photos["A-03-12.jpg"].sharpness > 100 > photos["B-01-01.jpg"].sharpness  # scores kept, not just a verdict


def test_a_rerun_updates_in_place_and_a_cemetery_narrows_positions(store: ArchiveStore, surveyed: Path) -> None:
    before = {name: (p.id, p.match, p.martyr_id, p.duplicate_of) for name, p in _photos(store).items()}
    report = survey_photos(store, surveyed, mapping_file=surveyed.parent / "mapping.csv", checks=CHECKS)
    assert {name: (p.id, p.match, p.martyr_id, p.duplicate_of) for name, p in _photos(store).items()} == before
    assert report.summary() == (
        "7 photos: matched 5, ambiguous 1, unmatched 1; 4 matched without problems; near-duplicates 1"
    )
    survey_photos(store, surveyed, cemetery="北山陵园", checks=CHECKS)
    after = _photos(store)
    assert after["A-03-12.jpg"].match == "unmatched" and after["李明.jpg"].match == "matched"
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(TombPhoto)) == 7


def test_mapping_problems_are_reported_at_once_and_nothing_is_stored(
    store: ArchiveStore, hard_csv: Path, tmp_path: Path
) -> None:
    import_register(store, hard_csv)
    folder = tmp_path / "photos"
    mapping = make_survey(folder)
    mapping.write_text("IMG_0001.jpg,王志国\nmissing.jpg,李明\nIMG_0001.jpg,李明\nonly-one-cell\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        survey_photos(store, folder, mapping_file=mapping, checks=CHECKS)
    assert caught.value.lines() == [
        f"{mapping}:2: no photo 'missing.jpg' in the folder",
        f"{mapping}:3: photo 'IMG_0001.jpg' mapped twice",
        f"{mapping}:4: expected two cells: photo file, record",
    ]
    assert _photos(store) == {}
    with pytest.raises(ConfigError, match="not a folder of photos"):
        survey_photos(store, tmp_path / "nowhere")


def test_a_mapping_saved_by_excel_as_gb18030_is_read(store: ArchiveStore, hard_csv: Path, tmp_path: Path) -> None:
    import_register(store, hard_csv)
    folder = tmp_path / "photos"
    mapping = make_survey(folder)
    mapping.write_bytes("文件,姓名\nIMG_0001.jpg,陳國樑\n".encode("gb18030"))
    survey_photos(store, folder, mapping_file=mapping, checks=CHECKS)
    photo = _photos(store)["IMG_0001.jpg"]
    assert (photo.match, photo.method, photo.martyr_id) == ("matched", "mapping", _ids(store)["南山烈士陵园/B/1/2"])


def test_coverage_per_cemetery_and_section(store: ArchiveStore, surveyed: Path, tmp_path: Path) -> None:
    found = coverage(store)
    assert coverage_lines(found) == [
        "南山烈士陵园 A区: 2 tombs, good 1, poor 1, none 0",
        "  poor: A区3排13号 王志国 (duplicate of A-03-12.jpg)",
        "南山烈士陵园 B区: 2 tombs, good 1, poor 1, none 0",
        "  poor: B区1排1号 𠮷䶮 (blurred)",
        "records with no tomb: 1",
        f"  #{_ids(store)['李明']} 李明 北山陵园",
        "photos with no record: 2",
        "  unknown.jpg (unmatched)",
        "  王志国.jpg (ambiguous)",
    ]
    target = tmp_path / "out" / "覆盖.xlsx"
    write_coverage_xlsx(found, target)
    book = load_workbook(target, read_only=True)
    assert book.sheetnames == ["概况", "墓位", "无墓位记录", "无记录照片"]
    assert [list(r) for r in book["概况"].iter_rows(values_only=True)][1:] == [
        ["南山烈士陵园", "A", 2, 1, 1, 0],
        ["南山烈士陵园", "B", 2, 1, 1, 0],
    ]
    tombs = [list(r) for r in book["墓位"].iter_rows(values_only=True)]
    assert tombs[1] == ["南山烈士陵园", "A", "A区3排12号", "王志国", "合格", None, "A-03-12.jpg"]
    assert tombs[4] == ["南山烈士陵园", "B", "B区1排2号", "陳國樑", "合格", None, "陈国梁.jpg"]
    assert [p.name for p in target.parent.iterdir()] == ["覆盖.xlsx"]  # no partial file left


def test_a_tomb_with_no_photo_counts_as_none(store: ArchiveStore, hard_csv: Path) -> None:
    import_register(store, hard_csv)
    lines = coverage_lines(coverage(store, "南山烈士陵园"))
    assert lines[:3] == [
        "南山烈士陵园 A区: 2 tombs, good 0, poor 0, none 2",
        "  none: A区3排12号 王志国",
        "  none: A区3排13号 王志国",
    ]
    assert "records with no tomb: 0" in lines  # 李明 lies in another cemetery


def test_the_bureau_package_renames_photos_and_indexes_them(
    store: ArchiveStore, surveyed: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "历下区.zip"
    assert write_package(store, target, "历下区") == 5
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        assert names == [
            "历下区_北山陵园_李明.jpg",
            "历下区_南山烈士陵园_A-03-12_王志国.jpg",
            "历下区_南山烈士陵园_A-03-13_王志国.jpg",
            "历下区_南山烈士陵园_B-01-01_𠮷䶮.jpg",
            "历下区_南山烈士陵园_B-01-02_陳國樑.jpg",
            INDEX_NAME,
        ]
        with Image.open(io.BytesIO(archive.read(names[4]))) as turned:
            assert turned.size == (640, 480)  # written upright
        assert archive.read(names[1]) == (surveyed / "A-03-12.jpg").read_bytes()  # others byte for byte
        index = [
            list(r) for r in load_workbook(io.BytesIO(archive.read(INDEX_NAME))).active.iter_rows(values_only=True)
        ]
    assert index[0] == INDEX_HEADER
    record = ["历下区", "南山烈士陵园", "A", "A-03-12", "王志国", "男", "山东济南", "1947.3.5", "合格", "A-03-12.jpg"]
    assert index[2] == [names[1], *record]
    assert index[3][9] == "duplicate of A-03-12.jpg" and index[4][9] == "blurred"
    assert "13800001234" not in str(index)  # the family's phone never leaves the store


def test_a_missing_photo_fails_the_package_before_anything_is_written(
    store: ArchiveStore, surveyed: Path, tmp_path: Path
) -> None:
    (surveyed / "B-01-01.jpg").unlink()
    target = tmp_path / "out" / "历下区.zip"
    with pytest.raises(ConfigError, match=r"B-01-01\.jpg: photo file is missing"):
        write_package(store, target, "历下区")
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_the_photo_migration_downgrades_and_upgrades_again(store: ArchiveStore) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from streamkit.archive import schema

    assert "tomb_photos" in inspect(store.engine).get_table_names()
    with store.engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection), "0002")
    tables = set(inspect(store.engine).get_table_names())
    assert "martyrs" in tables and "tomb_photos" not in tables
    assert store.migrate() is True and "tomb_photos" in inspect(store.engine).get_table_names()


def test_the_survey_stores_the_same_on_postgresql(
    postgresql_store: ArchiveStore, hard_csv: Path, tmp_path: Path
) -> None:
    import_register(postgresql_store, hard_csv)
    folder = tmp_path / "photos"
    mapping = make_survey(folder)
    for _ in range(2):  # the second run updates the same rows
        report = survey_photos(postgresql_store, folder, mapping_file=mapping, checks=CHECKS)
    assert report.summary() == (
        "7 photos: matched 5, ambiguous 1, unmatched 1; 4 matched without problems; near-duplicates 1"
    )
    photos = _photos(postgresql_store)
    assert len(photos) == 7 and photos["IMG_0001.jpg"].duplicate_of == photos["A-03-12.jpg"].id
    assert coverage_lines(coverage(postgresql_store))[0] == "南山烈士陵园 A区: 2 tombs, good 1, poor 1, none 0"
