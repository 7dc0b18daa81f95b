"""The agreement as data: what the parties agreed, in a versioned, validated form.

An agreement file (YAML) is parsed into these models. Geometry files it names (the line of
contact, the areas each party holds, exclusion zones) are referenced by path relative to the
agreement file and loaded by `truceline.agreement.loader`. Every determination names the
agreement id and version it applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from truceline.observations.model import Domain, Kind, UtcDatetime

SCHEMA_VERSION = 1
"""Version of the agreement file format this code reads (see `docs/agreement.md`)."""

Code = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")]
PartyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_-]{0,15}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]

ANYWHERE = "anywhere"
"""Zone token of a prohibited act that applies wherever the act happens."""

WITHDRAWAL = "withdrawal"
"""Zone token meaning: the withdrawal band of the observed weapon's own class."""

BUFFER = "buffer"
"""Zone id of the demilitarised buffer along the line."""

RESERVED_ZONE_IDS = (ANYWHERE, BUFFER, WITHDRAWAL)
"""Zone ids an exclusion zone may not take."""


def withdrawal_zone_id(weapon_class: str) -> str:
    """The zone id of the withdrawal band of one weapon class, e.g. ``withdrawal:mlrs``."""
    return f"{WITHDRAWAL}:{weapon_class}"


class Severity(StrEnum):
    """How grave a breach is, in increasing order."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Party(_Strict):
    """A party to the agreement."""

    code: PartyCode = Field(description="Short code used everywhere else, e.g. UA or RU.")
    name: Text = Field(description="Full name, e.g. 'Armed Forces of Ukraine'.")
    adjective: Text | None = Field(
        default=None, description="Used in explanations, e.g. 'Ukrainian' in 'Ukrainian-held'."
    )

    @property
    def held_by_words(self) -> str:
        """How explanations name this party's side: 'Ukrainian-held' or 'UA-held'."""
        return f"{self.adjective or self.code}-held"


class LineOfContact(_Strict):
    """The line of contact and which party holds which side of it."""

    file: Text = Field(description="GeoJSON LineString/MultiLineString, relative to this file.")
    held_areas: dict[PartyCode, Text] = Field(
        description="GeoJSON (Multi)Polygon files of the areas a party holds, by party code."
    )
    rest_held_by: PartyCode = Field(
        description="The party that holds every point of the theatre in no held area."
    )


class WeaponClass(_Strict):
    """A class of weapon that must be withdrawn a given distance from the line."""

    code: Code
    description: Text
    examples: list[Text] = Field(default_factory=list)
    min_calibre_mm: float | None = Field(default=None, gt=0)
    max_calibre_mm: float | None = Field(default=None, gt=0)


class BufferZone(_Strict):
    """The demilitarised buffer: a band along the line, of a width per side."""

    width_km: dict[PartyCode, Annotated[float, Field(ge=0, le=100)]]


class WithdrawalBand(_Strict):
    """Heavy weapons of one class must be withdrawn this far from the line on each side."""

    weapon_class: Code
    width_km: dict[PartyCode, Annotated[float, Field(gt=0, le=500)]]


class ExclusionZone(_Strict):
    """A no-fly or maritime exclusion area, given as a GeoJSON polygon file."""

    id: Code
    type: Literal["no_fly", "maritime"]
    name: Text
    file: Text = Field(description="GeoJSON Polygon/MultiPolygon, relative to this file.")
    applies_to: list[PartyCode] | None = Field(
        default=None, description="Parties bound by the zone; all parties when absent."
    )


class Zones(_Strict):
    """Zones measured from the line, and exclusion areas."""

    buffer: BufferZone | None = None
    withdrawal_bands: list[WithdrawalBand] = Field(default_factory=list)
    exclusions: list[ExclusionZone] = Field(default_factory=list)


class ProhibitedAct(_Strict):
    """One act the agreement prohibits, and where."""

    code: Code = Field(description="Rule code quoted in determinations, e.g. CV-FIRE.")
    title: Text
    description: Text = Field(description="What the rule prohibits, in plain words.")
    kinds: list[Kind] = Field(min_length=1, description="Observation kinds that can meet it.")
    zones: list[Code] = Field(
        default_factory=lambda: [ANYWHERE],
        description="Zone ids where it applies; 'anywhere', or 'withdrawal' for the band of "
        "the observed weapon's class.",
    )
    domains: list[Domain] | None = Field(default=None, description="All domains when absent.")
    within_km: float | None = Field(
        default=None,
        gt=0,
        le=1000,
        description="Applies only within this distance of the line (e.g. live-fire training "
        "far behind the line is not a breach); everywhere when absent.",
    )
    severity: Severity = Severity.MEDIUM


class PermittedActivity(_Strict):
    """Activity that is permitted when pre-notified, and which rules the notice lifts."""

    code: Code
    description: Text
    kinds: list[Kind] = Field(min_length=1)
    exempts: list[Code] = Field(
        min_length=1, description="Codes of prohibited acts a valid notice lifts."
    )
    notice_hours: float = Field(ge=0, le=24 * 90, description="Minimum notice period, hours.")
    max_duration_hours: float = Field(default=72, gt=0, le=24 * 90)

    @property
    def notice(self) -> timedelta:
        return timedelta(hours=self.notice_hours)


class ClearBreachThreshold(_Strict):
    """What makes a breach 'clear': enough confidence and enough independent sources."""

    min_confidence: float = Field(ge=0, le=1)
    min_independent_sources: int = Field(ge=1, le=20)
    min_severity: Severity = Severity.LOW


class ResponseTrigger(_Strict):
    """When a response tier starts."""

    clear_breach: bool = True
    min_severity: Severity = Severity.LOW


class ResponseTier(_Strict):
    """One step of the response protocol: its name, what starts it and its deadline."""

    name: Text
    trigger: ResponseTrigger = Field(default_factory=ResponseTrigger)
    deadline_hours: float = Field(gt=0, le=24 * 90)
    description: Text | None = None


class ThermalSettings(_Strict):
    """How satellite fire detections are weighed against what is normal (docs/thermal.md)."""

    strategy: Literal["same-day", "retrospective"] = Field(
        default="same-day",
        description="'same-day': decide on the day from corroboration known that day; "
        "'retrospective': the published rule of The Economist's war-fire model (an excess "
        "repeated at least 7 days apart), which can change a day's label a week later.",
    )


class Agreement(_Strict):
    """A ceasefire agreement, one version of it."""

    schema_version: Literal[1] = 1
    id: Code
    version: int = Field(ge=1)
    title: Text
    effective_from: UtcDatetime
    amends: int | None = Field(default=None, ge=1, description="The version this one replaces.")
    amendment_note: Text | None = None
    parties: list[Party] = Field(min_length=2)
    line: LineOfContact
    weapon_classes: list[WeaponClass] = Field(default_factory=list)
    zones: Zones = Field(default_factory=Zones)
    prohibited_acts: list[ProhibitedAct] = Field(min_length=1)
    permitted_activities: list[PermittedActivity] = Field(default_factory=list)
    clear_breach: ClearBreachThreshold
    response_protocol: list[ResponseTier] = Field(default_factory=list)
    thermal: ThermalSettings | None = Field(
        default=None, description="Thermal strategy; same-day when absent."
    )

    def party(self, code: str) -> Party:
        for party in self.parties:
            if party.code == code:
                return party
        raise KeyError(code)

    def prohibited_act(self, code: str) -> ProhibitedAct:
        for act in self.prohibited_acts:
            if act.code == code:
                return act
        raise KeyError(code)

    def permitted_activity(self, code: str) -> PermittedActivity:
        for activity in self.permitted_activities:
            if activity.code == code:
                return activity
        raise KeyError(code)

    @property
    def zone_ids(self) -> list[str]:
        """Every zone id this agreement defines, in a stable order."""
        ids = [BUFFER] if self.zones.buffer else []
        ids += [withdrawal_zone_id(b.weapon_class) for b in self.zones.withdrawal_bands]
        ids += [z.id for z in self.zones.exclusions]
        return ids

    @model_validator(mode="after")
    def _consistent(self) -> Agreement:
        problems = consistency_problems(Sections.of(self))
        if problems:
            raise ValueError("; ".join(problems))
        return self


@dataclass(frozen=True)
class Sections:
    """The sections of an agreement that refer to each other; None where not known (a
    section that failed validation), so that the checks of the others can still run."""

    parties: list[Party] | None = None
    line: LineOfContact | None = None
    weapon_classes: list[WeaponClass] | None = None
    zones: Zones | None = None
    prohibited_acts: list[ProhibitedAct] | None = None
    permitted_activities: list[PermittedActivity] | None = None
    version: int | None = None
    amends: int | None = None

    @classmethod
    def of(cls, agreement: Agreement) -> Sections:
        return cls(
            parties=agreement.parties,
            line=agreement.line,
            weapon_classes=agreement.weapon_classes,
            zones=agreement.zones,
            prohibited_acts=agreement.prohibited_acts,
            permitted_activities=agreement.permitted_activities,
            version=agreement.version,
            amends=agreement.amends,
        )


def _duplicates(where: str, field: str, values: Sequence[str], what: str, fix: str) -> list[str]:
    """One problem per value already used earlier in the list, at its YAML path."""
    first: dict[str, int] = {}
    problems: list[str] = []
    for i, value in enumerate(values):
        if value in first:
            problems.append(
                f"{where}[{i}].{field}: {what} {value!r} is already used by "
                f"{where}[{first[value]}]; {fix}"
            )
        else:
            first[value] = i
    return problems


def consistency_problems(sections: Sections) -> list[str]:
    """Problems between fields, each ``<YAML path>: <what is wrong>``; checks that need a
    section that is None are skipped."""
    problems: list[str] = []
    codes: list[str] | None = None
    if sections.parties is not None:
        codes = [p.code for p in sections.parties]
        problems += _duplicates(
            "parties", "code", codes, "party code", "give each party its own code"
        )

    def check_party(where: str, code: str) -> None:
        if codes is not None and code not in codes:
            problems.append(f"{where}: unknown party {code!r}; expected one of {codes}")

    if sections.line is not None:
        check_party("line.rest_held_by", sections.line.rest_held_by)
        for code in sections.line.held_areas:
            check_party(f"line.held_areas.{code}", code)
    classes: list[str] | None = None
    if sections.weapon_classes is not None:
        classes = [w.code for w in sections.weapon_classes]
        problems += _duplicates(
            "weapon_classes", "code", classes, "code", "give each weapon class its own code"
        )
        for i, weapon in enumerate(sections.weapon_classes):
            low, high = weapon.min_calibre_mm, weapon.max_calibre_mm
            if low is not None and high is not None and low > high:
                problems.append(
                    f"weapon_classes[{i}].min_calibre_mm: {low:g} is more than "
                    f"max_calibre_mm {high:g}; the minimum calibre must not exceed the maximum"
                )
    zone_ids: set[str] | None = None
    if sections.zones is not None:
        zones = sections.zones
        if zones.buffer:
            for code in zones.buffer.width_km:
                check_party(f"zones.buffer.width_km.{code}", code)
        for i, band in enumerate(zones.withdrawal_bands):
            if classes is not None and band.weapon_class not in classes:
                problems.append(
                    f"zones.withdrawal_bands[{i}].weapon_class: unknown weapon class "
                    f"{band.weapon_class!r}; expected one of {classes}"
                )
            for code in band.width_km:
                check_party(f"zones.withdrawal_bands[{i}].width_km.{code}", code)
        problems += _duplicates(
            "zones.withdrawal_bands",
            "weapon_class",
            [b.weapon_class for b in zones.withdrawal_bands],
            "weapon class",
            "give one band per weapon class",
        )
        for i, exclusion in enumerate(zones.exclusions):
            if exclusion.id in RESERVED_ZONE_IDS:
                problems.append(
                    f"zones.exclusions[{i}].id: {exclusion.id!r} is reserved (rules use "
                    f"{', '.join(RESERVED_ZONE_IDS)} as zone tokens); choose another id"
                )
            for code in exclusion.applies_to or []:
                check_party(f"zones.exclusions[{i}].applies_to", code)
        problems += _duplicates(
            "zones.exclusions",
            "id",
            [z.id for z in zones.exclusions],
            "zone id",
            "give each exclusion zone its own id",
        )
        zone_ids = {ANYWHERE, WITHDRAWAL}
        zone_ids |= {BUFFER} if zones.buffer else set()
        zone_ids |= {withdrawal_zone_id(b.weapon_class) for b in zones.withdrawal_bands}
        zone_ids |= {z.id for z in zones.exclusions}
    act_codes: list[str] | None = None
    if sections.prohibited_acts is not None:
        act_codes = [a.code for a in sections.prohibited_acts]
        problems += _duplicates(
            "prohibited_acts", "code", act_codes, "rule code", "give each rule its own code"
        )
        for i, act in enumerate(sections.prohibited_acts):
            for zone in act.zones:
                if zone_ids is not None and zone not in zone_ids:
                    problems.append(
                        f"prohibited_acts[{i}].zones: unknown zone {zone!r}; "
                        f"expected one of {sorted(zone_ids)}"
                    )
    if sections.permitted_activities is not None:
        activities = sections.permitted_activities
        problems += _duplicates(
            "permitted_activities",
            "code",
            [a.code for a in activities],
            "code",
            "give each permitted activity its own code",
        )
        for i, activity in enumerate(activities):
            for code in activity.exempts:
                if act_codes is not None and code not in act_codes:
                    problems.append(
                        f"permitted_activities[{i}].exempts: unknown prohibited act {code!r}"
                    )
    version, amends = sections.version, sections.amends
    if version is not None and amends is not None and amends >= version:
        problems.append(
            f"amends: version {version} cannot amend version {amends}; "
            "an amendment has a higher version number than what it amends"
        )
    return problems
