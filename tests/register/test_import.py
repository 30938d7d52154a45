"""Importing register files: encodings and XLSX, stable keys, every bad row at once, no half-import, dry runs."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ConfigError
from streamkit.register.columns import parse_mapping
from streamkit.register.importer import BATCH_ROWS, Change, ImportRejected, import_register
from streamkit.register.models import Martyr
from tests.register.conftest import HARD_ROWS, write_csv


def count(store: ArchiveStore) -> int:
    with store.session() as session:
        return session.scalar(select(func.count(Martyr.id))) or 0


def records(store: ArchiveStore) -> dict[str, Martyr]:
    with store.session() as session:
        return {m.key: m for m in session.scalars(select(Martyr))}


def revision(store: ArchiveStore) -> int:
    return store.revision()


def test_hard_cases_import_with_stable_keys(store: ArchiveStore, hard_csv: Path) -> None:
    report = import_register(store, hard_csv)
    assert (report.added, report.changed, report.unchanged, report.written) == (5, 0, 0, True)
    found = records(store)
    first, second = found["tomb:南山烈士陵园/A/3/12"], found["tomb:南山烈士陵园/A/3/13"]
    assert first.name == second.name == "王志国"  # same name twice in one cemetery: two records by tomb
    assert (first.unit, first.post, first.biography) == ("华东野战军", "连长", "作战英勇，\n多次立功")
    rare = found["tomb:南山烈士陵园/B/1/1"]
    assert rare.name == "𠮷䶮" and (rare.died_text, str(rare.died_from), str(rare.died_to)) == (
        "1949年3月下旬",
        "1949-03-21",
        "1949-03-31",
    )
    assert found["tomb:南山烈士陵园/B/1/2"].name == "陳國樑"  # kept as written; search folds it
    assert found["person:李明/四川/1938年"].cemetery == "北山陵园"  # no tomb position: name, place, death


def test_reimport_changes_nothing_and_writes_nothing(store: ArchiveStore, hard_csv: Path) -> None:
    import_register(store, hard_csv)
    before, rev = {k: m.updated_at for k, m in records(store).items()}, revision(store)
    report = import_register(store, hard_csv)
    assert (report.added, report.changed, report.unchanged, report.written) == (0, 0, 5, False)
    assert {k: m.updated_at for k, m in records(store).items()} == before
    assert revision(store) == rev


def test_changed_fields_are_updated_in_place(store: ArchiveStore, tmp_path: Path) -> None:
    import_register(store, write_csv(tmp_path / "a.csv", HARD_ROWS))
    edited = [list(r) for r in HARD_ROWS]
    edited[1][5] = "1947年5月"
    changes: list[Change] = []
    report = import_register(store, write_csv(tmp_path / "b.csv", edited), on_change=changes.append)
    assert (report.added, report.changed, report.unchanged) == (0, 1, 4)
    assert changes == [
        Change("changed", 3, "tomb:南山烈士陵园/A/3/13", "王志国", ("died_text", "died_from", "died_to"))
    ]
    assert count(store) == 5 and records(store)["tomb:南山烈士陵园/A/3/13"].died_text == "1947年5月"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_csv_encodings_are_detected(store: ArchiveStore, tmp_path: Path, encoding: str) -> None:
    rows = [r for r in HARD_ROWS if r[1] != "𠮷䶮"] + [("", "龔䶮", "男", "", "", "1950", "", "", "", "", "")]
    path = write_csv(tmp_path / "r.csv", rows, encoding=encoding)
    import_register(store, path)
    assert {m.name for m in records(store).values()} == {"王志国", "陳國樑", "李明", "龔䶮"}


def test_xlsx_with_number_and_date_cells(store: ArchiveStore, tmp_path: Path) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    sheet.append(["序号", "烈士姓名", "籍贯", "牺牲日期", "陵园", "墓区", "排", "墓号"])
    sheet.append([1, "𠮷䶮", "广东", datetime(1947, 3, 5), "南山烈士陵园", "a", 3, 12.0])
    sheet.append([2, "王志国", "山东", 1947, "南山烈士陵园", "A", 3, 13])
    book.save(tmp_path / "r.xlsx")
    import_register(store, tmp_path / "r.xlsx")
    found = records(store)
    assert found["tomb:南山烈士陵园/A/3/12"].died_text == "1947-03-05"
    assert found["tomb:南山烈士陵园/A/3/13"].died_text == "1947"


def test_every_bad_row_is_reported_and_nothing_is_written(store: ArchiveStore, tmp_path: Path) -> None:
    rows = [
        *HARD_ROWS,
        ("", "", "男", "", "", "1947", "", "", "", "", ""),
        ("", "张三", "男", "", "", "1947年13月", "", "", "", "", ""),
        ("", "赵六", "男", "", "", "1947", "", "", "南山烈士陵园A区3排12号", "", ""),
        ("", "孙七", "未知", "", "1950", "1940", "", "", "", "", ""),
    ]
    with pytest.raises(ImportRejected) as caught:
        import_register(store, write_csv(tmp_path / "bad.csv", rows))
    assert caught.value.lines() == [
        f"{tmp_path / 'bad.csv'}:7: 姓名: missing name",
        f"{tmp_path / 'bad.csv'}:8: 牺牲时间: bad date '1947年13月'",
        f"{tmp_path / 'bad.csv'}:9: 安葬地/墓位: duplicate tomb position 南山烈士陵园 A区3排12号 (also row 2)",
        f"{tmp_path / 'bad.csv'}:10: 性别: not 男 or 女: '未知'",
        f"{tmp_path / 'bad.csv'}:10: 牺牲时间: death '1940' is before birth '1950'",
    ]
    assert count(store) == 0


def test_good_rows_import_only_when_asked(store: ArchiveStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "bad.csv", [*HARD_ROWS, ("", "", "男", "", "", "1947", "", "", "", "", "")])
    with pytest.raises(ImportRejected):
        import_register(store, path)
    assert count(store) == 0
    report = import_register(store, path, keep_good_rows=True)
    assert (report.added, report.skipped_rows, report.written) == (5, 1, True)
    assert count(store) == 5


def test_duplicates_across_batches_are_found(store: ArchiveStore, tmp_path: Path) -> None:
    rows = [("", f"烈士{i}", "", "", "", "", "", "", f"南山烈士陵园A区1排{i}号", "", "") for i in range(BATCH_ROWS + 5)]
    rows.append(("", "重复", "", "", "", "", "", "", "南山烈士陵园A区1排3号", "", ""))
    with pytest.raises(ImportRejected, match=r":1007: 安葬地/墓位: duplicate tomb position .* \(also row 5\)"):
        import_register(store, write_csv(tmp_path / "big.csv", rows))
    assert count(store) == 0


def test_tomb_held_by_another_record_is_a_conflict(store: ArchiveStore, tmp_path: Path) -> None:
    import_register(store, write_csv(tmp_path / "a.csv", HARD_ROWS))
    moved = [("X-1", "周八", "", "", "", "", "", "", "南山烈士陵园A区3排12号", "", "")]
    with pytest.raises(ImportRejected, match="already holds record 'tomb:南山烈士陵园/A/3/12'"):
        import_register(store, write_csv(tmp_path / "b.csv", moved))


def test_same_person_twice_without_tomb_or_id_is_refused(store: ArchiveStore, tmp_path: Path) -> None:
    twice = [("", "李明", "", "四川", "", "1938", "", "", "", "", "")] * 2
    with pytest.raises(ImportRejected, match=r":3: 姓名: same name, native place and death as row 2"):
        import_register(store, write_csv(tmp_path / "a.csv", twice))


def test_dry_run_lists_changes_and_writes_nothing(store: ArchiveStore, hard_csv: Path) -> None:
    changes: list[Change] = []
    report = import_register(store, hard_csv, dry_run=True, on_change=changes.append)
    assert (report.added, report.written) == (5, False)
    assert [c.kind for c in changes] == ["added"] * 5
    assert count(store) == 0 and revision(store) == 0


def test_header_problems_come_first_and_together(store: ArchiveStore, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "h.csv", [("x", "y", "z")], header=("名称", "性别", "性别"))
    with pytest.raises(ImportRejected) as caught:
        import_register(store, path)
    assert [p.field for p in caught.value.problems] == ["名称", "性别", "姓名"]


def test_column_mapping_for_other_layouts(store: ArchiveStore, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv", [("王志国", "1947", "A", "1", "5", "备用")], header=("名称", "卒", "区", "排", "号", "其他")
    )
    mapping = parse_mapping(["名称=name", "卒=died", "其他=-"])
    import_register(store, path, mapping=mapping, default_cemetery="南山烈士陵园")
    assert list(records(store)) == ["tomb:南山烈士陵园/A/1/5"]
    with pytest.raises(ValueError, match="HEADER=FIELD"):
        parse_mapping(["名称=nickname"])


def test_unreadable_files_are_one_line_errors(store: ArchiveStore, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        import_register(store, tmp_path / "missing.csv")
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="cannot read as XLSX"):
        import_register(store, tmp_path / "broken.xlsx")


def test_withheld_fields_are_checked_and_private_fields_stay_out_of_repr(store: ArchiveStore, tmp_path: Path) -> None:
    header = ("姓名", "牺牲时间", "隐藏字段", "家属联系方式")
    bad = write_csv(tmp_path / "bad.csv", [("王志国", "1947", "籍贯,电话", "")], header=header)
    with pytest.raises(ImportRejected, match=r":2: 隐藏字段: not a public field: '电话'"):
        import_register(store, bad)
    good = write_csv(tmp_path / "good.csv", [("王志国", "1947", "籍贯、生平事迹", "13800001234")], header=header)
    import_register(store, good)
    (martyr,) = records(store).values()
    assert martyr.hidden_fields == "native_place,biography"
    assert "13800001234" not in repr(martyr)


def test_a_wrong_encoding_deep_in_the_file_names_the_row(store: ArchiveStore, tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    head = "姓名,牺牲时间\n" + "".join(f"烈士{i},1947\n" for i in range(5000))  # past the bytes that are sniffed
    path.write_bytes(head.encode("utf-8") + "王志国,1947\n".encode("gb18030"))
    with pytest.raises(ConfigError, match=r"mixed\.csv:5002: not utf-8 text"):
        import_register(store, path)
    assert count(store) == 0


def test_an_unknown_encoding_is_named(store: ArchiveStore, hard_csv: Path) -> None:
    with pytest.raises(ConfigError, match="unknown encoding 'gbk2'"):
        import_register(store, hard_csv, encoding="gbk2")


def test_columns_a_file_lacks_keep_their_stored_values(store: ArchiveStore, hard_csv: Path, tmp_path: Path) -> None:
    import_register(store, hard_csv)
    short = write_csv(
        tmp_path / "short.csv", [("王志国", "1947年3月", "南山烈士陵园A区3排12号")], header=("姓名", "牺牲时间", "墓位")
    )
    changes: list[Change] = []
    report = import_register(store, short, on_change=changes.append)
    assert (report.added, report.changed) == (0, 1)
    assert changes[0].fields == ("died_text", "died_from", "died_to")
    martyr = records(store)["tomb:南山烈士陵园/A/3/12"]
    assert (martyr.died_text, martyr.native_place, martyr.post) == ("1947年3月", "山东济南", "连长")
    assert martyr.family_contact == "13800001234" and martyr.biography.startswith("作战英勇")


def test_an_xlsx_with_a_bad_header_is_refused_and_closed(store: ArchiveStore, tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(["名称", "牺牲时间"])
    book.active.append(["王志国", "1947"])
    book.save(tmp_path / "h.xlsx")
    with pytest.raises(ImportRejected, match=r"h\.xlsx:1: 名称: unknown column"):
        import_register(store, tmp_path / "h.xlsx")
    gc.collect()  # an unclosed workbook would warn here, and warnings are errors
