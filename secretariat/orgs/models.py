"""The organization tree: province → committees and agencies → grassroots → cells."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager

from secretariat.core.models import BaseModel


class UnitKind(models.TextChoices):
    PROVINCIAL_COMMITTEE = "provincial_committee", _("Provincial Party Committee")
    STANDING_COMMITTEE = "standing_committee", _("Standing Committee")
    BOARD = "board", _("Board")
    OFFICE = "office", _("Office")
    INSPECTION_COMMITTEE = "inspection_committee", _("Inspection Committee")
    COMMUNE_COMMITTEE = "commune_committee", _("Commune Party Committee")
    WARD_COMMITTEE = "ward_committee", _("Ward Party Committee")
    AGENCY_COMMITTEE = "agency_committee", _("Agency Party Committee")
    GRASSROOTS_COMMITTEE = "grassroots_committee", _("Grassroots Party Committee")
    CELL = "cell", _("Party cell")
    OTHER = "other", _("Other unit")


# treebeard has no type hints, so the type checker cannot build the reverse manager of the
# self-referencing `merged_into` from an untyped default manager.
class Unit(MP_Node, BaseModel):  # type: ignore[django-manager-missing]
    """A unit of the tree. The materialized path (`path`) gives subtree scope by prefix."""

    # Declared so that the type checker knows the manager: treebeard ships no type hints.
    objects: ClassVar[MP_NodeManager] = MP_NodeManager()

    name = models.CharField(_("name (Vietnamese)"), max_length=255)
    name_fr = models.CharField(_("name (French)"), max_length=255, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=UnitKind.choices)
    # Official electronic code (edXML OrganId), e.g. 000.00.36.H29.
    code = models.CharField(_("electronic code"), max_length=32, unique=True)
    # Notation abbreviation used in document numbers: TU, VPTU, ĐU, CB…
    abbreviation = models.CharField(_("notation abbreviation"), max_length=20)
    active = models.BooleanField(_("active"), default=True)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("merged into"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="absorbed_units",
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        indexes = [models.Index(fields=["active", "path"])]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def display_name(self) -> str:
        """The name in the active language, falling back to the Vietnamese name."""
        language = translation.get_language() or "vi"
        if language.startswith("fr") and self.name_fr:
            return self.name_fr
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class UnitEventKind(models.TextChoices):
    CREATED = "created", _("created")
    UPDATED = "updated", _("updated")
    MOVED = "moved", _("moved")
    MERGED = "merged", _("merged into another unit")
    ABSORBED = "absorbed", _("absorbed another unit")
    DISSOLVED = "dissolved", _("dissolved")
    IMPORTED = "imported", _("imported")


class UnitEvent(BaseModel):
    """The history of a unit: what changed, when, and from what. The actor is in the audit log."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=UnitEventKind.choices)
    effective_on = models.DateField()
    details = models.JSONField(default=dict)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("unit event")
        verbose_name_plural = _("unit events")
