"""Forms of the user administration pages. They parse and shape input; the services decide.

Units are picked by their electronic code (a text box with a list of suggestions) rather than a
select of every unit: a province has thousands of units, and a code is what officials type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.core import clock
from secretariat.orgs.models import Unit

from . import policy, selectors
from .models import Role, User


class UnitCodeField(forms.CharField):
    """A unit given by its electronic code, limited to the units of `scope`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("label", _("Unit (electronic code)"))
        super().__init__(*args, **kwargs)
        self.scope: QuerySet[Unit] = Unit.objects.none()
        self.widget.attrs.update({"list": "unit-codes", "autocomplete": "off"})

    def clean(self, value: Any) -> Unit | None:
        code = super().clean(value)
        if not code:
            return None
        unit = self.scope.filter(code=code.strip()).first()
        if unit is None:
            raise forms.ValidationError(
                _("No unit with this code in your scope."), code="unit_unknown"
            )
        return unit


LANGUAGE_CHOICES = cast("list[tuple[str, str]]", User._meta.get_field("language").choices)


class DomainErrorsForm(forms.Form):
    def add_domain_errors(
        self, message: str | Promise, field_errors: Mapping[str, Sequence[str | Promise]]
    ) -> None:
        """Show a service's errors inline: on their field when the form has it, else on top."""
        placed = False
        for name, messages in field_errors.items():
            target = name if name in self.fields else None
            for text in messages:
                self.add_error(target, str(text))
                placed = True
        if not placed:
            self.add_error(None, str(message))


class ScopedForm(DomainErrorsForm):
    """A form whose unit fields accept only the units the actor may manage."""

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        units = selectors.units_for_picker(user=actor)
        for field in self.fields.values():
            if isinstance(field, UnitCodeField):
                field.scope = units


class UserSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = forms.CharField(label=_("Unit (electronic code)"), required=False, max_length=32)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget = forms.TextInput(
            attrs={"type": "search", "placeholder": _("Username or full name")}
        )
        self.fields["unit"].widget.attrs.update({"list": "unit-codes", "autocomplete": "off"})

    def clean_unit(self) -> Unit | None:
        code = self.cleaned_data.get("unit") or ""
        if not code.strip():
            return None
        unit = selectors.unit_by_code(code)
        if unit is None:
            raise forms.ValidationError(_("No unit with this code."), code="unit_unknown")
        return unit


class UserCreateForm(ScopedForm):
    username = forms.CharField(label=_("Username"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES)
    unit = UnitCodeField()
    title = forms.CharField(label=_("Title"), max_length=150)
    password = forms.CharField(
        label=_("Initial password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Leave empty to generate a temporary password, shown once."),
    )


class UserEditForm(DomainErrorsForm):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    language = forms.ChoiceField(label=_("Preferred language"), choices=LANGUAGE_CHOICES)
    is_active = forms.BooleanField(label=_("Active"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Several forms share the user's page: distinct ids keep each label on its own field.
        kwargs.setdefault("auto_id", "edit_%s")
        super().__init__(*args, **kwargs)


class PositionAddForm(ScopedForm):
    unit = UnitCodeField()
    title = forms.CharField(label=_("Title"), max_length=150)
    is_primary = forms.BooleanField(label=_("Primary position"), required=False)

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "position_%s")
        super().__init__(*args, actor=actor, **kwargs)


class PositionEndForm(DomainErrorsForm):
    ended_on = forms.DateField(
        label=_("Ended on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"ended_on": clock.today()})
        super().__init__(*args, **kwargs)


class RoleGrantForm(ScopedForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    unit = UnitCodeField()
    include_subtree = forms.BooleanField(
        label=_("Including the units below"), required=False, initial=True
    )
    valid_until = forms.DateField(
        label=_("Valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Leave empty for no end date."),
    )

    def __init__(self, *args: Any, actor: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "grant_%s")
        super().__init__(*args, actor=actor, **kwargs)
        # Offer only the roles the actor could grant somewhere; the service still checks the unit.
        held = policy.active_grants(actor)
        role_field = self.fields["role"]
        assert isinstance(role_field, forms.ChoiceField)
        role_field.choices = [
            (value, label)
            for value, label in Role.choices
            if any(policy.may_grant(actor, value, grant.unit) for grant in held)
        ]
