"""``streamkit campaign report``: the package the bureau expects, a 情况报告 (.docx) and a statistics sheet (.xlsx).

Both are built in memory first and then written atomically (a partial name beside the target, then ``os.replace``),
so a failure leaves no file under a final name. Their dates are the report's day, not the clock: the same records,
spec, template, fonts and day give byte-identical files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from streamkit.archive.store import ArchiveStore
from streamkit.campaigns.counting import Figures, campaign_figures
from streamkit.campaigns.document import build_docx
from streamkit.campaigns.fonts import ReportFonts
from streamkit.campaigns.kinds import KINDS
from streamkit.campaigns.narrative import blocks, chinese_date, render_text
from streamkit.campaigns.spec import Campaign
from streamkit.campaigns.status import Status
from streamkit.campaigns.workbook import build_xlsx
from streamkit.media.publish import atomic_output

GENERATOR = "streamkit"


@dataclass(frozen=True)
class ReportFiles:
    docx: Path
    xlsx: Path
    figures: Figures


def report_context(figures: Figures, district: str | None) -> dict[str, Any]:
    """What the template sees: plain values and lists, every figure already counted."""
    campaign = figures.campaign
    quotas = []
    problems = []
    for roll in figures.roll_up:
        rows = []
        for name in figures.districts:
            f = figures.figure(name, roll.quota.id)
            rows.append({"name": name, "count": f.count, "target": f.target, "status": f.status.label})
            if f.status is Status.LATE:
                overdue = "已过截止日期" if figures.today > roll.quota.deadline else "低于进度要求"
                problems.append(
                    f"{name}“{roll.quota.label}”完成{f.count}项，目标{f.target}项，{overdue}"
                    f"（截止{chinese_date(roll.quota.deadline)}）"
                )
        quotas.append(
            {
                "label": roll.quota.label,
                "deadline": roll.quota.deadline,
                "count": roll.count,
                "target": roll.target,
                "status": roll.status.label,
                "met": roll.met,
                "districts": rows,
            }
        )
    return {
        "campaign": campaign,
        "unit": district or campaign.issuer,
        "district": district,
        "district_count": len(figures.districts),
        "today": figures.today,
        "quotas": quotas,
        "problems": problems,
        "totals": [{"label": KINDS[k].label, "count": figures.chart_total(k)} for k in campaign.chart],
    }


def report_names(campaign: Campaign, district: str | None, today: date) -> tuple[str, str]:
    suffix = f"{district}-" if district else ""
    stem = f"{campaign.slug}-{suffix}{today.isoformat()}"
    return f"{stem}-情况报告.docx", f"{stem}-统计表.xlsx"


def write_report(
    store: ArchiveStore,
    campaign: Campaign,
    *,
    today: date,
    out_dir: Path,
    template: Path,
    fonts: ReportFonts,
    district: str | None = None,
) -> ReportFiles:
    """Count, render and write both files; nothing is written unless both were built."""
    figures = campaign_figures(store, campaign, today, district)
    stamp = datetime.combine(today, time())
    text = render_text(template, report_context(figures, district))
    laid_out = blocks(text)
    title = next((b.text for b in laid_out if b.kind == "title"), campaign.theme)
    author = district or campaign.issuer
    docx_bytes = build_docx(laid_out, fonts, title=title, author=author, stamp=stamp)
    xlsx_bytes = build_xlsx(figures, author=author, stamp=stamp)
    docx_name, xlsx_name = report_names(campaign, district, today)
    docx_path, xlsx_path = out_dir / docx_name, out_dir / xlsx_name
    for path, data in ((docx_path, docx_bytes), (xlsx_path, xlsx_bytes)):
        with atomic_output(path) as partial:
            partial.write_bytes(data)
    return ReportFiles(docx_path, xlsx_path, figures)
