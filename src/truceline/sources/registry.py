"""The source registry: who operates each source and what kind of sensor it is.

Independence of sources is judged from this registry: two observations are independent
when they come from different operators or different source types.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from truceline.access.marking import MarkingText
from truceline.errors import InputError
from truceline.observations.model import Credibility, Observation, Reliability, SourceType


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
        default=None,
        description="The party whose reports these are or who runs the source (required for "
        "party_report); its observations never corroborate a claim.",
    )
    reliability: Reliability = Reliability.F
    credibility: Credibility = Credibility.CANNOT_BE_JUDGED
    releasability: MarkingText | None = Field(
        default=None,
        description="Releasability of its observations that do not give their own "
        "(docs/access.md); None: the cell only.",
    )
    public_key: str | None = Field(
        default=None,
        description="Ed25519 public key (PEM, or the 32 raw bytes in base64); when given, "
        "every observation of the source must carry a valid signature (docs/ledger.md).",
    )

    @field_validator("public_key")
    @classmethod
    def _valid_public_key(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from truceline.ledger.signing import check_public_key

        try:
            return check_public_key(value)
        except InputError as exc:
            raise ValueError(f"not a valid public key: {exc}") from None

    @model_validator(mode="after")
    def _party_of_party_report(self) -> Source:
        if self.type is SourceType.PARTY_REPORT and self.party is None:
            raise ValueError(
                "a source of type party_report needs 'party', the code of the reporting "
                "party (e.g. UA): a party's own reports never corroborate a claim, and "
                "that rule needs to know whose reports they are"
            )
        return self

    @property
    def is_party_channel(self) -> bool:
        """A party's own channel: its reports never corroborate a claim against another."""
        return self.party is not None or self.type is SourceType.PARTY_REPORT

    @property
    def independence_group(self) -> str:
        """Observations from one group are not independent of each other."""
        return f"{self.operator}|{self.type.value}"


def with_source_releasability(obs: Observation, source: Source) -> Observation:
    """The observation with its source's default releasability, unless it gives its own
    (or the source has none: then it stays the cell's)."""
    if source.releasability is None or "releasability" in obs.model_fields_set:
        return obs
    return obs.model_copy(update={"releasability": source.releasability})


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
        """Load a registry file: a YAML list of sources (see `docs/formats.md`).

        Raises InputError naming the file, the entry and its line when the file cannot be
        read, is not valid YAML, or an entry is invalid or repeats an id.
        """
        registry = cls(BUILTIN_SOURCES if with_builtin else ())
        items = _entries(path)
        first_entry: dict[str, int] = {}
        for number, (node, item) in enumerate(items, start=1):
            line = node.start_mark.line + 1
            try:
                source = Source.model_validate(item)
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(p) for p in first["loc"])
                where = f"field {field!r}: " if field else ""
                message = first["msg"].removeprefix("Value error, ")
                message = message.replace("Input should be", "must be", 1)
                given = first.get("input")
                if first["type"] != "missing" and isinstance(given, str | int | float):
                    message += f" (got {given!r})"
                raise InputError(
                    f"{path}, line {_line_of(node, first['loc'])}: source #{number}, "
                    f"{where}{message}",
                    field=field or None,
                ) from None
            if source.id in first_entry:
                raise InputError(
                    f"{path}, line {line}: source #{number} repeats the id {source.id!r} of "
                    f"source #{first_entry[source.id]}; give each source its own id",
                    field="id",
                )
            first_entry[source.id] = number
            registry.add(source)
        return registry


def _line_of(node: Node, loc: tuple[int | str, ...]) -> int:
    """The 1-based line of the key `loc[0]` in an entry's mapping, else of the entry."""
    if loc and isinstance(node, MappingNode):
        for key, _ in node.value:
            if isinstance(key, ScalarNode) and key.value == loc[0]:
                return int(key.start_mark.line) + 1
    return int(node.start_mark.line) + 1


def _entries(path: Path) -> list[tuple[Node, object]]:
    """The entries of a registry file, each with its YAML node (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path}: not UTF-8 text (at byte offset {exc.start}); save the registry file as UTF-8"
        ) from None
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc.strerror or exc}); check the path"
        ) from None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = getattr(exc, "problem", None) or str(exc)
        where = f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise InputError(
            f"{path}{where}: not valid YAML ({what}); a registry file is a YAML list of "
            "sources (see docs/formats.md)"
        ) from None
    except RecursionError:
        raise InputError(
            f"{path}: nested too deeply; a registry file is a list of sources"
        ) from None
    finally:
        loader.dispose()
    if data is None:
        return []
    if not isinstance(data, list) or not isinstance(root, SequenceNode):
        kind = type(data).__name__
        raise InputError(f"{path}, line 1: expected a YAML list of sources, got a {kind}")
    return list(zip(root.value, data, strict=True))
