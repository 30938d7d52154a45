"""The statistics sheet (``.xlsx``): one row per district with fixed columns, the roll-up row, and a second sheet
listing every row counted, so each figure can be traced to the records behind it."""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime

from streamkit.campaigns.counting import Figures
from streamkit.campaigns.kinds import KINDS
from streamkit.campaigns.stable_zip import pin
from streamkit.errors import StreamkitError

SUMMARY_SHEET = "统计"
ROWS_SHEET = "计数明细"
ROLL_UP = "合计"
MAX_ROWS = 1_048_576  # what one Excel sheet holds, header included
CHART = "chart"  # what the rows sheet names a row counted by the daily chart (and its totals) rather than a quota


def summary_header(figures: Figures) -> list[str]:
    """The fixed columns: the district, per quota its count, target and status, then the chart's totals."""
    header = ["区"]
    for quota in figures.campaign.quotas:
        header += [f"{quota.label}·完成", f"{quota.label}·目标", f"{quota.label}·状态"]
    header += [f"{KINDS[k].label}·合计" for k in figures.campaign.chart]
    return header


def build_xlsx(figures: Figures, *, author: str, stamp: datetime) -> bytes:
    """The workbook's bytes; the same figures and stamp give the same bytes."""
    from openpyxl import Workbook  # only the report pays for openpyxl

    counted_rows = figures.rows()
    if len(counted_rows) >= MAX_ROWS:
        raise StreamkitError(
            f"{len(counted_rows)} counted rows do not fit in one sheet ({MAX_ROWS - 1} at most); "
            "write the report per district (--district)"
        )
    book = Workbook()
    sheet = book.active
    sheet.title = SUMMARY_SHEET
    sheet.append(summary_header(figures))
    for district in figures.districts:
        row: list[object] = [district]
        for figure in figures.by_district[district]:
            row += [figure.count, figure.target, figure.status.label]
        row += [figures.chart_total(k, district) for k in figures.campaign.chart]
        sheet.append(row)
    total: list[object] = [ROLL_UP]
    for roll in figures.roll_up:
        total += [roll.count, roll.target, roll.status.label]
    total += [figures.chart_total(k) for k in figures.campaign.chart]
    sheet.append(total)
    sheet.freeze_panes = "B2"
    sheet.column_dimensions["A"].width = 14

    rows = book.create_sheet(ROWS_SHEET)
    rows.append(["类别", "类别代码", "表", "编号", "区", "日期", "计入指标", "说明"])
    quotas_of: dict[tuple[str, int], list[str]] = defaultdict(list)
    for district in figures.districts:
        for figure in figures.by_district[district]:
            for counted in figure.rows:
                quotas_of[(counted.table, counted.id)].append(figure.quota.id)
    for rows_of_kind in figures.chart_rows.values():
        for counted in rows_of_kind:
            quotas_of[(counted.table, counted.id)].append(CHART)
    for counted in counted_rows:
        quota_ids = ", ".join(sorted(set(quotas_of[(counted.table, counted.id)])))
        rows.append(
            [KINDS[counted.kind].label, counted.kind, counted.table, counted.id, counted.district, counted.day,
             quota_ids, counted.note]
        )  # fmt: skip
    for cell in rows["F"][1:]:
        cell.number_format = "yyyy-mm-dd"

    book.properties.creator = author
    book.properties.lastModifiedBy = author
    book.properties.created = stamp
    book.properties.title = f"{figures.campaign.theme} 统计表"
    buffer = io.BytesIO()
    book.save(buffer)
    return pin(buffer.getvalue(), stamp)
