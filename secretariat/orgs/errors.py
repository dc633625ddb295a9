"""Errors of the organization tree. Each carries a translatable message for the user."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from secretariat.core.errors import ValidationFailed


@dataclass(frozen=True)
class ImportProblem:
    """One reason a line of an import file is refused. `line` is 0 for the file as a whole."""

    line: int
    message: str | Promise
    where: str = "line"  # "item" for the position of an object in a JSON list

    def __str__(self) -> str:
        if not self.line:
            return str(self.message)
        if self.where == "item":
            template = _("item %(line)d: %(message)s")
        else:
            template = _("line %(line)d: %(message)s")
        return str(template % {"line": self.line, "message": self.message})


class ImportFailed(ValidationFailed):
    """An import file was refused; nothing was imported. `problems` lists every bad line."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = list(problems)
        super().__init__(
            _("The file was not imported: %(count)d problem(s) found.")
            % {"count": len(self.problems)},
            field_errors={"file": [str(p) for p in self.problems]},
        )
