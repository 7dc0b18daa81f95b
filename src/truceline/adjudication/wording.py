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


def distance(metres: float) -> str:
    """A distance in kilometres to 0.1 km ('4.2 km'), in metres under 100 m ('30 m')."""
    if round(metres) < 100:
        return f"{metres:.0f} m"
    return f"{metres / 1000.0:.1f} km"


def _distance_at(metres: float, level: int) -> str:
    """A distance at a level of detail: 0 as `distance`, then one more digit per level."""
    if level == 0:
        return distance(metres)
    if round(metres, level) < 100:
        return f"{metres:.{level}f} m"
    return f"{metres / 1000.0:.{level + 1}f} km"


def distances_compared(value_m: float, limit_m: float) -> tuple[str, str]:
    """Both distances, with more digits when the usual ones would make different distances
    look equal: ('30.04 km', '30.00 km')."""
    equal = abs(value_m - limit_m) <= 1e-6
    for level in range(4):
        left, right = _distance_at(value_m, level), _distance_at(limit_m, level)
        if (left == right) == equal:
            return left, right
    return f"{value_m:.15g} m", f"{limit_m:.15g} m"


def _hours_at(value: float, level: int) -> str:
    """A duration at a level of detail: 0 hours to 0.1 h, whole when whole ('3 h',
    '2.5 h'); 1 minutes ('23 h 58 min'); 2 seconds."""
    if level == 0:
        rounded = round(value, 1)
        return f"{int(rounded)} h" if rounded == int(rounded) else f"{rounded:.1f} h"
    seconds = round(value * 3600.0) if level == 2 else round(value * 60.0) * 60
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    words = [f"{h} h"] if h else []
    if m or (s and h):
        words.append(f"{m} min")
    if s:
        words.append(f"{s} s")
    return " ".join(words) or "0 h"


def hours_compared(value: float, limit: float) -> tuple[str, str]:
    """Both durations, in minutes or seconds when hours would make different ones look
    equal: ('23 h 58 min', '24 h')."""
    for level in (0, 1, 2):
        left, right = _hours_at(value, level), _hours_at(limit, level)
        if (left == right) == (abs(value - limit) <= 1e-9):
            return left, right
    return f"{value:.15g} h", f"{limit:.15g} h"


def compared(value: float, limit: float) -> tuple[str, str]:
    """Both numbers with two decimals, or more when two decimals would hide a difference."""
    for digits in (2, 3, 4, 6):
        left, right = f"{value:.{digits}f}", f"{limit:.{digits}f}"
        if (left == right) == (abs(value - limit) <= 1e-9):
            return left, right
    return repr(value), repr(limit)


def activity_words(code: str) -> str:
    """How explanations name a permitted activity: 'TROOP-ROTATION' -> 'troop rotation'."""
    return code.replace("-", " ").replace("_", " ").lower()
