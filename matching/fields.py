"""Form fields shared by the volunteer and campaign forms."""

import datetime

from django import forms

from .postcodes import Grid, PostcodeError, PostcodeLocation, lookup_postcode


class PostcodeField(forms.CharField):
    """A UK postcode, cleaned into a PostcodeLocation (normalised, with coordinates where known)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 16)
        kwargs.setdefault("help_text", "For example, B1 1AY.")
        super().__init__(**kwargs)
        self.widget.attrs.update({"autocomplete": "postal-code", "spellcheck": "false", "class": "postcode-input"})

    def clean(self, value):
        # Length and required checks run on the typed text; the lookup comes last.
        value = super().clean(value)
        if value in self.empty_values:
            return None
        try:
            return lookup_postcode(value)
        except PostcodeError as error:
            raise forms.ValidationError(str(error), code="postcode") from error

    def prepare_value(self, value):
        if isinstance(value, PostcodeLocation):
            return value.postcode
        return value


def no_location_message(location: PostcodeLocation) -> str:
    """Say why a postcode cannot be used for work in person."""
    if location.grid == Grid.IRISH:
        return (
            f"{location.postcode} is in Northern Ireland. The network works on elections in Great Britain, "
            "so we can only match you for remote work."
        )
    return f"{location.postcode} has no location we can use. Enter the postcode where you live or work."


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def positive_hours_field(label: str, help_text: str, max_value: int = 60) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=max_value,
        help_text=help_text,
        error_messages={
            "invalid": "Enter the hours as a whole number, like 5.",
            "min_value": "Enter at least 1 hour.",
            "max_value": f"Enter no more than {max_value} hours.",
            "required": "Enter the number of hours.",
        },
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


def today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()
