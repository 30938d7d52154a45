"""The report package: the .docx opened with python-docx (page, margins, fonts on every run, numbering, figures),
the .xlsx with openpyxl (figures, roll-up, the rows sheet), byte stability, atomic writing, the CLI."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from docx.shared import Length, Pt

from streamkit.campaigns import report as report_module
from streamkit.campaigns.fonts import SANS, SERIF, ReportFonts, choose_fonts, installed_chinese_families
from streamkit.campaigns.narrative import blocks, chinese_number
from streamkit.campaigns.report import write_report
from streamkit.campaigns.spec import Campaign
from streamkit.campaigns.stable_zip import ZIP_EPOCH
from tests.campaigns.conftest import FAMILY_CONTACT, QINGMING, TEMPLATE, TODAY, VISITOR, Seeded
from tests.conftest import run_cli

NOTO = choose_fonts(set())
OFFICIAL = choose_fonts({"仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体"})


def make(seeded: Seeded, campaign: Campaign, out: Path, fonts: ReportFonts = NOTO, **kw: object) -> tuple[Path, Path]:
    files = write_report(seeded.store, campaign, today=TODAY, out_dir=out, template=TEMPLATE, fonts=fonts, **kw)  # type: ignore[arg-type]
    return files.docx, files.xlsx


def test_fonts_fall_back_to_noto_and_say_which_are_missing() -> None:
    assert (NOTO.body, NOTO.title, NOTO.heading1, NOTO.heading2) == (SERIF, SERIF, SANS, SERIF)
    assert NOTO.missing == ("仿宋_GB2312", "方正小标宋简体", "黑体", "楷体_GB2312", "宋体")
    assert "仿宋_GB2312, 方正小标宋简体, 黑体, 楷体_GB2312, 宋体" in (NOTO.warning() or "")
    assert OFFICIAL.missing == () and OFFICIAL.warning() is None and OFFICIAL.heading2 == "楷体_GB2312"
    partly = choose_fonts({"SimHei", "FangSong_GB2312"})  # names fontconfig may list instead
    assert (partly.heading1, partly.body, partly.missing) == (
        "SimHei",
        "FangSong_GB2312",
        ("方正小标宋简体", "楷体_GB2312", "宋体"),
    )


def test_headings_are_numbered_by_level() -> None:
    assert [chinese_number(n) for n in (1, 9, 10, 11, 20, 21, 99)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十一",
        "九十九",
    ]
    laid = blocks("= 标题\n# 甲\n## 子\n### 项\n### 项\n## 丑\n### 项\n# 乙\n## 子\n正文\n> 落款\n")
    assert [b.text for b in laid] == [
        "标题", "一、甲", "（一）子", "1.项", "2.项", "（二）丑", "1.项", "二、乙", "（一）子", "正文", "落款"
    ]  # fmt: skip


def test_the_docx_is_laid_out_as_an_official_document(seeded: Seeded, campaign: Campaign, tmp_path: Path) -> None:
    path, _ = make(seeded, campaign, tmp_path, OFFICIAL)
    document = docx.Document(str(path))
    section = document.sections[0]
    page = [section.page_width, section.page_height, section.top_margin, section.bottom_margin]
    page += [section.left_margin, section.right_margin]
    assert [round(length.mm, 1) for length in page] == [210, 297, 37, 35, 28, 26]  # stored in twips (1/1440 in)
    expected = {"公文标题": ("方正小标宋简体", Pt(22)), "公文一级标题": ("黑体", Pt(16)),
                "公文二级标题": ("楷体_GB2312", Pt(16)), "公文三级标题": ("仿宋_GB2312", Pt(16)),
                "公文正文": ("仿宋_GB2312", Pt(16)), "公文落款": ("仿宋_GB2312", Pt(16))}  # fmt: skip
    for paragraph in document.paragraphs:
        family, size = expected[paragraph.style.name]
        style_fonts = paragraph.style.element.rPr.rFonts
        assert style_fonts.get(qn("w:eastAsia")) == family and style_fonts.get(qn("w:eastAsiaTheme")) is None
        assert paragraph.runs, paragraph.text
        for run in paragraph.runs:
            fonts = run._element.rPr.rFonts
            assert [fonts.get(qn(s)) for s in ("w:eastAsia", "w:ascii", "w:hAnsi")] == [family] * 3, run.text
            assert fonts.get(qn("w:eastAsiaTheme")) is None and run.font.size == size
    assert paragraph_style(document, "公文正文").paragraph_format.line_spacing == Pt(28.95)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")  # 22 lines of 28.95 pt
    type_area = Length(section.page_height - section.top_margin - section.bottom_margin)
    assert 23 * 28.95 > type_area.pt >= 22 * 28.95
    texts = {
        p.style.name: [q.text for q in document.paragraphs if q.style.name == p.style.name] for p in document.paragraphs
    }
    assert texts["公文标题"] == ["市退役军人事务局关于“致敬·2020清明祭英烈”活动开展情况的报告"]
    assert texts["公文一级标题"] == ["一、基本情况", "二、主要做法", "三、数据统计", "四、存在问题", "五、下一步打算"]
    assert texts["公文二级标题"][:3] == ["（一）开展网上祭扫", "（二）丰富纪念馆内容", "（一）向网上纪念馆提供内容"]
    body = "\n".join(p.text for p in document.paragraphs)
    assert "1.南山区完成3项，目标10项，滞后。" in body  # hall items: e1, e2, e5
    assert "截至2020年3月20日完成3项，目标30项，截止2020年4月10日，滞后。" in body
    assert "献花4次" in body and "南山区“媒体宣传报道”完成1项，目标10项，低于进度要求" in body
    assert texts["公文落款"] == ["市退役军人事务局", "2020年3月20日"]
    # page numbers "— 1 —" in 四号 宋体: odd pages flush right, even pages flush left
    assert document.settings.odd_and_even_pages_header_footer
    for footer, alignment in ((section.footer, "RIGHT"), (section.even_page_footer, "LEFT")):
        (number,) = footer.paragraphs
        assert number.alignment.name == alignment and number.text == "— 1 —"
        assert " PAGE " in [t.text for t in number._element.iter(qn("w:instrText"))]
        for run in number.runs:
            assert run._element.rPr.rFonts.get(qn("w:eastAsia")) == "宋体" and run.font.size == Pt(14)
    # the defaults under every style name the body font too, with no theme font left to fall back to
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).rFonts
    assert defaults.get(qn("w:eastAsia")) == "仿宋_GB2312" and defaults.get(qn("w:eastAsiaTheme")) is None


def paragraph_style(document: object, name: str) -> object:
    return document.styles[name]  # type: ignore[attr-defined]


def test_noto_fonts_stand_in_when_the_official_ones_are_missing(
    seeded: Seeded, campaign: Campaign, tmp_path: Path
) -> None:
    path, _ = make(seeded, campaign, tmp_path, NOTO, district="南山区")
    document = docx.Document(str(path))
    families = {p.style.name: p.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) for p in document.paragraphs}
    assert families["公文一级标题"] == SANS and families["公文正文"] == SERIF and families["公文标题"] == SERIF
    body = "\n".join(p.text for p in document.paragraphs)
    assert document.paragraphs[0].text.startswith("南山区关于") and "北山区" not in body


def test_the_xlsx_has_a_row_per_district_the_roll_up_and_every_counted_row(
    seeded: Seeded, campaign: Campaign, tmp_path: Path
) -> None:
    _, path = make(seeded, campaign, tmp_path)
    book = openpyxl.load_workbook(path)
    summary = book["统计"]
    header = [c.value for c in summary[1]]
    assert header[:4] == ["区", "向网上纪念馆提供内容·完成", "向网上纪念馆提供内容·目标", "向网上纪念馆提供内容·状态"]
    assert header[-2:] == ["献花·合计", "网上寄语（已审核）·合计"]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in summary.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == ["南山区", "北山区", "永川区", "合计"]
    assert rows["南山区"]["向网上纪念馆提供内容·完成"] == 3 and rows["南山区"]["向网上纪念馆提供内容·状态"] == "滞后"
    assert rows["南山区"]["烈士墓逐一拍照·目标"] == 2 and rows["南山区"]["报送寻亲烈士·状态"] == "已完成"
    assert rows["合计"]["向网上纪念馆提供内容·目标"] == 30 and rows["合计"]["献花·合计"] == 4
    assert rows["北山区"]["网上寄语（已审核）·合计"] == 1
    listed = list(book["计数明细"].iter_rows(values_only=True))
    assert listed[0] == ("类别", "类别代码", "表", "编号", "区", "日期", "计入指标", "说明")
    by_id = {(r[2], r[3]): r for r in listed[1:]}
    e2 = by_id[("archive_entries", seeded.ids["e2"])]
    assert e2[1] == "tour" and e2[4] == "南山区" and e2[6] == "hall-items, video-tours"
    assert e2[5].date() == date(2020, 3, 1)
    assert ("tomb_photos", seeded.ids["p1"]) in by_id and ("tomb_photos", seeded.ids["p2"]) not in by_id
    assert ("tributes", seeded.ids["t4"]) in by_id and ("messages", seeded.ids["g4"]) not in by_id
    # the figures of the summary are exactly the rows listed
    hall = [r for r in listed[1:] if "hall-items" in r[6].split(", ")]
    assert len(hall) == rows["合计"]["向网上纪念馆提供内容·完成"]


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_the_same_inputs_give_the_same_bytes(seeded: Seeded, campaign: Campaign, tmp_path: Path) -> None:
    first = make(seeded, campaign, tmp_path / "a")
    second = make(seeded, campaign, tmp_path / "b")
    assert [sha(p) for p in first] == [sha(p) for p in second]
    for path in first:
        with zipfile.ZipFile(path) as package:
            assert {i.date_time for i in package.infolist()} == {ZIP_EPOCH}
            core = package.read("docProps/core.xml").decode()
        assert "2020-03-20T00:00:00Z</dcterms:created>" in core and "2020-03-20T00:00:00Z</dcterms:modified>" in core
    other_day = write_report(
        seeded.store, campaign, today=date(2020, 3, 21), out_dir=tmp_path / "a", template=TEMPLATE, fonts=NOTO
    )
    assert sha(other_day.xlsx) != sha(first[1])  # a different day is a different report


def test_a_failure_leaves_no_file_under_the_final_name(
    seeded: Seeded, campaign: Campaign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("disk gone")

    monkeypatch.setattr(report_module, "build_xlsx", broken)
    with pytest.raises(OSError, match="disk gone"):
        make(seeded, campaign, tmp_path / "out")
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []
    monkeypatch.undo()
    out = tmp_path / "blocked"
    (out / "qingming-2020-2020-03-20-统计表.xlsx").mkdir(parents=True)  # the rename onto it fails
    with pytest.raises(OSError):
        make(seeded, campaign, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "qingming-2020-2020-03-20-情况报告.docx",
        "qingming-2020-2020-03-20-统计表.xlsx",
    ]
    assert (out / "qingming-2020-2020-03-20-统计表.xlsx").is_dir()  # still the directory: nothing half-written


def test_no_family_or_visitor_data_in_the_package(seeded: Seeded, campaign: Campaign, tmp_path: Path) -> None:
    for path in make(seeded, campaign, tmp_path):
        with zipfile.ZipFile(path) as package:
            text = "".join(package.read(n).decode("utf-8", "replace") for n in package.namelist())
        assert "13800138000" not in text and FAMILY_CONTACT not in text and VISITOR not in text
        assert "13900139000" not in text


def test_cli_writes_the_package_and_refuses_a_bad_name_in_one_line(seeded: Seeded, tmp_path: Path) -> None:
    db = seeded.store.database_url
    bad = run_cli(["campaign", "report", "qingming-1999", "--db", db, "--out", str(tmp_path)])
    assert bad.returncode == 1 and bad.stdout == ""
    assert bad.stderr.splitlines() == ["error: config/campaigns: no campaign 'qingming-1999' (known: qingming-2020)"]
    bad_district = run_cli(["campaign", "report", "qingming-2020", "--district", "东山区", "--db", db])
    assert bad_district.returncode == 1 and len(bad_district.stderr.splitlines()) == 1
    assert "no district '东山区'" in bad_district.stderr
    done = run_cli(
        ["campaign", "report", "qingming-2020", "--district", "南山区", "--today", "2020-03-20", "--db", db,
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == ["qingming-2020-南山区-2020-03-20-情况报告.docx", "qingming-2020-南山区-2020-03-20-统计表.xlsx"]
    missing = choose_fonts(installed_chinese_families()).missing
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == (1 if missing else 0)
    assert all(name in warnings[0] for name in missing) if missing else True
    status = run_cli(["campaign", "status", "qingming-2020", "--today", "2020-03-20", "--db", db])
    assert "  向网上纪念馆提供内容: 3/10 by 2020-04-10 late" in status.stdout


def test_a_mistake_in_the_template_is_named_with_its_line(seeded: Seeded, campaign: Campaign, tmp_path: Path) -> None:
    from streamkit.errors import ConfigError

    broken = tmp_path / "report.txt.j2"
    broken.write_text("= 标题\n# 基本情况\n{% for q in quotas %}\n{{ q.label }\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        write_report(seeded.store, campaign, today=TODAY, out_dir=tmp_path / "out", template=broken, fonts=NOTO)
    assert caught.value.lines()[0].startswith(f"{broken}:4: template error: ")
    unknown = tmp_path / "unknown.txt.j2"
    unknown.write_text("= {{ campaign.nothing }}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"template error: .*'nothing'"):
        write_report(seeded.store, campaign, today=TODAY, out_dir=tmp_path / "out", template=unknown, fonts=NOTO)
    assert not (tmp_path / "out").exists()


def test_cli_check_lists_every_problem_of_a_spec_on_its_own_line(tmp_path: Path) -> None:
    text = QINGMING.read_text(encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("kinds: [media_report]", "kinds: [press]").replace("target: 5", "target: -1"), "utf-8")
    done = run_cli(["campaign", "check", str(bad)])
    lines = done.stderr.splitlines()
    assert done.returncode == 1 and len(lines) == 2 and all(line.startswith(f"error: {bad}:") for line in lines)
    assert "quotas[1].target: must be >= 1" in lines[0] and "quotas[2].kinds: unknown item kind 'press'" in lines[1]
    good = run_cli(["campaign", "check", "qingming-2020"])
    assert good.returncode == 0 and "  南山区: 南山烈士陵园, 南山陵园" in good.stdout


def test_more_rows_than_a_sheet_holds_is_one_clear_error(
    seeded: Seeded, campaign: Campaign, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from streamkit.campaigns import workbook
    from streamkit.errors import StreamkitError

    monkeypatch.setattr(workbook, "MAX_ROWS", 10)
    with pytest.raises(StreamkitError, match=r"counted rows do not fit in one sheet \(9 at most\); write the report"):
        make(seeded, campaign, tmp_path / "out")
    assert not (tmp_path / "out").exists()
