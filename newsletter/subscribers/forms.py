"""WTForms for the public pages; CSRF comes from Flask-WTF."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, RadioField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from .addresses import TOO_LONG


def topic_choices(topics: list) -> list[SelectChoice]:  # type: ignore[type-arg]
    return [SelectChoice(t.slug, t.name) for t in topics]


class TopicChoices(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form: FlaskForm) -> None:
        """Unknown slugs are reported by the domain with a clear message, not 'Not a valid choice'."""


class SubscribeForm(FlaskForm):
    email = EmailField("Email address", validators=[
        InputRequired("Enter your email address."), Length(max=320, message=TOO_LONG)])
    topics = TopicChoices("Topics")
    # An IANA name from the browser or the picker; anything else means the list's zone
    # (never an error: a reader cannot fix what their browser sends).
    timezone = StringField("Time zone")
    # Honeypot: hidden from people by CSS and aria-hidden; bots fill it in.
    website = StringField("Leave this field empty", validators=[Length(max=0)])


class NewLinkForm(FlaskForm):
    email = EmailField("Email address", validators=[
        InputRequired("Enter your email address."), Length(max=320, message=TOO_LONG)])


class ActionForm(FlaskForm):
    """A button that changes state: only CSRF to check."""


class PreferencesForm(FlaskForm):
    topics = TopicChoices("Topics")


class PauseForm(FlaskForm):
    pause = RadioField(
        "Pause all email",
        choices=[SelectChoice("1", "for 1 week"), SelectChoice("4", "for 4 weeks"),
                 SelectChoice("indefinite", "until I resume")],
        validators=[InputRequired()],
    )


class EraseForm(FlaskForm):
    confirm = BooleanField("I understand this deletes my subscription and data",
                           validators=[InputRequired()])
