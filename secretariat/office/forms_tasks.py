"""Forms of the task, notification and calendar pages. They check the shape of the input; the
services check the rules (who may be assigned, deadlines of sub-tasks, who may do what)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import CalendarDayKind, TaskState


class DateInput(forms.DateInput):
    input_type = "date"


Choices = list[tuple[str, str]]


class TaskCreateForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit"))
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    assignee = forms.ChoiceField(label=_("Assignee"))
    coordinators = forms.MultipleChoiceField(
        label=_("Coordinators"), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DateInput)
    working_days = forms.IntegerField(
        label=_("Or: deadline in working days"),
        required=False,
        min_value=1,
        max_value=366,
        help_text=_("Counted from today; weekends and public holidays are skipped."),
    )

    def __init__(self, *args: Any, units: Choices, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]
        self.fields["assignee"].choices = people  # type: ignore[attr-defined]
        self.fields["coordinators"].choices = people  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("due_on") and data.get("working_days"):
            self.add_error(
                "working_days", _("Give either a due date or a number of working days, not both.")
            )
        return data


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}))
    progress = forms.IntegerField(
        label=_("Progress (%)"), required=False, min_value=0, max_value=100
    )
    attachment = forms.UUIDField(
        label=_("Attached document (id)"),
        required=False,
        help_text=_("Optional: the id of a document already captured."),
    )


class CompleteForm(forms.Form):
    result = forms.CharField(label=_("Result"), widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)


class AssigneeForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assignee"))

    def __init__(self, *args: Any, people: Choices, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = people  # type: ignore[attr-defined]


class SubassignForm(AssigneeForm):
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=300)
    due_on = forms.DateField(label=_("Due date"), required=False, widget=DateInput)


class TaskFilterForm(forms.Form):
    """The filters of the task list; anything unknown is ignored rather than refused."""

    tab = forms.ChoiceField(
        choices=[("mine", _("My tasks")), ("unit", _("Tasks of my units"))], required=False
    )
    state = forms.ChoiceField(
        label=_("State"),
        choices=[("", _("All")), ("open", _("Not finished")), *TaskState.choices],
        required=False,
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)


class CalendarDayForm(forms.Form):
    date = forms.DateField(label=_("Date"), widget=DateInput)
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=CalendarDayKind.choices)
