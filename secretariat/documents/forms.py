"""Forms of the capture pages. They check the shape of the input; the services check the rules
(file types, confidentiality, metadata)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Confidentiality, DocumentType, Urgency


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else single(data, initial)


class DateInput(forms.DateInput):
    input_type = "date"


class CaptureForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"),
        choices=Confidentiality.choices,
        initial=Confidentiality.NORMAL,
        help_text=_(
            "Documents marked Mật, Tối mật or Tuyệt mật must not be uploaded: only their "
            "register entry is kept."
        ),
    )
    files = MultipleFileField(  # type: ignore[assignment]  # a field named like Form.files
        label=_("Files"),
        help_text=_("PDF, TIFF, PNG, JPEG, DOCX or ODT. One document is created per file."),
    )

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]


class MetadataForm(forms.Form):
    """The metadata of Decree 30 Art. 8, pre-filled with what was read from the first page."""

    subject = forms.CharField(
        label=_("Subject (trích yếu)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    doc_type = forms.ChoiceField(label=_("Type"), required=False)
    issuing_body = forms.CharField(label=_("Issuing body"), max_length=255, required=False)
    number = forms.CharField(label=_("Number"), max_length=20, required=False)
    notation = forms.CharField(label=_("Number and notation"), max_length=60, required=False)
    place = forms.CharField(label=_("Place"), max_length=100, required=False)
    issued_on = forms.DateField(label=_("Date of issue"), required=False, widget=DateInput)
    signer_name = forms.CharField(label=_("Signer"), max_length=150, required=False)
    signer_title = forms.CharField(label=_("Signer's title"), max_length=150, required=False)
    recipients = forms.CharField(
        label=_("Recipients (nơi nhận)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices)
    copies = forms.IntegerField(label=_("Copies"), required=False, min_value=0)
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["doc_type"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *DocumentType.objects.values_list("code", "name"),
        ]

    def changes(self) -> dict[str, Any]:
        """The cleaned values as the service takes them."""
        data = dict(self.cleaned_data)
        data["doc_type"] = data.get("doc_type") or None
        return data


class VersionForm(forms.Form):
    file = forms.FileField(label=_("New version"))
