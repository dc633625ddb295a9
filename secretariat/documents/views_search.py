"""The search page (`documents:search`). Thin: a form reads the query and filters, the search
module answers; an HTMX request (live search as the user types) gets only the results."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from secretariat.accounts import policy
from secretariat.accounts.policy import Action
from secretariat.core.errors import DomainError

from .models import DocumentType, RegisterKind
from .search import search_documents
from .search.text import MAX_QUERY_CHARS


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=MAX_QUERY_CHARS)
    doc_type = forms.ChoiceField(label=_("Type"), required=False)
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    register_kind = forms.ChoiceField(
        label=_("Register"),
        required=False,
        choices=[("", _("Any register")), *RegisterKind.choices],
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("newest", _("Newest first")), ("relevance", _("Most relevant"))],
    )
    before = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        types = DocumentType.objects.order_by("ordering", "name")
        doc_type_field = cast(forms.ChoiceField, self.fields["doc_type"])
        doc_type_field.choices = [("", _("Any type"))] + [(t.code, t.name) for t in types]
        units = policy.units_in_scope(user, Action.DOCUMENTS_VIEW).order_by("path")
        unit_field = cast(forms.ChoiceField, self.fields["unit"])
        unit_field.choices = [("", _("All my units"))] + [
            (u.code, f"{'— ' * (u.depth - 1)}{u.name}") for u in units
        ]


def _detail_url(document_id: Any) -> str | None:
    """The document's page (documents:detail, from the capture part), when it exists."""
    try:
        return reverse("documents:detail", args=[document_id])
    except NoReverseMatch:
        return None


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    if not policy.can(request.user, Action.DOCUMENTS_VIEW):
        raise DjangoPermissionDenied
    form = SearchForm(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form, "page": None, "error": None}
    status = 200
    if form.is_valid() and form.cleaned_data["q"].strip():
        data = form.cleaned_data
        try:
            context["page"] = search_documents(
                user=request.user,
                query=data["q"],
                doc_type=data["doc_type"] or None,
                unit_code=data["unit"] or None,
                register_kind=data["register_kind"] or None,
                date_from=data["date_from"],
                date_to=data["date_to"],
                order=data["order"] or "newest",
                before=data["before"] or None,
            )
        except DomainError as exc:
            context["error"] = exc.message
            status = 400
        if context["page"] is not None:
            context["results"] = [(hit, _detail_url(hit.id)) for hit in context["page"].hits]
        more = request.GET.copy()
        if context["page"] is not None and context["page"].next_cursor:
            more["before"] = context["page"].next_cursor
            context["more_query"] = more.urlencode()
    elif form.is_bound and not form.is_valid():
        status = 400
    if request.headers.get("HX-Request"):
        # htmx swaps only 2xx answers: the message must reach the live results area.
        status = 200
    template = (
        "documents/search_results.html"
        if request.headers.get("HX-Request")
        else "documents/search.html"
    )
    return render(request, template, context, status=status)


urlpatterns: list[URLPattern] = [path("search/", search, name="search")]
