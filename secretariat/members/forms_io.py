"""Forms of the spreadsheet import and the export."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from . import exporting, importing


class UploadForm(forms.Form):
    unit = forms.ChoiceField(
        label=_("Import into"),
        help_text=_("The unit the records are opened in, unless a column gives each one's cell."),
    )
    file = forms.FileField(label=_("Spreadsheet (XLSX or CSV in UTF-8)"))

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]


class MappingForm(forms.Form):
    """One choice per column of the file: the field it holds, or nothing."""

    def __init__(
        self, *args: Any, headers: list[str], units: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        self.fields["unit"] = forms.ChoiceField(label=_("Import into"), choices=units)
        choices = [("", _("— not imported —")), *importing.targets()]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or _("Column %(n)d") % {"n": index + 1},
                choices=choices,
                required=False,
            )

    def columns(self) -> list[forms.BoundField]:
        return [self[f"col_{index}"] for index in range(len(self.headers))]

    def mapping(self) -> dict[int, str]:
        return {
            index: self.cleaned_data[f"col_{index}"]
            for index in range(len(self.headers))
            if self.cleaned_data.get(f"col_{index}")
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors:
            for problem in importing.mapping_errors(
                {
                    index: data[f"col_{index}"]
                    for index in range(len(self.headers))
                    if data.get(f"col_{index}")
                }
            ):
                self.add_error(None, problem)
        return data


def initial_mapping(headers: list[str]) -> dict[str, str]:
    return {f"col_{index}": name for index, name in importing.guess_mapping(headers).items()}


class ExportForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    columns = forms.MultipleChoiceField(
        label=_("Columns"), widget=forms.CheckboxSelectMultiple, required=True
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel (XLSX)"), ("csv", "CSV (UTF-8)")]
    )
    include_former = forms.BooleanField(
        label=_("Include former members (left, removed, transferred out, deceased)"),
        required=False,
    )

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]
        self.fields["columns"].choices = [  # type: ignore[attr-defined]
            (name, f"{label} 🔒" if sensitive else label)
            for name, label, sensitive in exporting.field_choices()
        ]
        self.fields["columns"].initial = list(exporting.DEFAULT_FIELDS)
