"""Forms of the signature steps of outgoing documents."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from secretariat.signing.models import SessionMode


class ConfirmationForm(forms.Form):
    """A fresh second-factor confirmation (step-up) before signing or sealing."""

    confirmation = forms.CharField(
        label=_("Code from your authenticator app"),
        max_length=12,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}
        ),
    )


class AgentSessionForm(forms.Form):
    mode = forms.ChoiceField(
        label=_("How the agent signs"),
        choices=SessionMode.choices,
        initial=SessionMode.PDF,
    )


class ReturnSignatureForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the signature is refused"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SealBatchForm(ConfirmationForm):
    processes = forms.MultipleChoiceField(
        label=_("Documents to seal"), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: object, choices: list[tuple[str, str]], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["processes"].choices = choices  # type: ignore[attr-defined]
