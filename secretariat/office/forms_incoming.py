"""Forms of the incoming and case-file pages. They parse input; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from secretariat.accounts.models import User
from secretariat.orgs.models import Unit

from .models import CaseFile
from .services.incoming import MAX_WORKING_DAYS


class PresentForm(forms.Form):
    leader = forms.ModelChoiceField(label=_("Leader"), queryset=User.objects.none())

    def __init__(self, *args: Any, leaders: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["leader"].queryset = leaders  # type: ignore[attr-defined]


class InstructForm(forms.Form):
    """The leader's instruction (Decree 30 Art. 23)."""

    text = forms.CharField(label=_("Instruction"), widget=forms.Textarea(attrs={"rows": 3}))
    lead_unit = forms.ModelChoiceField(label=_("Lead unit"), queryset=Unit.objects.none())
    coordinating_units = forms.ModelMultipleChoiceField(
        label=_("Co-ordinating units"), queryset=Unit.objects.none(), required=False
    )
    assignees = forms.ModelMultipleChoiceField(
        label=_("People to handle it"), queryset=User.objects.none()
    )
    working_days = forms.IntegerField(
        label=_("Deadline (working days)"), min_value=1, max_value=MAX_WORKING_DAYS, initial=5
    )

    def __init__(
        self, *args: Any, units: QuerySet[Any], people: QuerySet[Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["lead_unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["coordinating_units"].queryset = units  # type: ignore[attr-defined]
        self.fields["assignees"].queryset = people  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Progress note"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class CompleteForm(forms.Form):
    result_note = forms.CharField(
        label=_("How it was handled"), widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for returning it (Art. 21.2)"), widget=forms.Textarea(attrs={"rows": 2})
    )


class FileForm(forms.Form):
    case_file = forms.ModelChoiceField(label=_("Case file"), queryset=CaseFile.objects.none())

    def __init__(self, *args: Any, case_files: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case_file"].queryset = case_files  # type: ignore[attr-defined]


class CaseFileOpenForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=9999)
    code = forms.CharField(label=_("File code"), max_length=30)
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=300)
    retention_years = forms.IntegerField(
        label=_("Retention (years; empty = permanent)"), min_value=1, required=False
    )

    def __init__(self, *args: Any, units: QuerySet[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class AddDocumentForm(forms.Form):
    """A document of the unit by id; the select offers the recent ones (`choices`)."""

    document = forms.UUIDField(label=_("Document"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["document"].widget = forms.Select(choices=choices)
