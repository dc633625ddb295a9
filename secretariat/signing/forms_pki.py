"""Forms of the trust store and credential pages. They parse input only; the services in
`pki` and `trust` validate what matters and check permissions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from secretariat.accounts import policy
from secretariat.orgs.models import Unit

from . import pki
from .models import CredentialPurpose, KeyBackend

MAX_UPLOAD_BYTES = 1_000_000


class _UploadField(forms.FileField):
    def clean(self, data: Any, initial: Any = None) -> bytes:
        uploaded = super().clean(data, initial)
        if uploaded.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("The file is too large."))
        content: bytes = uploaded.read()
        return content


class TrustUploadForm(forms.Form):
    file = _UploadField(
        label=_("Certificates"),
        help_text=_("One PEM file (it may hold several certificates) or one DER certificate."),
    )


class AnchorActiveForm(forms.Form):
    active = forms.BooleanField(required=False)


class _HolderForm(forms.Form):
    """A person (by username, among those the actor manages) or a unit of the actor's scope."""

    purpose = forms.ChoiceField(
        label=_("Purpose"),
        choices=[
            (CredentialPurpose.PERSONAL, CredentialPurpose.PERSONAL.label),
            (CredentialPurpose.SEAL, CredentialPurpose.SEAL.label),
        ],
    )
    username = forms.CharField(
        label=_("Person (username)"),
        required=False,
        max_length=150,
        help_text=_("For a personal signature."),
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"),
        queryset=Unit.objects.none(),
        required=False,
        help_text=_("For an organization seal."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["unit"].queryset = policy.units_in_scope(  # type: ignore[attr-defined]
            actor, policy.Action.SIGNING_MANAGE
        ).order_by("path")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        purpose = data.get("purpose")
        username = (data.get("username") or "").strip()
        if purpose == CredentialPurpose.PERSONAL:
            if not username:
                self.add_error("username", _("Give the person's username."))
            else:
                user = pki.users_in_scope(self.actor).filter(username=username).first()
                if user is None:
                    self.add_error("username", _("No such person among those you manage."))
                data["user"] = user
            data["unit"] = None
        elif purpose == CredentialPurpose.SEAL:
            if data.get("unit") is None:
                self.add_error("unit", _("Choose the unit."))
            data["user"] = None
        return data


class IssueForm(_HolderForm):
    valid_days = forms.IntegerField(
        label=_("Validity (days)"),
        min_value=1,
        max_value=pki.CA_VALIDITY_DAYS,
        initial=pki.CERT_VALIDITY_DAYS,
    )


class ImportForm(_HolderForm):
    certificate = _UploadField(
        label=_("Certificate"), help_text=_("The official's certificate, PEM or DER.")
    )
    backend = forms.ChoiceField(
        label=_("Where is the key?"),
        choices=[
            (KeyBackend.WORKSTATION, KeyBackend.WORKSTATION.label),
            (KeyBackend.PKCS11, KeyBackend.PKCS11.label),
        ],
        initial=KeyBackend.WORKSTATION,
    )
    token_label = forms.CharField(label=_("Token label"), required=False, max_length=64)
    key_label = forms.CharField(label=_("Key label"), required=False, max_length=64)


class RevokeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=list(pki.REVOCATION_REASONS.items()), initial="unspecified"
    )
