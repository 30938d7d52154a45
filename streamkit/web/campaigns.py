"""The campaign dashboard in the admin: per district each quota's count, deadline and status, the bureau's roll-up,
the daily chart (inline SVG drawn here), and the form that enters media reports and other items by hand.

Which districts a person sees is decided in one place, ``_visible_districts``; every view counts only those.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from werkzeug.wrappers import Response
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, ValidationError

from streamkit.campaigns.chart import Series, daily_chart
from streamkit.campaigns.counting import campaign_figures
from streamkit.campaigns.items import LINK_SCHEMES, NEEDS_LINK, ItemDraft, add_item, hand_items
from streamkit.campaigns.kinds import KINDS, hand_kinds
from streamkit.campaigns.spec import Campaign, campaign_files, find_campaign
from streamkit.errors import ArchiveError, ConfigError
from streamkit.web.access import require_role, visible_cemeteries
from streamkit.web.admin import actor, admin_globals
from streamkit.web.extensions import store
from streamkit.web.forms import MULTILINE, ONE_LINE

bp = Blueprint("campaigns", __name__)
bp.context_processor(admin_globals)
CAMPAIGNS_DIR_KEY = "STREAMKIT_CAMPAIGNS_DIR"


def _campaigns_dir() -> Path:
    return Path(current_app.config.get(CAMPAIGNS_DIR_KEY, "config/campaigns"))


def _visible_districts(campaign: Campaign) -> tuple[str, ...]:
    """The districts the signed-in person may see and change: all for bureau staff; for a district's staff the
    campaign's districts that own one of their cemeteries (the campaign and the accounts meet on cemetery names, so
    neither has to spell the other's district ids). Every view of this blueprint goes through this function."""
    mine = visible_cemeteries()
    return tuple(d.name for d in campaign.districts if mine is None or mine & set(d.cemeteries))


def _campaign(slug: str) -> Campaign:
    if slug not in campaign_files(_campaigns_dir()):
        abort(404)
    return find_campaign(slug, _campaigns_dir())


def _today(campaign: Campaign) -> date:
    """The day to count up to: ``?day=YYYY-MM-DD`` to look back, else today in the campaign's zone."""
    asked = request.args.get("day", "")
    try:
        return date.fromisoformat(asked) if asked else datetime.now(campaign.zone).date()
    except ValueError:
        return datetime.now(campaign.zone).date()


class ItemForm(FlaskForm):
    district = SelectField(_l("District"), validators=[InputRequired(_l("Please choose a district"))])
    kind = SelectField(_l("Kind"), validators=[InputRequired(_l("Please choose a kind"))])
    title = StringField(_l("Title"), validators=[ONE_LINE, DataRequired(_l("Please give a title")), Length(max=300)])
    url = StringField(_l("Link"), validators=[ONE_LINE, Length(max=500)])  # whether required depends on the kind
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please give a date (YYYY-MM-DD)"))])
    note = TextAreaField(_l("Note"), validators=[MULTILINE, Length(max=2000)])

    def __init__(self, campaign: Campaign, districts: tuple[str, ...], today: date, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.campaign = campaign
        self.today = today
        self.district.choices = list(districts)
        self.kind.choices = [(name, kind.label) for name, kind in hand_kinds().items()]

    def validate_url(self, field: StringField) -> None:
        link = (field.data or "").strip()
        if not link and self.kind.data in NEEDS_LINK:
            raise ValidationError(_l("A media report or a portal link needs its link"))
        if link and not link.lower().startswith(LINK_SCHEMES):
            raise ValidationError(_l("The link must start with http:// or https://"))

    def validate_day(self, field: DateField) -> None:
        window = self.campaign.window
        if field.data is not None and not window.start <= field.data <= max(q.deadline for q in self.campaign.quotas):
            raise ValidationError(
                _l("The date must fall within the campaign (%(first)s to %(last)s)", first=window.start,
                   last=max(q.deadline for q in self.campaign.quotas))
            )  # fmt: skip
        if field.data is not None and field.data > self.today:
            raise ValidationError(_l("The date cannot be in the future"))


@bp.get("/")
@require_role()
def index() -> str:
    found: list[tuple[str, Campaign | None, str]] = []
    for slug in campaign_files(_campaigns_dir()):
        try:
            found.append((slug, find_campaign(slug, _campaigns_dir()), ""))
        except ConfigError as exc:
            found.append((slug, None, str(exc)))
    return render_template("admin/campaigns.html", campaigns=found)


def _page(campaign: Campaign, form: ItemForm, status: int = 200) -> tuple[str, int]:
    visible = _visible_districts(campaign)
    asked = request.args.get("district", "")
    if asked and asked not in visible:
        abort(404)
    chosen = (asked,) if asked else visible
    figures = campaign_figures(store(), campaign, _today(campaign), chosen)
    chart = daily_chart(
        figures.days,
        [Series(KINDS[name].label, values) for name, values in figures.daily.items()],
        title=gettext("Daily figures"),
    )
    page = render_template(
        "admin/campaign.html",
        campaign=campaign,
        figures=figures,
        visible=visible,
        district=asked,
        chart=Markup(chart),  # built from numbers and escaped labels by daily_chart
        items=hand_items(store(), campaign, chosen),
        kinds=KINDS,
        form=form,
    )
    return page, status


def _broken(slug: str, problem: ConfigError) -> tuple[str, int]:
    """A spec that does not read is shown with its problems, the way the list shows it; the server stays up."""
    return render_template("admin/campaigns.html", campaigns=[(slug, None, "; ".join(problem.lines()))]), 200


@bp.get("/<slug>")
@require_role()
def dashboard(slug: str) -> tuple[str, int]:
    try:
        campaign = _campaign(slug)
    except ConfigError as exc:
        return _broken(slug, exc)
    form = ItemForm(campaign, _visible_districts(campaign), datetime.now(campaign.zone).date(), formdata=None)
    return _page(campaign, form)


@bp.post("/<slug>/items")
@require_role()
def add(slug: str) -> Response | tuple[str, int]:
    try:
        campaign = _campaign(slug)
    except ConfigError as exc:
        return _broken(slug, exc)
    form = ItemForm(campaign, _visible_districts(campaign), datetime.now(campaign.zone).date())
    if form.validate_on_submit():
        assert form.day.data is not None
        draft = ItemDraft(
            district=form.district.data or "", kind=form.kind.data or "", title=(form.title.data or "").strip(),
            url=(form.url.data or "").strip(), day=form.day.data, note=(form.note.data or "").strip(),
        )  # fmt: skip
        try:
            add_item(store(), campaign, draft, actor=actor())
        except ArchiveError as exc:
            form.form_errors.append(str(exc))
        else:
            flash(gettext("Item saved."))
            return redirect(url_for("campaigns.dashboard", slug=slug) + "#items", 303)
    return _page(campaign, form, 400)
