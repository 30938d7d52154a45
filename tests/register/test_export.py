"""Export: CSV and XLSX written atomically, the full export re-imports unchanged, the public one keeps secrets."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from streamkit.archive.store import ArchiveStore
from streamkit.errors import ConfigError
from streamkit.register.export import export_register
from streamkit.register.importer import import_register
from streamkit.register.models import Martyr
from streamkit.register.record import MartyrRecord
from tests.register.conftest import HARD_ROWS, HEADER, PRIVATE_PHONE, write_csv


def snapshot(store: ArchiveStore) -> list[dict[str, object]]:
    with store.session() as session:
        found = session.scalars(select(Martyr).order_by(Martyr.key))
        return [{f: getattr(m, f) for f in MartyrRecord.model_fields} for m in found]


@pytest.fixture
def filled(store: ArchiveStore, tmp_path: Path) -> ArchiveStore:
    rows = [(*r, "否", "", "") for r in HARD_ROWS] + [
        ("ID-7", "周九", "男", *[""] * 3, "1950", *[""] * 4, "是", "", "")
    ]
    rows[1] = (*HARD_ROWS[1], "否", "籍贯", "只给工作人员看")  # 王志国 (泰安): native place withheld, a private note
    path = write_csv(tmp_path / "r.csv", rows, header=(*HEADER, "隐藏", "隐藏字段", "内部备注"))
    import_register(store, path)
    return store


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_full_export_round_trips(filled: ArchiveStore, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"out{suffix}"
    assert export_register(filled, target) == 6
    again = import_register(filled, target)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 6)
    fresh = ArchiveStore(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path / "media")
    try:
        assert import_register(fresh, target).added == 6
        assert snapshot(fresh) == snapshot(filled)
    finally:
        fresh.dispose()
    assert [p.name for p in tmp_path.iterdir() if "partial" in p.name] == []


def test_public_export_leaves_out_hidden_withheld_and_private(filled: ArchiveStore, tmp_path: Path) -> None:
    export_register(filled, tmp_path / "public.csv", public=True)
    export_register(filled, tmp_path / "public.xlsx", public=True)
    text = (tmp_path / "public.csv").read_text(encoding="utf-8-sig")
    book = load_workbook(tmp_path / "public.xlsx", read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        cells = " ".join(str(c) for row in rows for c in row if c is not None)
    finally:
        book.close()  # a read-only workbook keeps its file open until closed
    for shown in (text, cells):
        assert PRIVATE_PHONE not in shown and "只给工作人员看" not in shown
        assert "周九" not in shown and "山东泰安" not in shown and "山东济南" in shown
        assert "家属联系方式" not in shown and "内部备注" not in shown
    assert text.splitlines()[0] == "姓名,性别,籍贯,出生年月,牺牲时间,部队,职务,牺牲地点,陵园,墓区,排,号,生平事迹,来源"


def test_a_failed_export_leaves_no_file(filled: ArchiveStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streamkit.register import export

    def broken(*_args: object, **_kwargs: object) -> object:
        yield ["姓名"]
        raise OSError("disk full")

    monkeypatch.setattr(export, "export_rows", broken)
    with pytest.raises(OSError, match="disk full"):
        export_register(filled, tmp_path / "out.csv")
    assert list(tmp_path.glob("*out*")) == []
    with pytest.raises(ConfigError, match=r"export writes \.csv or \.xlsx"):
        export_register(filled, tmp_path / "out.json")
