"""Which weapon class of the agreement an incident's weapon belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from truceline.adjudication.naming import band_width_km, weapon_class_words
from truceline.adjudication.wording import join_words
from truceline.agreement.model import Agreement, WeaponClass, withdrawal_zone_id


@dataclass(frozen=True)
class WeaponFact:
    """The weapon class applied to an incident, or why none could be."""

    weapon_class: WeaponClass | None
    calibre_mm: float | None
    note: str | None = None
    """Words on how the class was chosen or why it is unknown, for the explanation."""

    @property
    def zone_id(self) -> str | None:
        """The id of this class's withdrawal band, when the class is known."""
        return withdrawal_zone_id(self.weapon_class.code) if self.weapon_class else None


def _fits(weapon_class: WeaponClass, calibre_mm: float) -> bool:
    low, high = weapon_class.min_calibre_mm, weapon_class.max_calibre_mm
    if low is None and high is None:
        return False
    return (low is None or calibre_mm >= low) and (high is None or calibre_mm <= high)


def resolve_weapon(
    agreement: Agreement, weapon_class: str | None, calibre_mm: float | None, side: str
) -> WeaponFact | None:
    """The class named by the incident, else the class its calibre fits; None when neither
    is reported.

    When a calibre fits several classes (120 mm: a mortar or a gun), the class with the
    narrowest withdrawal band on the incident's side is applied: the benefit of the doubt.
    """
    if weapon_class is not None:
        for candidate in agreement.weapon_classes:
            if candidate.code == weapon_class:
                return WeaponFact(candidate, calibre_mm)
        known = ", ".join(c.code for c in agreement.weapon_classes) or "none"
        note = f"the weapon class {weapon_class!r} is not one the agreement defines ({known})"
        return WeaponFact(None, calibre_mm, note)
    if calibre_mm is None:
        return None
    fitting = [c for c in agreement.weapon_classes if _fits(c, calibre_mm)]
    if not fitting:
        return WeaponFact(
            None,
            calibre_mm,
            f"a calibre of {calibre_mm:g} mm fits no weapon class of the agreement",
        )
    if len(fitting) == 1:
        return WeaponFact(fitting[0], calibre_mm)

    def width(candidate: WeaponClass) -> tuple[float, str]:
        return (band_width_km(agreement, candidate.code, side) or 0.0, candidate.code)

    chosen = min(fitting, key=width)
    names = join_words([weapon_class_words(c) for c in fitting])
    note = (
        f"a calibre of {calibre_mm:g} mm fits {names}; the narrowest withdrawal band, that of "
        f"{weapon_class_words(chosen)}, is applied"
    )
    return WeaponFact(chosen, calibre_mm, note)
