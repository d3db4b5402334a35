"""Form widgets every app's forms share."""

from django import forms


class DatePicker(forms.DateInput):
    """The browser's date picker. Its value must be ISO (yyyy-mm-dd) whatever the language's date
    format, or the picker shows a saved date as empty and the clerk retypes it."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")
