"""``streamkit register photos|coverage|package`` as a user runs them: listings, one-line errors, no partial files."""

from __future__ import annotations

import zipfile
from pathlib import Path

from tests.conftest import run_cli
from tests.register.conftest import PRIVATE_PHONE
from tests.register.test_photos import make_survey


def test_survey_coverage_and_package_from_the_command_line(hard_csv: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    assert run_cli(["register", "import", str(hard_csv), "--db", db]).returncode == 0
    folder = tmp_path / "photos"
    mapping = make_survey(folder)
    args = ["register", "photos", str(folder), "--mapping", str(mapping), "--min-side", "400", "--db", db]
    surveyed = run_cli([*args, "--jobs", "2"])
    assert surveyed.returncode == 0, surveyed.stderr
    lines = surveyed.stdout.splitlines()
    assert "王志国.jpg: ambiguous: #1 王志国 南山烈士陵园 A区3排12号, #2 王志国 南山烈士陵园 A区3排13号" in lines
    assert "unknown.jpg: unmatched" in lines and "B-01-01.jpg: blurred" in lines
    assert lines[-1] == "7 photos: matched 5, ambiguous 1, unmatched 1; 4 matched without problems; near-duplicates 1"
    assert run_cli(args).stdout == surveyed.stdout  # a re-run finds the same

    report = run_cli(["register", "coverage", "--xlsx", str(tmp_path / "coverage.xlsx"), "--db", db])
    assert report.returncode == 0, report.stderr
    assert "南山烈士陵园 B区: 2 tombs, good 1, poor 1, none 0" in report.stdout
    assert (tmp_path / "coverage.xlsx").stat().st_size > 0

    package = run_cli(["register", "package", str(tmp_path / "bureau.zip"), "--district", "历下区", "--db", db])
    assert package.returncode == 0 and "5 photos written to" in package.stdout, package.stderr
    with zipfile.ZipFile(tmp_path / "bureau.zip") as archive:
        assert len(archive.namelist()) == 6
    for result in (surveyed, report, package):
        assert PRIVATE_PHONE not in result.stdout + result.stderr


def test_errors_are_one_line_and_leave_nothing_behind(hard_csv: Path, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'r.db'}"
    missing = run_cli(["register", "photos", str(tmp_path / "nowhere"), "--db", db])
    assert (missing.returncode, missing.stderr) == (1, f"error: {tmp_path / 'nowhere'}: not a folder of photos\n")

    folder = tmp_path / "photos"
    mapping = make_survey(folder)
    mapping.write_text("nope.jpg,李明\nIMG_0001.jpg\n", encoding="utf-8")
    bad = run_cli(["register", "photos", str(folder), "--mapping", str(mapping), "--db", db])
    assert bad.returncode == 1 and bad.stderr.splitlines() == [
        f"error: {mapping}:1: no photo 'nope.jpg' in the folder",
        f"error: {mapping}:2: expected two cells: photo file, record",
    ]
    threshold = run_cli(["register", "photos", str(folder), "--max-clipped", "2", "--db", db])
    assert threshold.returncode == 2 and "less than or equal to 1" in threshold.stderr
    assert "Traceback" not in threshold.stderr + bad.stderr

    (folder / "A-03-12.jpg").rename(folder / "A-03-12.txt")
    assert run_cli(["register", "import", str(hard_csv), "--db", db]).returncode == 0
    assert run_cli(["register", "photos", str(folder), "--min-side", "400", "--db", db]).returncode == 0
    (folder / "B-01-01.jpg").unlink()
    out = tmp_path / "out"
    gone = run_cli(["register", "package", str(out / "bureau.zip"), "--district", "历下区", "--db", db])
    assert (gone.returncode, gone.stderr) == (1, f"error: {folder.resolve() / 'B-01-01.jpg'}: photo file is missing\n")
    wrong = run_cli(["register", "package", str(out / "bureau.tar"), "--district", "历下区", "--db", db])
    assert wrong.returncode == 2 and "the package is a .zip" in wrong.stderr
    assert not out.exists() or list(out.iterdir()) == []
