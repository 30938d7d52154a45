"""``streamkit register`` as a user runs it: one-line errors, exit codes, and no private field in what it prints."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_cli
from tests.register.conftest import HARD_ROWS, HEADER, PRIVATE_PHONE, write_csv


def test_import_search_export_and_privacy(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    rows = [(*r, "烈属住址保密") for r in HARD_ROWS]
    path = write_csv(tmp_path / "英名录.csv", rows, header=(*HEADER, "内部备注"), encoding="gb18030")
    dry = run_cli(["register", "import", str(path), "--dry-run", "--db", db])
    assert dry.returncode == 0, dry.stderr
    assert "+ row 2: 王志国 [tomb:南山烈士陵园/A/3/12]" in dry.stdout
    assert dry.stdout.strip().endswith("dry run: added 5, changed 0, unchanged 0 (nothing written)")
    assert "0 found" in run_cli(["register", "search", "wzg", "--db", db]).stdout  # the dry run wrote nothing

    done = run_cli(["register", "import", str(path), "--db", db])
    assert done.returncode == 0 and "added 5, changed 0, unchanged 0" in done.stdout
    again = run_cli(["register", "import", str(path), "--db", db])
    assert "added 0, changed 0, unchanged 5 (nothing written)" in again.stdout

    found = run_cli(["register", "search", "wzg", "--db", db])
    assert found.returncode == 0 and found.stdout.count("王志国") == 2 and "2 found" in found.stdout
    traditional = run_cli(["register", "search", "王誌國", "--place", "濟南", "--db", db])
    assert "山东济南" in traditional.stdout and "山东泰安" not in traditional.stdout

    public = run_cli(["register", "export", str(tmp_path / "public.csv"), "--public", "--db", db])
    assert public.returncode == 0 and "5 records written" in public.stdout
    for text in (found.stdout, found.stderr, public.stdout, (tmp_path / "public.csv").read_text(encoding="utf-8-sig")):
        assert PRIVATE_PHONE not in text and "烈属住址保密" not in text
    full = run_cli(["register", "export", str(tmp_path / "full.xlsx"), "--db", db])
    assert full.returncode == 0 and (tmp_path / "full.xlsx").stat().st_size > 0


def test_bad_rows_print_one_line_each_and_exit_1(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    bad = [
        *HARD_ROWS,
        ("", "", "男", "", "", "1947", "", "", "", "", ""),
        ("", "张三", "", "", "", "1947年13月", *[""] * 5),
    ]
    path = write_csv(tmp_path / "bad.csv", bad)
    result = run_cli(["register", "import", str(path), "--db", db])
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"error: {path}:7: 姓名: missing name",
        f"error: {path}:8: 牺牲时间: bad date '1947年13月'",
    ]
    assert "Traceback" not in result.stderr and "0 found" in run_cli(["register", "search", "李明", "--db", db]).stdout

    kept = run_cli(["register", "import", str(path), "--keep-good-rows", "--db", db])
    assert kept.returncode == 1 and "added 5, changed 0, unchanged 0, 2 bad rows skipped" in kept.stdout
    assert f"skipped {path}:7: 姓名: missing name" in kept.stderr
    assert "1 found" in run_cli(["register", "search", "李明", "--db", db]).stdout


def test_usage_and_file_errors(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    missing = run_cli(["register", "import", str(tmp_path / "none.csv"), "--db", db])
    assert (missing.returncode, missing.stderr.strip()) == (1, f"error: {tmp_path / 'none.csv'}: file not found")
    path = write_csv(tmp_path / "r.csv", HARD_ROWS)
    bad_map = run_cli(["register", "import", str(path), "--map", "姓名", "--db", db])
    assert bad_map.returncode == 2 and "HEADER=FIELD" in bad_map.stderr
    bad_export = run_cli(["register", "export", str(tmp_path / "out.pdf"), "--db", db])
    assert bad_export.returncode == 1 and len(bad_export.stderr.strip().splitlines()) == 1
