"""Releasability markings: who may read an observation, an incident or a determination.

A marking is short text with one canonical form:

    public                          anyone, the public included
    cell                            the coordination cell (lead organisations) only
    cell+members                    the cell and every coalition member
    cell+members:FR,UK              the cell and the members FR and UK
    cell+parties                    the cell and every party
    cell+parties:UA                 the cell and the party UA
    cell+members:FR+parties:UA      the cell, the member FR and the party UA

The cell (every organisation of kind `lead`) reads every marking. Otherwise a marking is
read by the audiences it names and by no one else: naming the parties does not name the
members, and naming one member names no other. `parse_marking` accepts the parts in any
order, in any case, with blanks around them and repeated; `str()` gives the canonical form
(keywords in lower case, members before parties, codes upper case, sorted, once each).

Markings form a lattice ordered by who may read them. `meet` is the most restrictive
marking that every one of its arguments allows (its readers are exactly those who may read
all of them): an incident's marking is the meet of its observations' markings.

This module imports nothing of Truceline, so that every other module may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Final

from pydantic import AfterValidator

from truceline.errors import InputError

PUBLIC: Final = "public"
CELL: Final = "cell"
MEMBERS: Final = "members"
PARTIES: Final = "parties"

CODE_PATTERN: Final = r"[A-Z][A-Z0-9_-]{0,15}"
"""An organisation code as markings name it: upper case, as party codes are (UA, RU, FR)."""

_CODE = re.compile(rf"^{CODE_PATTERN}$")
MAX_MARKING_CHARS: Final = 1000

EVERYONE: Final = "public"
"""The audience of a public marking: every organisation belongs to it."""


def member_audience(code: str) -> str:
    """The audience a coalition member `code` belongs to by name."""
    return f"member:{code}"


def party_audience(code: str) -> str:
    """The audience a party `code` belongs to by name."""
    return f"party:{code}"


ALL_MEMBERS: Final = "member:*"
ALL_PARTIES: Final = "party:*"

Codes = frozenset[str] | None
"""Named organisations: None for all of them, else the codes named (maybe none)."""


@dataclass(frozen=True)
class Marking:
    """A parsed releasability marking.

    `public` marks what anyone may read. Otherwise the cell reads it, and so do the
    `members` and `parties` it names: None means all of them, an empty set none.
    """

    public: bool = False
    members: Codes = frozenset()
    parties: Codes = frozenset()

    def __post_init__(self) -> None:
        if self.public and (self.members != frozenset() or self.parties != frozenset()):
            raise InputError(
                "releasability: a public marking names no members or parties (everyone may "
                "read it)",
                field="releasability",
            )

    def __str__(self) -> str:
        if self.public:
            return PUBLIC
        parts = [CELL]
        for word, codes in ((MEMBERS, self.members), (PARTIES, self.parties)):
            if codes is None:
                parts.append(word)
            elif codes:
                parts.append(f"{word}:{','.join(sorted(codes))}")
        return "+".join(parts)

    @property
    def audiences(self) -> frozenset[str]:
        """The audiences that may read this marking, besides the cell (which reads all).

        An organisation may read the marking when one of its own audiences is among these.
        """
        if self.public:
            return frozenset({EVERYONE})
        found: set[str] = set()
        if self.members is None:
            found.add(ALL_MEMBERS)
        else:
            found.update(member_audience(c) for c in self.members)
        if self.parties is None:
            found.add(ALL_PARTIES)
        else:
            found.update(party_audience(c) for c in self.parties)
        return frozenset(found)

    def allows(self, audiences: Iterable[str]) -> bool:
        """Whether an organisation belonging to `audiences` may read this marking (the cell
        is not decided here: it reads everything)."""
        return not self.audiences.isdisjoint(audiences)

    def at_most(self, other: Marking) -> bool:
        """Whether everyone allowed to read this marking may read `other` too (this one is
        at least as restrictive)."""
        if other.public:
            return True
        if self.public:
            return False
        return _within(self.members, other.members) and _within(self.parties, other.parties)


def _within(codes: Codes, wider: Codes) -> bool:
    if wider is None:
        return True
    if codes is None:
        return False
    return codes <= wider


def _meet_codes(one: Codes, two: Codes) -> Codes:
    if one is None:
        return two
    if two is None:
        return one
    return one & two


def _join_codes(one: Codes, two: Codes) -> Codes:
    if one is None or two is None:
        return None
    return one | two


CELL_ONLY: Final = Marking()
"""The most restrictive marking: the cell only."""

PUBLIC_MARKING: Final = Marking(public=True)
"""The least restrictive marking: anyone."""


def meet(markings: Iterable[Marking]) -> Marking:
    """The most restrictive marking that each of `markings` allows: read by exactly those
    who may read every one of them. Public when `markings` is empty."""
    result = PUBLIC_MARKING
    for marking in markings:
        if marking.public:
            continue
        if result.public:
            result = marking
            continue
        result = Marking(
            members=_meet_codes(result.members, marking.members),
            parties=_meet_codes(result.parties, marking.parties),
        )
    return result


def join(markings: Iterable[Marking]) -> Marking:
    """The least restrictive of what `markings` allow together: read by those who may read
    any one of them. The cell only when `markings` is empty."""
    result = CELL_ONLY
    for marking in markings:
        if marking.public or result.public:
            result = PUBLIC_MARKING
            continue
        result = Marking(
            members=_join_codes(result.members, marking.members),
            parties=_join_codes(result.parties, marking.parties),
        )
    return result


class MarkingError(InputError):
    """A text that is not a releasability marking; `reason` is the message without the
    field."""

    def __init__(self, reason: str, *, field: str) -> None:
        super().__init__(f"{field}: {reason}", field=field)
        self.reason = reason


def _refuse(text: str, why: str, field: str) -> MarkingError:
    return MarkingError(
        f"{text!r} is not a releasability marking: {why}; write e.g. 'cell', "
        "'cell+members:FR,UK', 'cell+parties' or 'public'",
        field=field,
    )


def parse_marking(text: str, *, field: str = "releasability") -> Marking:
    """The marking a text stands for; InputError naming `field` and the reason when it is
    not one."""
    if not isinstance(text, str):
        raise MarkingError(
            f"expected a releasability marking as text, got {type(text).__name__}", field=field
        )
    if len(text) > MAX_MARKING_CHARS:
        raise _refuse(text[:40] + "...", f"longer than {MAX_MARKING_CHARS} characters", field)
    parts = [p.strip() for p in text.split("+")]
    if not parts[0]:
        raise _refuse(text, "it is empty" if not text.strip() else "it starts with '+'", field)
    head = parts[0].lower()
    if head == PUBLIC:
        if len(parts) > 1:
            raise _refuse(text, "'public' stands alone: everyone may read it", field)
        return PUBLIC_MARKING
    if head != CELL:
        raise _refuse(text, "it must be 'public' or start with 'cell'", field)
    named: dict[str, Codes] = {MEMBERS: frozenset(), PARTIES: frozenset()}
    for part in parts[1:]:
        word, colon, listed = part.partition(":")
        word = word.strip().lower()
        if word not in named:
            raise _refuse(
                text, f"unknown part {part!r}; after 'cell' come 'members' and 'parties'", field
            )
        if not colon:
            named[word] = None
            continue
        codes = [c.strip().upper() for c in listed.split(",")]
        if not all(codes):
            raise _refuse(text, f"'{word}:' needs organisation codes separated by commas", field)
        bad = [c for c in codes if not _CODE.match(c)]
        if bad:
            raise _refuse(
                text,
                f"{bad[0]!r} is not an organisation code (a letter, then up to 15 letters, "
                "digits, '_' or '-')",
                field,
            )
        current = named[word]
        named[word] = None if current is None else current | frozenset(codes)
    return Marking(members=named[MEMBERS], parties=named[PARTIES])


def canonical_marking(text: str, *, field: str = "releasability") -> str:
    """The canonical form of a marking given as text; InputError when it is not one."""
    return str(parse_marking(text, field=field))


def _checked(text: str) -> str:
    try:
        return canonical_marking(text)
    except MarkingError as exc:
        raise ValueError(exc.reason) from None


MarkingText = Annotated[str, AfterValidator(_checked)]
"""A marking in a pydantic model: any accepted spelling, kept in canonical form."""
