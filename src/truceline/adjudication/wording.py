"""Small helpers that turn numbers and lists into the plain words of explanations."""

from __future__ import annotations

from collections.abc import Sequence

NUMBER_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
)


def number_word(n: int) -> str:
    """A count in words up to ten ('three'), in digits above ('12')."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """'one source', 'two sources', '12 sources'."""
    noun = singular if n == 1 else (plural or f"{singular}s")
    return f"{number_word(n)} {noun}"


def join_words(items: Sequence[str], conjunction: str = "and", *, serial: bool = False) -> str:
    """'a', 'a and b', 'a, b and c'; with `serial`, for clauses: 'a, and b', 'a, b, and c'."""
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    comma = "," if serial else ""
    return f"{', '.join(items[:-1])}{comma} {conjunction} {items[-1]}"


def capitalised(text: str) -> str:
    """The text with its first letter in upper case."""
    return text[:1].upper() + text[1:]


def lower_first(text: str) -> str:
    """Lower-case the first letter of an ordinary word; keep acronyms such as 'MLRS'."""
    if len(text) >= 2 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def km(metres: float) -> str:
    """A distance in kilometres to 0.1 km: '4.2 km'."""
    return f"{metres / 1000.0:.1f} km"


def hours(value: float) -> str:
    """A duration in hours, whole when it is whole: '3 h', '2.5 h'."""
    rounded = round(value, 1)
    if rounded == int(rounded):
        return f"{int(rounded)} h"
    return f"{rounded:.1f} h"


def compared(value: float, limit: float) -> tuple[str, str]:
    """Both numbers with two decimals, or more when two decimals would hide a difference."""
    for digits in (2, 3, 4, 6):
        left, right = f"{value:.{digits}f}", f"{limit:.{digits}f}"
        if (left == right) == (abs(value - limit) <= 1e-9):
            return left, right
    return repr(value), repr(limit)


def with_article(noun: str) -> str:
    """'an explosion', 'a launch'."""
    article = "an" if noun[:1].lower() in "aeiou" else "a"
    return f"{article} {noun}"


def activity_words(code: str) -> str:
    """How explanations name a permitted activity: 'TROOP-ROTATION' -> 'troop rotation'."""
    return code.replace("-", " ").replace("_", " ").lower()
