"""How explanations name zones, kinds of event, sources and sides, in words."""

from __future__ import annotations

from truceline.adjudication.wording import lower_first, number_word
from truceline.agreement.model import BUFFER, WITHDRAWAL, Agreement, WeaponClass
from truceline.observations.model import Kind, SourceType

KIND_NOUNS: dict[Kind, tuple[str, str]] = {
    Kind.EXPLOSION: ("explosion", "explosions"),
    Kind.IMPACT: ("impact", "impacts"),
    Kind.LAUNCH: ("launch", "launches"),
    Kind.SMALL_ARMS_FIRE: ("burst of small-arms fire", "bursts of small-arms fire"),
    Kind.THERMAL_ANOMALY: ("thermal anomaly", "thermal anomalies"),
    Kind.FIRE: ("fire detection of the usual kind", "fire detections of the usual kind"),
    Kind.WEAPON_SIGHTING: ("weapon sighting", "weapon sightings"),
    Kind.ARMED_PRESENCE: ("sighting of armed personnel", "sightings of armed personnel"),
    Kind.MOVEMENT: ("military movement", "military movements"),
    Kind.AIRCRAFT: ("aircraft sighting", "aircraft sightings"),
    Kind.VESSEL: ("vessel sighting", "vessel sightings"),
    Kind.DAMAGE: ("report of damage", "reports of damage"),
    Kind.CASUALTY_REPORT: ("casualty report", "casualty reports"),
}
"""Singular and plural noun of each kind of observation."""

SOURCE_TYPE_WORDS: dict[SourceType, str] = {
    SourceType.SATELLITE_THERMAL: "satellite thermal",
    SourceType.SATELLITE_IMAGERY: "satellite imagery",
    SourceType.UAV: "UAV",
    SourceType.FIXED_CAMERA: "fixed camera",
    SourceType.ACOUSTIC: "acoustic",
    SourceType.GROUND_PATROL: "ground patrol",
    SourceType.OPEN_SOURCE: "open source",
    SourceType.PARTY_REPORT: "party report",
}
"""How a source's type is named before its grade, as in 'UAV B2'."""


def kind_phrase(kind: Kind, count: int | None) -> str:
    """'three explosions', 'one launch', or 'an explosion' when the count is not known."""
    singular, plural = KIND_NOUNS[kind]
    if count is None:
        article = "an" if singular[0] in "aeiou" else "a"
        return f"{article} {singular}"
    return f"{number_word(count)} {singular if count == 1 else plural}"


def kind_noun(kind: Kind) -> str:
    """The kind as one thing: 'the explosion', 'the sighting of armed personnel'."""
    return f"the {KIND_NOUNS[kind][0]}"


def held_words(agreement: Agreement, party_code: str) -> str:
    """'Ukrainian-held', or 'XX-held' for a code the agreement does not know."""
    try:
        return agreement.party(party_code).held_by_words
    except KeyError:
        return f"{party_code}-held"


def weapon_class_words(weapon_class: WeaponClass) -> str:
    """The weapon class as explanations name it, from its description."""
    return lower_first(weapon_class.description.rstrip(". "))


def band_width_km(agreement: Agreement, weapon_class: str, side: str) -> float | None:
    """Width of the withdrawal band of a class on one side, or None when it has none there."""
    for band in agreement.zones.withdrawal_bands:
        if band.weapon_class == weapon_class:
            return band.width_km.get(side)
    return None


def _number(value: float) -> str:
    return f"{value:g}"


def zone_name(agreement: Agreement, zone_id: str, side: str) -> str:
    """'the demilitarised buffer', 'the 25 km withdrawal band for artillery of 100 mm and
    above', 'the no-fly zone 1', 'the Black Sea maritime exclusion zone'."""
    if zone_id == BUFFER:
        return "the demilitarised buffer"
    if zone_id.startswith(f"{WITHDRAWAL}:"):
        code = zone_id.split(":", 1)[1]
        width = band_width_km(agreement, code, side)
        width_words = f"{_number(width)} km " if width is not None else ""
        described = code
        for weapon_class in agreement.weapon_classes:
            if weapon_class.code == code:
                described = weapon_class_words(weapon_class)
        return f"the {width_words}withdrawal band for {described}"
    for exclusion in agreement.zones.exclusions:
        if exclusion.id == zone_id:
            name = exclusion.name
            if name.lower().startswith("the "):
                name = name[4:]
            return f"the {_mid_sentence(name)}"
    return f"zone {zone_id}"


def _mid_sentence(name: str) -> str:
    """A zone's name as it reads mid-sentence: 'No-fly zone 1' -> 'no-fly zone 1'. A name
    whose first two words are capitalised ('Black Sea ...') or that starts with an acronym
    is a proper name and is kept."""
    words = name.split()
    if len(words) >= 2 and words[0][:1].isupper() and words[1][:1].isupper():
        return name
    return lower_first(name)
