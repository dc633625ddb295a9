"""Forms of the outgoing pages. They check the shape of the input; the services check the rules
(who may sign or review, which transitions are allowed)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from secretariat.documents.models import DocumentType, Urgency

from .models import ReviewDecision


def _user_choices(users: Any) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{u.full_name or u.username} ({u.username})") for u in users]


class DraftForm(forms.Form):
    unit = forms.ChoiceField(label=_("Drafting unit"))
    subject = forms.CharField(
        label=_("Subject (trích yếu)"), widget=forms.Textarea(attrs={"rows": 2})
    )
    doc_type = forms.ModelChoiceField(
        label=_("Type"), queryset=DocumentType.objects.all(), to_field_name="code"
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Urgency.choices, initial=Urgency.NORMAL)
    recipients = forms.CharField(
        label=_("Recipients (nơi nhận)"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    signer = forms.ChoiceField(label=_("Signer"), help_text=_("The competent person (Art. 13)."))
    reviewers = forms.MultipleChoiceField(
        label=_("Reviewers"),
        required=False,
        help_text=_("They give their opinion in the order listed."),
    )
    file = forms.FileField(label=_("Draft"), help_text=_("PDF, DOCX or ODT."))

    def __init__(
        self, *args: Any, units: list[tuple[str, str]], signers: Any, reviewers: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]
        self.fields["signer"].choices = _user_choices(signers)  # type: ignore[attr-defined]
        self.fields["reviewers"].choices = _user_choices(reviewers)  # type: ignore[attr-defined]


class FileForm(forms.Form):
    file = forms.FileField(label=_("File"))


class ReviewersForm(forms.Form):
    reviewers = forms.MultipleChoiceField(label=_("Reviewers"), required=False)

    def __init__(self, *args: Any, reviewers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reviewers"].choices = _user_choices(reviewers)  # type: ignore[attr-defined]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Opinion"),
        choices=[
            (ReviewDecision.APPROVED, ReviewDecision.APPROVED.label),
            (ReviewDecision.COMMENTED, ReviewDecision.COMMENTED.label),
            (ReviewDecision.RETURNED, ReviewDecision.RETURNED.label),
        ],
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class DispatchForm(forms.Form):
    internal_units = forms.MultipleChoiceField(label=_("Units of this node"), required=False)
    external_codes = forms.CharField(
        label=_("Other agencies (electronic codes)"),
        required=False,
        help_text=_("One code per line, e.g. 000.00.00.G01."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, units: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["internal_units"].choices = units  # type: ignore[attr-defined]

    def codes(self) -> list[str]:
        text = str(self.cleaned_data.get("external_codes") or "")
        return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class RecallForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
