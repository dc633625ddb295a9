"""Text handling shared by both engines: normalising what is indexed, reading the user's query
into words and phrases, and turning an engine's marked fragment into safe HTML."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from .errors import QueryInvalid

# Highlight markers handed to snippet()/ts_headline(): private-use characters, removed from every
# indexed text, so they can only come from the engine and escaping cannot touch them.
START = "\ue000"
STOP = "\ue001"
_STRIP = {ord(START): None, ord(STOP): None, 0: None}

MAX_QUERY_CHARS = 300
MAX_WORDS = 16
_WORD = re.compile(r"[^\W_]+")


def clean(text: str) -> str:
    """What gets indexed: NFC (keyboards send decomposed Vietnamese too), no marker or NUL."""
    return unicodedata.normalize("NFC", text or "").translate(_STRIP)


def fold(text: str) -> str:
    """Vietnamese without diacritics: `Quyết định` → `Quyet dinh`, `Đà Lạt` → `Da Lat`."""
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", bare.replace("đ", "d").replace("Đ", "D"))


def fold_d(text: str) -> str:
    """The SQLite unaccented index's view of a text (see migration 0003): only đ/Đ swapped."""
    return text.replace("đ", "d").replace("Đ", "D")


@dataclass(frozen=True)
class ParsedQuery:
    """The words to find, all required: each group is one word or a phrase of adjacent words."""

    groups: tuple[tuple[str, ...], ...]
    # False when typed without any diacritic: then, and only then, the unaccented index is used
    # (MEASURED.md: unaccenting merges syllables — `nhung` is 895 k documents, `nhưng` 8 k).
    accented: bool

    @property
    def words(self) -> list[str]:
        return [word for group in self.groups for word in group]

    def fts5(self) -> str:
        """An FTS5 MATCH expression: every group a quoted phrase, implicitly ANDed. Words hold
        letters and digits only, so nothing the user typed can become FTS5 syntax."""
        return " ".join('"' + " ".join(group) + '"' for group in self.groups)

    def tsquery(self) -> str:
        """A to_tsquery() text: phrases with <->, groups with &; every word a quoted lexeme."""
        return " & ".join(" <-> ".join(f"'{word}'" for word in group) for group in self.groups)


def parse_query(query: str) -> ParsedQuery:
    """Read what the user typed. Quotes make a phrase (an unclosed quote runs to the end); a word
    joined by punctuation (`12/QĐ-UBND`, `Lâm-Đồng`) is a phrase too; everything else that is not
    a letter or digit is ignored, so no input is a syntax error."""
    text = clean(query).strip()
    if len(text) > MAX_QUERY_CHARS:
        raise QueryInvalid(
            _("The search text is too long (at most %(max)d characters).")
            % {"max": MAX_QUERY_CHARS}
        )
    groups: list[tuple[str, ...]] = []
    for index, part in enumerate(text.split('"')):
        if index % 2:
            words = tuple(word.lower() for word in _WORD.findall(part))
            if words:
                groups.append(words)
            continue
        for chunk in part.split():
            words = tuple(word.lower() for word in _WORD.findall(chunk))
            if words:
                groups.append(words)
    unique = list(dict.fromkeys(groups))
    if not unique:
        raise QueryInvalid(_("Type at least one word to search."))
    if sum(len(group) for group in unique) > MAX_WORDS:
        raise QueryInvalid(_("Too many words: search with at most %(max)d.") % {"max": MAX_WORDS})
    accented = any(fold(word) != word for group in unique for word in group)
    return ParsedQuery(tuple(unique), accented)


def restore(marked: str, shown: str, original: str) -> tuple[str, bool, bool]:
    """The engine marked a fragment of `shown` (the text as it saw it: unaccented or with
    punctuation blanked, one character for one). Put the original characters back. Returns the
    fragment and whether text was cut before and after it. When the fragment cannot be placed
    (should not happen), it is kept as the engine gave it."""
    bare = marked.replace(START, "").replace(STOP, "")
    position = shown.find(bare) if len(shown) == len(original) else -1
    if position < 0 or not bare:
        return marked, False, False
    out: list[str] = []
    cursor = position
    for ch in marked:
        if ch in (START, STOP):
            out.append(ch)
        else:
            out.append(original[cursor])
            cursor += 1
    return "".join(out), position > 0, cursor < len(original)


def to_html(marked: str, *, cut_before: bool = False, cut_after: bool = False) -> SafeString:
    """Escape everything, then turn the markers into <mark>: the only markup in a snippet."""
    html = escape(marked).replace(START, "<mark>").replace(STOP, "</mark>")
    if html.count("<mark>") != html.count("</mark>"):  # a fragment cut inside a highlight
        html = html.replace("<mark>", "").replace("</mark>", "")
    return mark_safe(("… " if cut_before else "") + html + (" …" if cut_after else ""))  # noqa: S308


def has_mark(marked: str) -> bool:
    return START in marked
