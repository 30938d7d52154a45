"""Staff forms (Flask-WTF: every one carries a CSRF token). Labels are translated when the form is built."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileSize
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from streamkit.archive.events import EVENT_YEARS
from streamkit.archive.models import EntryKind, EventStatus, Role
from streamkit.archive.urls import playable_url
from streamkit.web.accounts import PasswordProblem, password_problem
from streamkit.web.plain_text import has_controls

COMMON_ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "UTC", "Europe/London", "America/New_York"]


class PlainText:
    """No control characters (they break feeds and calendars); a one-line field also refuses tabs and line breaks."""

    def __init__(self, *, multiline: bool = False) -> None:
        self.multiline = multiline

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if field.data and has_controls(str(field.data), multiline=self.multiline):
            raise ValidationError(_l("Control characters (including line breaks in one-line fields) are not allowed"))


ONE_LINE = PlainText()
MULTILINE = PlainText(multiline=True)


def playable(form: FlaskForm, field: StringField) -> None:
    """Only URLs a player on the site can load: https, or a path on the site (no javascript:, data:, plain http)."""
    if field.data and not playable_url(str(field.data)):
        raise ValidationError(_l("Must start with https:// or be a path on this site (plain http cannot play here)"))


def in_event_years(field: DateTimeLocalField) -> None:
    """Dates such as 0001-01-01 or 9999-12-31 overflow when moved to UTC: refuse them with a message."""
    if field.data and field.data.year not in EVENT_YEARS:
        raise ValidationError(
            _l("The year must be between %(first)d and %(last)d", first=EVENT_YEARS[0], last=EVENT_YEARS[-1])
        )


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[ONE_LINE, DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[MULTILINE, Length(max=5000)])
    venue = StringField(_l("Venue"), validators=[ONE_LINE, Length(max=200)])
    campaign = StringField(_l("Campaign"), validators=[ONE_LINE, Length(max=200)])
    start = DateTimeLocalField(_l("Start (local time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    end = DateTimeLocalField(_l("End (local time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), default="Asia/Shanghai")
    stream_url = StringField(
        _l("Live stream URL (HLS .m3u8)"), validators=[ONE_LINE, Optional(), Length(max=500), playable]
    )
    status = SelectField(
        _l("Status"),
        choices=[
            SelectChoice(EventStatus.UPCOMING.value, _l("Upcoming")),
            SelectChoice(EventStatus.LIVE.value, _l("Live now")),
            SelectChoice(EventStatus.ENDED.value, _l("Ended")),
            SelectChoice(EventStatus.CANCELLED.value, _l("Cancelled")),
        ],
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Plain strings (value = label): WTForms 3.3 deprecates (value, label) tuples.
        self.timezone.choices = COMMON_ZONES + sorted(available_timezones() - set(COMMON_ZONES))

    def validate_start(self, field: DateTimeLocalField) -> None:
        in_event_years(field)

    def validate_end(self, field: DateTimeLocalField) -> None:
        in_event_years(field)
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start"))


class EntryForm(FlaskForm):
    title = StringField(_l("Title"), validators=[ONE_LINE, DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[MULTILINE, Length(max=5000)])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice(EntryKind.RECORDING.value, _l("Recording")),
            SelectChoice(EntryKind.TOUR.value, _l("Tour")),
        ],
    )
    media_url = StringField(_l("Media URL (MP4)"), validators=[ONE_LINE, Optional(), Length(max=500), playable])
    hls_url = StringField(_l("HLS URL (.m3u8)"), validators=[ONE_LINE, Optional(), Length(max=500), playable])
    duration_s = IntegerField(_l("Duration (seconds)"), validators=[Optional(), NumberRange(min=0, max=100_000)])
    campaign = StringField(_l("Campaign"), validators=[ONE_LINE, Length(max=200)])
    venue = StringField(_l("Venue"), validators=[ONE_LINE, Length(max=200)])
    tags = StringField(_l("Tags (comma separated)"), validators=[ONE_LINE, Length(max=500)])
    event_slug = StringField(_l("Event (slug)"), validators=[ONE_LINE, Length(max=120)])
    published = BooleanField(_l("Published"), default=True)


def webvtt(form: FlaskForm, field: FileField) -> None:
    """Captions for an upload: a UTF-8 WebVTT file (what the player and the HLS ladder carry)."""
    if not field.data:
        return
    head = field.data.stream.read(4096)
    field.data.stream.seek(0)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = ""
    if not text.startswith("WEBVTT"):
        raise ValidationError(_l("Captions must be a UTF-8 WebVTT file (its first line is WEBVTT)"))


class UploadForm(FlaskForm):
    """The title and captions of a video upload, checked before the video is sent."""

    title = StringField(_l("Title"), validators=[ONE_LINE, DataRequired(), Length(max=200)])
    captions = FileField(
        _l("Captions (WebVTT, optional)"),
        validators=[Optional(), FileSize(max_size=512 * 1024, message=_l("Captions must be at most 512 KB")), webvtt],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""


ROLE_LABELS = {
    Role.ADMINISTRATOR: _l("Administrator (accounts, audit log, every page)"),
    Role.MODERATOR: _l("Moderator (messages of remembrance)"),
    Role.PROXY_STAFF: _l("Proxy tomb-sweeping staff"),
    Role.REGISTER_EDITOR: _l("Register editor"),
    Role.MEDIA_EDITOR: _l("Media editor (events and archive entries)"),
}
PASSWORD_MESSAGES = {
    PasswordProblem.SHORT: _l("The password needs at least 10 characters"),
    PasswordProblem.MONOTONOUS: _l("The password needs at least 5 different characters"),
    PasswordProblem.HAS_USERNAME: _l("The password must not contain the user name"),
    PasswordProblem.COMMON: _l("This password is too well known; choose another"),
}


class RolesField(SelectMultipleField):
    """One checkbox per role."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class UserRolesForm(FlaskForm):
    roles = RolesField(
        _l("Roles"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        # WTForms' own plural message for this field has no Chinese
        invalid_choice_message=_l("Not a valid choice"),
    )
    district = SelectField(_l("District"))

    def __init__(self, *args: object, districts: Sequence[tuple[str, str]] = (), **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.district.choices = [SelectChoice("", _l("Bureau (all districts)"))] + [
            SelectChoice(slug, name) for slug, name in districts
        ]

    @property
    def chosen_roles(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles.data or ())


class NewUserForm(UserRolesForm):
    username = StringField(_l("User name"), validators=[ONE_LINE, DataRequired(), Length(max=80)])
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(max=200)])

    def validate_password(self, field: PasswordField) -> None:
        problem = password_problem(self.username.data or "", field.data or "")
        if problem:
            raise ValidationError(PASSWORD_MESSAGES[problem])
