"""Name rolls read from the register: public names only, in tomb order, for the overlays and the ceremony."""

from __future__ import annotations

from pathlib import Path

import pytest

from streamkit.archive.store import ArchiveStore
from streamkit.ceremony.overlay_feed import roll_entries
from streamkit.errors import ConfigError
from streamkit.overlays import load_register
from streamkit.overlays.register import load_roll
from streamkit.register.importer import import_register
from streamkit.register.roll import RollSelection, roll_names, roll_selection
from tests.register.conftest import write_csv

HEADER = ("姓名", "出生年月", "牺牲时间", "陵园", "墓区", "排", "号", "隐藏", "隐藏字段")
ROWS = (
    ("十排", "1920", "1947年?", "南山烈士陵园", "A", "10", "1", "", ""),
    ("二排", "1921年春", "1938年冬", "南山烈士陵园", "A", "2", "1", "", ""),
    ("藏起", "1922", "1948", "南山烈士陵园", "A", "3", "1", "是", ""),
    ("𠮷䶮", "1923", "1949.3.5", "南山烈士陵园", "A", "2", "2", "", "牺牲时间"),
    ("别区", "1924", "1950", "南山烈士陵园", "B", "1", "1", "", ""),
)


@pytest.fixture
def filled(store: ArchiveStore, tmp_path: Path) -> ArchiveStore:
    import_register(store, write_csv(tmp_path / "r.csv", ROWS, header=HEADER))
    return store


def test_selection_syntax() -> None:
    assert roll_selection("register:南山烈士陵园/a") == RollSelection("南山烈士陵园", "A")
    assert roll_selection("register:") == RollSelection()
    assert roll_selection(Path("register.csv")) is None


def test_roll_lists_public_names_in_tomb_order(filled: ArchiveStore) -> None:
    names = roll_names(filled, RollSelection("南山烈士陵园", "A"))
    assert [(n.name, n.row, n.number) for n in names] == [("二排", "2", "1"), ("𠮷䶮", "2", "2"), ("十排", "10", "1")]
    years = {n.name: (n.born, n.died) for n in names}
    assert years == {"二排": (1921, None), "𠮷䶮": (1923, None), "十排": (1920, 1947)}  # winter spans two years;
    # a withheld death date gives no year either
    assert [n.name for n in roll_names(filled, RollSelection())] == ["二排", "𠮷䶮", "十排", "别区"]


def test_overlay_and_ceremony_read_the_store_and_still_the_csv(filled: ArchiveStore, tmp_path: Path) -> None:
    url = filled.database_url
    entries = load_roll(Path("register:南山烈士陵园/A"), url)
    assert [e.name for e in entries] == ["二排", "𠮷䶮", "十排"] and entries[2].years == "1920–1947"
    assert [e.name for e in roll_entries(Path("register:南山烈士陵园/B"), tmp_path, url)] == ["别区"]
    (tmp_path / "roll.csv").write_text("name,born,died\n王志国,1920,1947\n", encoding="utf-8")
    assert [e.name for e in roll_entries(Path("roll.csv"), tmp_path, None)] == ["王志国"]
    assert [e.name for e in load_roll(tmp_path / "roll.csv", None)] == ["王志国"]
    with pytest.raises(ConfigError, match="no public records"):
        load_roll("register:北山陵园", url)
    with pytest.raises(ConfigError, match="needs a database"):
        load_roll("register:南山烈士陵园", None)
    with pytest.raises(ConfigError, match="load_roll"):
        load_register(Path("register:南山烈士陵园"))
