"""Forms of the outgoing pages. They check the shape of the input; the services check the rules
(who may sign or review, which transitions are allowed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from secretariat.documents.models import DocumentType, Urgency

from .models import ReviewDecision


def _user_choices(users: Any) -> list[tuple[str, str]]:
    return [(str(u.pk), f"{u.full_name or u.username} ({u.username})") for u in users]


# --- Ordered reviewers --------------------------------------------------------------------------

# (user id, position as typed): what the browser sent for one reviewer.
Placed = tuple[str, str]


class ReviewerOrderWidget(forms.Widget):
    """The review circuit as an ordered list. Without JavaScript each candidate has a position
    box (1, 2, 3…; empty = not a reviewer); `office/reviewer_order.js` turns it into tick boxes
    with up and down buttons and keeps the boxes numbered in the list's order. The order the
    user sees is the order sent, whatever the order of the candidates.

    A plain list of ids under the field's own name (`reviewers=a&reviewers=b`, as other clients
    post a multiple choice) is read in the order given."""

    template_name = "office/widgets/reviewer_order.html"
    choices: list[tuple[str, str]]

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs)
        self.choices = []

    @staticmethod
    def position_name(name: str, user_id: str) -> str:
        return f"{name}_position_{user_id}"

    def value_from_datadict(self, data: Mapping[str, Any], files: Any, name: str) -> list[Placed]:
        listed = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
        if listed:
            values = [listed] if isinstance(listed, str) else list(listed)
            return [(str(v), str(i)) for i, v in enumerate(values, start=1)]
        placed = []
        for user_id, _label in self.choices:
            typed = str(data.get(self.position_name(name, user_id), "") or "").strip()
            if typed:
                placed.append((user_id, typed))
        return placed

    def value_omitted_from_data(self, data: Mapping[str, Any], files: Any, name: str) -> bool:
        # Nothing typed means "no reviewer", not "field absent".
        return False

    def id_for_label(self, id_: str) -> str:
        # The label names the whole list; each box has its own label.
        return ""

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        positions = dict(_as_placed(value))
        labels = dict(self.choices)

        def sort_key(item: tuple[int, str]) -> tuple[int, int, int]:
            index, user_id = item
            typed = positions.get(user_id, "")
            # Chosen reviewers first, in their order; the others as the candidates come.
            return (0, int(typed), index) if typed.isdigit() else (1, 0, index)

        ordered = sorted(enumerate(labels), key=sort_key)
        context["widget"]["rows"] = [
            {
                "id": user_id,
                "label": labels[user_id],
                "position": positions.get(user_id, ""),
                "input_name": self.position_name(name, user_id),
            }
            for _index, user_id in ordered
        ]
        context["widget"]["count"] = len(labels)
        return context


def _as_placed(value: Any) -> list[Placed]:
    """The widget's value as (id, position) pairs: what was posted (pairs), or an initial list
    of ids (their order is their position)."""
    if not value:
        return []
    if isinstance(value, str):
        value = [value]
    items = list(value)
    if all(isinstance(item, tuple) and len(item) == 2 for item in items):
        return [(str(user_id), str(typed)) for user_id, typed in items]
    return [(str(user_id), str(i)) for i, user_id in enumerate(items, start=1)]


class OrderedReviewersField(forms.Field):
    """Reviewers in the order the user set: cleans to the list of user ids, first reviewer
    first (the service keeps that order: `ReviewStep.order`)."""

    widget = ReviewerOrderWidget
    default_error_messages = {
        "invalid_position": _(
            "Give each reviewer a place in the order (1, 2, 3…), or leave it empty."
        ),
        "same_position": _("Two reviewers have place %(position)s: give each a different place."),
        "invalid_choice": _(
            "Select a valid choice. %(value)s is not one of the available choices."
        ),
    }

    def __init__(self, *, choices: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = list(choices)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return self._choices

    @choices.setter
    def choices(self, value: Iterable[tuple[str, str]]) -> None:
        self._choices = [(str(k), str(v)) for k, v in value]
        # Lists are replaced, never changed in place: copies of the form share nothing.
        self.widget.choices = self._choices

    def to_python(self, value: Any) -> list[str]:
        placed = _as_placed(value)
        known = {user_id for user_id, _label in self.choices}
        ordered: list[tuple[int, str]] = []
        seen: set[int] = set()
        for user_id, typed in placed:
            if user_id not in known:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": user_id},
                )
            if not typed.isdigit() or int(typed) < 1:
                raise ValidationError(
                    self.error_messages["invalid_position"], code="invalid_position"
                )
            position = int(typed)
            if position in seen:
                raise ValidationError(
                    self.error_messages["same_position"],
                    code="same_position",
                    params={"position": position},
                )
            seen.add(position)
            ordered.append((position, user_id))
        return [user_id for _position, user_id in sorted(ordered)]


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
    reviewers = OrderedReviewersField(
        label=_("Reviewers"),
        required=False,
        help_text=_("They give their opinion one after the other, in the order set here."),
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
    reviewers = OrderedReviewersField(label=_("Reviewers"), required=False)

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
