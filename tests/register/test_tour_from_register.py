"""`streamkit tour from-register`: a section's tombs in walking order, a photo shot each; rendered and published,
each martyr's page links to the moment they are on screen."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from streamkit.archive.store import ArchiveStore
from streamkit.register.importer import import_register
from streamkit.register.memorial import record_appearances
from streamkit.register.photos import survey_photos
from streamkit.tours.from_register import walking_order
from streamkit.web.app import create_app
from streamkit.web.extensions import STORE_KEY
from tests.conftest import run_cli
from tests.register.conftest import HEADER, write_csv
from tests.register.test_photos import CHECKS
from tests.register.tomb_photos import save, stone
from tests.web.conftest import SECRET, web_settings

CEMETERY = "南山烈士陵园"
# Section A: row 1 has tombs 1 and 2; row 2 has 1, 2 and 3 (3 has no photo); a withheld name; section B elsewhere.
ROWS = [
    ("", "张一", "男", "", "1920", "1947.3.5", "", "", f"{CEMETERY}A区1排1号", "", ""),
    ("", "张二", "男", "", "", "1948年?", "", "", f"{CEMETERY}A区1排2号", "", ""),
    ("", "张三", "男", "", "1921年春", "1949", "", "", f"{CEMETERY}A区2排1号", "", ""),
    ("", "张四", "女", "", "", "", "", "", f"{CEMETERY}A区2排2号", "", ""),
    ("", "张五", "男", "", "", "1950", "", "", f"{CEMETERY}A区2排3号", "", ""),
    ("", "李六", "男", "", "", "1951", "", "", f"{CEMETERY}B区1排1号", "", ""),
]


def test_walking_order_is_row_by_row_and_serpentine() -> None:
    tombs = [("2", "1", "c"), ("1", "10", "b"), ("1", "2", "a"), ("2", "3", "e"), ("3", "1", "f"), ("2", "2", "d")]
    assert walking_order(tombs) == ["a", "b", "e", "d", "c", "f"]  # row 1 up, row 2 down, row 3 up; 10 after 2


@pytest.mark.slow
def test_a_tour_from_the_register_renders_and_each_martyr_page_links_the_moment(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'site.db'}"
    store = ArchiveStore(database, tmp_path / "media")
    try:
        import_register(store, write_csv(tmp_path / "r.csv", ROWS, header=HEADER))
        photos = tmp_path / "photos"
        for seed, code in enumerate(("A-01-01", "A-01-02", "A-02-01", "A-02-02", "B-01-01")):
            save(stone(40 + seed, 640, 480), photos / f"{code}.jpg")
        survey_photos(store, photos, checks=CHECKS)
    finally:
        store.dispose()
    env = {"STREAMKIT_WEB__DATABASE_URL": database, "STREAMKIT_WEB__MEDIA_DIR": str(tmp_path / "media")}
    spec_path = tmp_path / "tours" / "a.yaml"
    done = run_cli(
        ["tour", "from-register", "--cemetery", CEMETERY, "--section", "a", "--out", str(spec_path)], env=env
    )
    assert done.returncode == 0, done.stderr
    assert "warning: A区2排3号 张五: no tomb photo; left out" in done.stderr
    assert f"{spec_path}: 4 tombs, 1 left out" in done.stdout
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    assert [s["title"] for s in spec["stops"]] == [
        "张一 A区1排1号",
        "张二 A区1排2号",
        "张四 A区2排2号",
        "张三 A区2排1号",
    ]
    assert spec["stops"][0]["lower_third"] == {"name": "张一", "start": 0.5, "duration": 4.0, "detail": "1920–1947.3.5"}
    assert spec["stops"][0]["photos"]["paths"] == ["../photos/A-01-01.jpg"]
    assert spec["title"]["lines"] == [CEMETERY, "A区"] and spec["outro"]["lines"]

    checked = run_cli(["tour", "check", str(spec_path)], env=env)
    assert checked.returncode == 0, checked.stderr
    # Editors adjust the draft; here, a small fast render.
    spec["output"] = {"size": "320x180", "fps": "25", "preset": "ultrafast"}
    spec["stops"] = [s | {"photos": s["photos"] | {"seconds": 2.0}} for s in spec["stops"]]
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "out" / "a.mp4"
    rendered = run_cli(["tour", "render", str(spec_path), "-o", str(out), "--publish"], env=env, cwd=tmp_path)
    assert rendered.returncode == 0, rendered.stderr

    manifest = json.loads(out.with_suffix(".json").read_text(encoding="utf-8"))
    marked = {c["martyr"]: c["start_ms"] for c in manifest["chapters"] if "martyr" in c}
    assert len(marked) == 4 and sorted(marked.values()) == list(marked.values())
    site = create_app(web_settings(tmp_path, database_url=database, media_dir=tmp_path / "media"), secret_key=SECRET)
    client = site.test_client()
    for martyr_id, start_ms in marked.items():
        html = client.get(f"/martyrs/{martyr_id}").get_data(as_text=True)
        seconds = start_ms // 1000
        link = re.search(r'<a href="/watch/(\d+)\?t=(\d+)">([^<]+)</a> · 出现于 (\d\d:\d\d)', html)
        assert link is not None, html
        assert int(link.group(2)) == seconds and link.group(4) == f"{seconds // 60:02d}:{seconds % 60:02d}"
        assert link.group(3) == f"{CEMETERY} A区"
        watch = client.get(f"/watch/{link.group(1)}?t={seconds}").get_data(as_text=True)
        assert f"#t={seconds}" in watch or seconds == 0
    # Publishing the same tour again replaces its moments, never doubles them.
    archive: ArchiveStore = site.extensions[STORE_KEY]
    first = next(iter(marked))
    with archive.transaction() as session:
        unknown = record_appearances(
            session, int(link.group(1)), [(first, 61_000, 63_000), (first, 61_000, 63_000), (999, 0, 1)]
        )
    assert unknown == [999]
    page = client.get(f"/martyrs/{first}").get_data(as_text=True)
    assert page.count("出现于") == 1 and "?t=61" in page and "出现于 01:01" in page
    archive.dispose()


def test_the_draft_leaves_out_hidden_records_and_withheld_names_and_dates(tmp_path: Path) -> None:
    from streamkit.tours.from_register import draft_section, tour_spec

    rows = [(*r, "否", "") for r in ROWS[:4]]
    rows[1] = (*ROWS[1], "是", "")  # 张二: the family asked to hide the record
    rows[2] = (*ROWS[2], "否", "姓名")  # 张三: the name withheld
    rows[3] = (
        "",
        "张四",
        "女",
        "",
        "1925",
        "1948",
        "",
        "",
        f"{CEMETERY}A区2排2号",
        "",
        "",
        "否",
        "牺牲时间",
    )  # date withheld
    store = ArchiveStore(f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "media")
    try:
        import_register(store, write_csv(tmp_path / "r.csv", rows, header=(*HEADER, "隐藏", "隐藏字段")))
        photos = tmp_path / "photos"
        for seed, code in enumerate(("A-01-01", "A-01-02", "A-02-01", "A-02-02")):
            save(stone(60 + seed, 640, 480), photos / f"{code}.jpg")
        survey_photos(store, photos, checks=CHECKS)
        draft = draft_section(store, CEMETERY, "A")
    finally:
        store.dispose()
    assert [s.name for s in draft.stops] == ["张一", "张四"]
    assert draft.stops[1].dates == "1925"  # the withheld death date is not on the lower-third
    assert len(draft.warnings) == 2 and all("hidden from the public" in w for w in draft.warnings)
    assert not any("张二" in w or "张三" in w for w in draft.warnings)
    spec = tour_spec(draft, CEMETERY, "A", tmp_path)
    assert "张三" not in str(spec) and "张二" not in str(spec) and "1948" not in str(spec)
