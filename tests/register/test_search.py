"""Search: characters simplified or traditional, pinyin and initials, places, units, years, sections; FTS5 in SQLite."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from streamkit.archive.store import ArchiveStore
from streamkit.register.importer import import_register
from streamkit.register.search import RegisterQuery, build_search, search
from streamkit.register.text_forms import name_tokens, query_terms
from tests.register.conftest import HARD_ROWS, HEADER, write_csv

EXTRA = (
    ("", "单志国", "男", "江苏", "", "1948", "", "", "南山烈士陵园C区1排1号", "", ""),
    ("", "王志", "男", "河北", "", "1945", "八路军 战士", "", "南山烈士陵园C区1排2号", "", ""),
    ("", "吴振刚", "男", "河南", "", "1951", "志愿军", "", "南山烈士陵园C区1排3号", "", ""),
)


@pytest.fixture
def filled(store: ArchiveStore, tmp_path: Path) -> ArchiveStore:
    import_register(store, write_csv(tmp_path / "r.csv", [*HARD_ROWS, *EXTRA]))
    return store


def names(store: ArchiveStore, **query: object) -> list[tuple[str, str]]:
    return sorted((m.name, m.native_place) for m in search(store, RegisterQuery(**query)))  # type: ignore[arg-type]


WANG_ZHIGUO = [("王志国", "山东泰安"), ("王志国", "山东济南")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wzg", [*WANG_ZHIGUO, ("吴振刚", "河南")]),
        ("wangzhiguo", WANG_ZHIGUO),
        ("WangZhiGuo", WANG_ZHIGUO),
        ("wang zhi guo", WANG_ZHIGUO),
        ("王志国", WANG_ZHIGUO),
        ("王誌國", WANG_ZHIGUO),  # traditional query, simplified record
        ("志国", [*WANG_ZHIGUO, ("单志国", "江苏")]),
        ("王志", [("王志", "河北"), *WANG_ZHIGUO]),
        ("陈国梁", [("陳國樑", "臺灣")]),  # simplified query, traditional record
        ("chenguoliang", [("陳國樑", "臺灣")]),
        ("𠮷䶮", [("𠮷䶮", "广东")]),
        ("䶮", [("𠮷䶮", "广东")]),
        ("shanzhiguo", [("单志国", "江苏")]),  # 单 read as a surname
        ("danzhiguo", [("单志国", "江苏")]),
        ("szg", [("单志国", "江苏")]),
        ("李", [("李明", "四川")]),
        ("张三", []),
        ("!!!", []),
    ],
)
def test_name_search_table(filled: ArchiveStore, text: str, expected: list[tuple[str, str]]) -> None:
    assert names(filled, text=text) == sorted(expected)


def test_filters_place_unit_year_section(filled: ArchiveStore) -> None:
    assert names(filled, native_place="濟南") == [("王志国", "山东济南")]
    assert names(filled, native_place="孟良崮") == WANG_ZHIGUO  # place of death counts as a place
    assert names(filled, unit="连长") == [("王志国", "山东济南")]
    assert names(filled, unit="志願軍") == [("吴振刚", "河南"), ("陳國樑", "臺灣")]
    assert names(filled, died_year=1947) == WANG_ZHIGUO  # "1947年?" and "1947.3.5"
    assert names(filled, died_year=1949) == [("𠮷䶮", "广东")]
    assert names(filled, section="c", text="wzg") == [("吴振刚", "河南")]
    assert names(filled, cemetery="北山陵园") == [("李明", "四川")]


def test_hidden_records_only_for_staff(filled: ArchiveStore, tmp_path: Path) -> None:
    hidden = [("", "周九", "男", "", "", "1950", "", "", "南山烈士陵园D区1排1号", "", "")]
    path = write_csv(
        tmp_path / "h.csv",
        hidden,
        header=(*HEADER[:-1], "隐藏"),  # the hidden flag where the family contact stands
    )
    path.write_text(path.read_text(encoding="utf-8").replace(",,\n", ",,是\n"), encoding="utf-8")
    import_register(filled, path)
    assert names(filled, text="周九") == []
    assert names(filled, text="zhoujiu", include_hidden=True) == [("周九", "")]


def test_sqlite_search_uses_fts5_and_postgresql_trigram_like(sqlite_store: ArchiveStore, tmp_path: Path) -> None:
    store = sqlite_store
    import_register(store, write_csv(tmp_path / "r.csv", HARD_ROWS))
    query = RegisterQuery(text="王誌國 wzg", native_place="山东")
    lite = str(build_search(query, "sqlite").compile(dialect=sqlite.dialect()))
    assert "JOIN martyr_search" in lite and "martyr_search MATCH" in lite and "LIKE" not in lite
    pg = str(build_search(query, "postgresql").compile(dialect=postgresql.dialect()))
    assert "martyr_search" not in pg and pg.count("ILIKE") == 3
    with store.engine.connect() as connection:
        plan = " ".join(
            str(r)
            for r in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN "
                + str(
                    build_search(query, "sqlite").compile(
                        dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}
                    )
                )
            )
        )
    assert "VIRTUAL TABLE INDEX" in plan and "SCAN martyrs" not in plan


def test_query_terms_and_name_tokens() -> None:
    assert query_terms("王誌國 wzg") == [("王 志 国", False), ("wzg", True)]
    assert query_terms("Ｗａｎｇ") == [("wang", True)]  # full-width letters
    tokens = name_tokens("王志国").split()
    assert {"王", "志", "国", "wangzhiguo", "wzg"} <= set(tokens)
    assert name_tokens("𠮷").split()[0] == "𠮷"
