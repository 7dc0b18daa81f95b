"""The parameters of fusion: when two observations are linked, and which kinds may meet.

See docs/fusion.md for the reasons behind each default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from truceline.errors import InputError
from truceline.observations.model import Kind

FIRE = frozenset(
    {
        Kind.LAUNCH,
        Kind.IMPACT,
        Kind.EXPLOSION,
        Kind.SMALL_ARMS_FIRE,
        Kind.THERMAL_ANOMALY,
        Kind.FIRE,
        Kind.DAMAGE,
        Kind.CASUALTY_REPORT,
    }
)
"""Fire and its effects: one firing event is seen as a flash, heard as a blast, found as a
crater, reported as damage or casualties."""
PRESENCE = frozenset({Kind.WEAPON_SIGHTING, Kind.ARMED_PRESENCE, Kind.MOVEMENT})
"""Forces and weapons where they stand or move: a state, not a firing event."""
AIRCRAFT = frozenset({Kind.AIRCRAFT})
VESSEL = frozenset({Kind.VESSEL})

DEFAULT_KIND_GROUPS: tuple[frozenset[Kind], ...] = (FIRE, PRESENCE, AIRCRAFT, VESSEL)
"""Kinds that may describe the same event; every kind is in exactly one group."""

KIND_PRIORITY: tuple[Kind, ...] = (
    Kind.LAUNCH,
    Kind.IMPACT,
    Kind.EXPLOSION,
    Kind.SMALL_ARMS_FIRE,
    Kind.DAMAGE,
    Kind.CASUALTY_REPORT,
    Kind.THERMAL_ANOMALY,
    Kind.FIRE,
    Kind.WEAPON_SIGHTING,
    Kind.ARMED_PRESENCE,
    Kind.MOVEMENT,
    Kind.AIRCRAFT,
    Kind.VESSEL,
)
"""Most telling kind first: an incident's primary kind is the first one it holds."""


@dataclass(frozen=True)
class FusionParameters:
    """When two observations are linked into one incident (see docs/fusion.md).

    Linked when of the same domain and kind group, and
    distance <= k_space * hypot(r_i, r_j) + base_distance_m and distance < max_link_distance_m,
    and |t_i - t_j| <= k_time * (u_i + u_j) + base_time_s and |t_i - t_j| < max_link_time_s.
    An observation is vague when r > vague_location_m or u > vague_time_s: precise ones are
    grouped by single linkage, each vague one joins at most one group (see docs/fusion.md).
    """

    k_space: float = 2.0
    """Multiplier of the combined location uncertainty (about a 2-sigma test)."""
    base_distance_m: float = 250.0
    """Slack for reports that give no location uncertainty."""
    max_link_distance_m: float = 20_000.0
    """Every link is shorter, whatever the uncertainties."""
    k_time: float = 1.0
    """Multiplier of the summed time half-widths (1: the two windows overlap)."""
    base_time_s: float = 600.0
    """Slack for clock error and reporting delay."""
    max_link_time_s: float = 43_200.0
    """Every link spans less time: half a day, so a date-only report meets its own day only."""
    vague_location_m: float = 2_500.0
    """An observation with a larger location uncertainty is vague (open sources, party
    reports, patrols that only heard the blast)."""
    vague_time_s: float = 1_800.0
    """An observation with a larger time uncertainty is vague (open sources, date-only
    reports, imagery taken hours apart)."""
    location_floor_m: float = 10.0
    """Smallest location uncertainty used to weigh an observation."""
    kind_groups: tuple[frozenset[Kind], ...] = DEFAULT_KIND_GROUPS

    def __post_init__(self) -> None:
        for f in fields(self):
            if f.name == "kind_groups":
                continue
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(
                    f"fusion parameter {f.name}: expected a number, got {type(value).__name__}",
                    field=f.name,
                )
            if not math.isfinite(value) or value < 0:
                raise InputError(
                    f"fusion parameter {f.name}: expected a finite number >= 0, got {value}",
                    field=f.name,
                )
        if self.location_floor_m <= 0:
            raise InputError(
                f"fusion parameter location_floor_m: expected a number > 0, got "
                f"{self.location_floor_m}",
                field="location_floor_m",
            )
        seen = [kind for group in self.kind_groups for kind in group]
        missing = sorted(set(Kind) - set(seen))
        doubled = sorted({kind for kind in seen if seen.count(kind) > 1})
        if missing or doubled:
            raise InputError(
                "fusion parameter kind_groups: every kind must be in exactly one group; "
                f"missing {[k.value for k in missing]}, in several {[k.value for k in doubled]}",
                field="kind_groups",
            )

    def group_of_kind(self) -> tuple[int, ...]:
        """For each kind code (`truceline.observations.table.KINDS`), its group's index."""
        return tuple(
            next(i for i, group in enumerate(self.kind_groups) if kind in group) for kind in Kind
        )


DEFAULT = FusionParameters()
"""The parameters used unless others are given."""
