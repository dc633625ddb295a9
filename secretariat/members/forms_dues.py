"""Forms of the dues pages: a payment, the monthly sheet of a cell, the statements and arrears
filters. Shapes only; the services check which months a person owes and the amounts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .services.dues import MAX_MONTHLY_AMOUNT

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class MonthInput(forms.TextInput):
    input_type = "month"


class MonthField(forms.Field):
    """A month typed as YYYY-MM (the browser's month picker); the first day of that month."""

    widget = MonthInput
    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def to_python(self, value: Any) -> dt.date | None:
        if value in (None, ""):
            return None
        if isinstance(value, dt.date):
            return value.replace(day=1)
        match = _MONTH.match(str(value).strip())
        if match is None or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1930:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(match.group(1)), int(match.group(2)), 1)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.strftime("%Y-%m")
        return value


class PaymentForm(forms.Form):
    month = MonthField(label=_("Month"))
    amount = forms.IntegerField(label=_("Amount (VND)"), min_value=1, max_value=MAX_MONTHLY_AMOUNT)
    correction_reason = forms.CharField(
        label=_("Reason of the correction"),
        max_length=255,
        required=False,
        help_text=_("Only to change a month already recorded."),
    )


class UnitMonthForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    month = MonthField(label=_("Month"))

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]


class ArrearsForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    year = forms.IntegerField(label=_("Year"), min_value=1930, max_value=2200)
    flagged = forms.BooleanField(label=_("Only 3 months or more"), required=False)

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", _("All my units")), *units]  # type: ignore[attr-defined]


class SheetForm(forms.Form):
    """The monthly sheet of a cell: one tick and one amount per member owing the month."""

    def __init__(self, *args: Any, lines: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            key = line.member.pk.hex
            self.fields[f"paid_{key}"] = forms.BooleanField(
                required=False, label=line.member.full_name
            )
            self.fields[f"amount_{key}"] = forms.IntegerField(
                required=False, min_value=1, max_value=MAX_MONTHLY_AMOUNT, label=_("Amount (VND)")
            )

    def rows(self) -> list[tuple[Any, forms.BoundField, forms.BoundField]]:
        return [
            (line, self[f"paid_{line.member.pk.hex}"], self[f"amount_{line.member.pk.hex}"])
            for line in self.lines
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for line in self.lines:
            key = line.member.pk.hex
            if data.get(f"paid_{key}") and not data.get(f"amount_{key}") and not line.expected:
                self.add_error(f"amount_{key}", _("Enter the amount paid."))
        return data

    def payments(self) -> list[tuple[Any, int]]:
        """(member, amount) of every ticked line (the expected amount when none is typed)."""
        data = self.cleaned_data
        chosen = []
        for line in self.lines:
            key = line.member.pk.hex
            if data.get(f"paid_{key}"):
                chosen.append((line.member, data.get(f"amount_{key}") or line.expected))
        return chosen
