"""Staff forms (Flask-WTF: every one carries a CSRF token). Labels are translated when the form is built."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import URL, DataRequired, Length, NumberRange, Optional, ValidationError

from streamkit.archive.models import EntryKind, EventStatus

COMMON_ZONES = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "UTC", "Europe/London", "America/New_York"]


def http_url(form: FlaskForm, field: StringField) -> None:
    """Only http(s) links may reach an href or src: no javascript:, data: or relative tricks."""
    if field.data and not str(field.data).startswith(("https://", "http://")):
        raise ValidationError(_l("Must start with https:// or http://"))


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class EventForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    campaign = StringField(_l("Campaign"), validators=[Length(max=200)])
    start = DateTimeLocalField(_l("Start (local time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    end = DateTimeLocalField(_l("End (local time)"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    timezone = SelectField(_l("Time zone"), default="Asia/Shanghai")
    stream_url = StringField(_l("Live stream URL (HLS .m3u8)"), validators=[Optional(), Length(max=500), http_url])
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

    def validate_end(self, field: DateTimeLocalField) -> None:
        if self.start.data and field.data and field.data <= self.start.data:
            raise ValidationError(_l("The end must be after the start"))


class EntryForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    description = TextAreaField(_l("Description"), validators=[Length(max=5000)])
    kind = SelectField(
        _l("Kind"),
        choices=[
            SelectChoice(EntryKind.RECORDING.value, _l("Recording")),
            SelectChoice(EntryKind.TOUR.value, _l("Tour")),
        ],
    )
    media_url = StringField(_l("Media URL (MP4)"), validators=[Optional(), Length(max=500), URL(), http_url])
    hls_url = StringField(_l("HLS URL (.m3u8)"), validators=[Optional(), Length(max=500), URL(), http_url])
    duration_s = IntegerField(_l("Duration (seconds)"), validators=[Optional(), NumberRange(min=0, max=100_000)])
    campaign = StringField(_l("Campaign"), validators=[Length(max=200)])
    venue = StringField(_l("Venue"), validators=[Length(max=200)])
    tags = StringField(_l("Tags (comma separated)"), validators=[Length(max=500)])
    event_slug = StringField(_l("Event (slug)"), validators=[Length(max=120)])
    published = BooleanField(_l("Published"), default=True)


class ConfirmForm(FlaskForm):
    """A button that changes something: only its CSRF token."""
