"""The source registry: who operates each source and what kind of sensor it is.

Independence of sources is judged from this registry: two observations are independent
when they come from different operators or different source types.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from truceline.errors import InputError
from truceline.observations.model import Credibility, Reliability, SourceType


class Source(BaseModel):
    """One source of observations: a sensor, a feed, a channel of reports."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,99}$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    operator: Annotated[str, StringConstraints(min_length=1, max_length=200)] = Field(
        description="Who runs the source, e.g. 'NASA', 'Mission UAV wing'."
    )
    type: SourceType
    party: Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_-]{0,15}$")] | None = Field(
        default=None, description="For party reports: the code of the reporting party."
    )
    reliability: Reliability = Reliability.F
    credibility: Credibility = Credibility.CANNOT_BE_JUDGED

    @property
    def independence_group(self) -> str:
        """Observations from one group are not independent of each other."""
        return f"{self.operator}|{self.type.value}"


BUILTIN_SOURCES: tuple[Source, ...] = (
    Source(
        id="firms-viirs-noaa20",
        name="NASA FIRMS VIIRS 375 m, NOAA-20",
        operator="NASA",
        type=SourceType.SATELLITE_THERMAL,
        reliability=Reliability.B,
        credibility=Credibility.POSSIBLY_TRUE,
    ),
    Source(
        id="firms-viirs-snpp",
        name="NASA FIRMS VIIRS 375 m, Suomi NPP",
        operator="NASA",
        type=SourceType.SATELLITE_THERMAL,
        reliability=Reliability.B,
        credibility=Credibility.POSSIBLY_TRUE,
    ),
    Source(
        id="firms-viirs-noaa21",
        name="NASA FIRMS VIIRS 375 m, NOAA-21",
        operator="NASA",
        type=SourceType.SATELLITE_THERMAL,
        reliability=Reliability.B,
        credibility=Credibility.POSSIBLY_TRUE,
    ),
    Source(
        id="firms-modis",
        name="NASA FIRMS MODIS 1 km, Terra and Aqua",
        operator="NASA",
        type=SourceType.SATELLITE_THERMAL,
        reliability=Reliability.B,
        credibility=Credibility.POSSIBLY_TRUE,
    ),
    Source(
        id="firms-archive",
        name="NASA FIRMS archive (location and date only)",
        operator="NASA",
        type=SourceType.SATELLITE_THERMAL,
        reliability=Reliability.B,
        credibility=Credibility.DOUBTFUL,
    ),
)


class SourceRegistry:
    """The sources Truceline knows, by id."""

    def __init__(self, sources: tuple[Source, ...] | list[Source] = BUILTIN_SOURCES) -> None:
        self._sources: dict[str, Source] = {}
        for source in sources:
            self.add(source)

    def add(self, source: Source) -> None:
        self._sources[source.id] = source

    def get(self, source_id: str) -> Source:
        try:
            return self._sources[source_id]
        except KeyError:
            raise InputError(
                f"unknown source {source_id!r}: register it first (known: "
                f"{', '.join(sorted(self._sources)) or 'none'})",
                field="source_id",
            ) from None

    def __contains__(self, source_id: object) -> bool:
        return source_id in self._sources

    def __iter__(self) -> Iterator[Source]:
        return iter(sorted(self._sources.values(), key=lambda s: s.id))

    def __len__(self) -> int:
        return len(self._sources)

    @classmethod
    def from_yaml(cls, path: Path, *, with_builtin: bool = True) -> SourceRegistry:
        """Load a registry file: a YAML list of sources (see `docs/formats.md`)."""
        registry = cls(BUILTIN_SOURCES if with_builtin else ())
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            kind = type(data).__name__
            raise InputError(f"{path}: expected a YAML list of sources, got a {kind}")
        for i, item in enumerate(data):
            try:
                registry.add(Source.model_validate(item))
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"])
                raise InputError(
                    f"{path}: source #{i + 1}, field {field!r}: {first['msg']}", field=field
                ) from None
        return registry
