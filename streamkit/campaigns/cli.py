"""``streamkit campaign``: check a campaign spec, show where its quotas stand, write the report for the bureau."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from streamkit.cli_common import DbOption, default_note, err_console, open_archive, out_console, settings_of

app = typer.Typer(help="Campaigns: districts, quotas and deadlines, the report to the bureau.", no_args_is_help=True)

CampaignArg = Annotated[str, typer.Argument(help="A campaign's slug (a file in the campaigns folder) or a YAML path.")]
DistrictOption = Annotated[
    str | None, typer.Option("--district", help="One district only. " + default_note("every district"))
]
TodayOption = Annotated[
    str | None,
    typer.Option("--today", help="Count as of this day (YYYY-MM-DD). " + default_note("today in the campaign's zone")),
]


TEMPLATE_NOTE = "templates/report.txt.j2 in the campaigns folder"


def _say(text: str, *, error: bool = False) -> None:
    (err_console if error else out_console).print(text, markup=False, highlight=False)


def _day(value: str | None, zone_name: str) -> date:
    from zoneinfo import ZoneInfo

    if value is None:
        return datetime.now(ZoneInfo(zone_name)).date()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a day like 2020-04-11", param_hint="--today") from None


@app.command("check")
def check(ctx: typer.Context, campaign: CampaignArg) -> None:
    """Read a campaign spec and list its districts and quotas; every problem is reported with its line."""
    from streamkit.campaigns.spec import find_campaign

    found = find_campaign(campaign, settings_of(ctx).campaigns_dir)
    _say(f"{found.slug}: {found.theme}, {found.window.start} – {found.window.end}")
    for district in found.districts:
        _say(f"  {district.name}: {', '.join(district.cemeteries)}")
    for quota in found.quotas:
        _say(f"  {quota.id}: {quota.label} >= {quota.target} by {quota.deadline} ({', '.join(quota.kinds)})")


@app.command("status")
def status(
    ctx: typer.Context, campaign: CampaignArg, district: DistrictOption = None, today: TodayOption = None,
    db: DbOption = None,
) -> None:  # fmt: skip
    """Each district's count, target and status per quota, then the roll-up."""
    from streamkit.campaigns.counting import campaign_figures
    from streamkit.campaigns.spec import find_campaign

    settings = settings_of(ctx)
    found = find_campaign(campaign, settings.campaigns_dir)
    figures = campaign_figures(open_archive(settings, db), found, _day(today, found.timezone), district)
    for name in figures.districts:
        _say(name)
        for f in figures.by_district[name]:
            _say(f"  {f.quota.label}: {f.count}/{f.target} by {f.quota.deadline} {f.status.value}")
    _say("roll-up")
    for roll in figures.roll_up:
        _say(f"  {roll.quota.label}: {roll.count}/{roll.target}, {roll.met} of {roll.districts} met, {roll.status}")


@app.command("report")
def report(
    ctx: typer.Context,
    campaign: CampaignArg,
    district: DistrictOption = None,
    out: Annotated[Path, typer.Option("--out", help="Folder for the .docx and .xlsx.")] = Path("out/reports"),
    today: TodayOption = None,
    template: Annotated[
        Path | None,
        typer.Option(help="Report text template. " + default_note("config/campaigns/templates/report.txt.j2")),
    ] = None,
    db: DbOption = None,
) -> None:
    """Write the 情况报告 (.docx, official document layout) and the statistics sheet (.xlsx) for the bureau."""
    from streamkit.campaigns.counting import pick_districts
    from streamkit.campaigns.fonts import choose_fonts, installed_chinese_families
    from streamkit.campaigns.narrative import DEFAULT_TEMPLATE
    from streamkit.campaigns.report import write_report
    from streamkit.campaigns.spec import find_campaign

    settings = settings_of(ctx)
    found = find_campaign(campaign, settings.campaigns_dir)
    pick_districts(found, district)  # a wrong name is the one line printed, before any warning
    fonts = choose_fonts(installed_chinese_families())
    warning = fonts.warning()
    if warning:
        _say(f"warning: {warning}", error=True)
    files = write_report(
        open_archive(settings, db),
        found,
        today=_day(today, found.timezone),
        out_dir=out,
        template=template or settings.campaigns_dir / "templates" / DEFAULT_TEMPLATE.name,
        fonts=fonts,
        district=district,
    )
    _say(f"wrote {files.docx}")
    _say(f"wrote {files.xlsx}")
