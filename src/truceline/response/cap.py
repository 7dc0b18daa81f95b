"""Alerts in OASIS CAP 1.2 (Common Alerting Protocol) XML, and the same alert in JSON.

`Alert` is the message as a typed model; `to_xml` writes it as a CAP 1.2 document (UTF-8,
namespace ``urn:oasis:names:tc:emergency:cap:1.2``), `to_json` as a JSON object that
mirrors the XML element for element, and `parse_cap` / `alert_from_json` read them back.
`breach_alert` makes the alert of a signed clear breach; `update_alert` and `cancel_alert`
follow it up, referencing the earlier messages. The mapping is in docs/response.md.

Reading is safe on untrusted input: a document with a DTD (and so any entity declaration)
is refused before anything in it is expanded, and documents are at most 1 MB.
"""

from __future__ import annotations

import hashlib
import math
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)
from pyproj import Geod

from truceline.adjudication.determination import Determination
from truceline.agreement.model import Agreement, ResponseTier, Severity
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.response.review import ReviewState, ReviewStatus

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"
MAX_DOCUMENT_BYTES = 1_000_000
"""The largest CAP document `parse_cap` reads."""

_XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_CAP_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[-+]\d\d:\d\d$")
_GEOD = Geod(ellps="WGS84")
_E = TypeVar("_E", bound=StrEnum)
_M = TypeVar("_M", bound=BaseModel)


def _cap_text(value: str) -> str:
    """Text as XML can carry it: line ends normalised to LF (as every XML parser does),
    outer white space stripped, no control characters XML 1.0 forbids."""
    value = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    bad = _XML_INVALID.search(value)
    if bad:
        raise ValueError(f"contains the character U+{ord(bad.group()):04X}, which XML cannot carry")
    if not value:
        raise ValueError("is empty")
    return value


def _token(value: str) -> str:
    value = _cap_text(value)
    if re.search(r"[\s,<&]", value):
        raise ValueError(
            f"{value!r} contains a space, comma, '<' or '&', which CAP does not allow here"
        )
    return value


def _address(value: str) -> str:
    value = _cap_text(value)
    if '"' in value:
        raise ValueError(f"{value!r} contains a double quote, which CAP does not allow here")
    return value


def _language(value: str) -> str:
    value = _cap_text(value)
    if not re.fullmatch(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*", value):
        raise ValueError(f"{value!r} is not a language tag such as 'en' or 'en-GB'")
    return value


def _uri(value: str) -> str:
    value = _cap_text(value)
    if re.search(r"\s", value):
        raise ValueError(f"{value!r} contains white space, which a URI cannot")
    return value


def _whole_seconds(value: datetime) -> datetime:
    """Kept in UTC, with whole seconds: CAP times carry no fractions of a second."""
    return value.astimezone(UTC).replace(microsecond=0)


CapText = Annotated[str, AfterValidator(_cap_text)]
CapToken = Annotated[str, AfterValidator(_token)]
"""Identifier or sender: no spaces, commas, '<' or '&' (CAP 1.2, 3.2.1)."""
CapAddress = Annotated[str, AfterValidator(_address)]
CapTime = Annotated[AwareDatetime, AfterValidator(_whole_seconds)]
"""A timezone-aware time; naive times are refused. Kept in UTC to the second."""
CapLanguage = Annotated[str, AfterValidator(_language)]
CapUri = Annotated[str, AfterValidator(_uri)]


def _three_decimals(value: float) -> float:
    return round(value, 3)


CapDecimal = Annotated[
    float, Field(ge=-1e9, le=1e9, allow_inf_nan=False), AfterValidator(_three_decimals)
]
"""An altitude or ceiling (CAP: feet above mean sea level), kept to three decimals."""


class CapStatus(StrEnum):
    """`status`: how recipients should treat the message."""

    ACTUAL = "Actual"
    EXERCISE = "Exercise"
    """An exercise: what a simulated theatre sends."""
    SYSTEM = "System"
    TEST = "Test"
    DRAFT = "Draft"


class MsgType(StrEnum):
    ALERT = "Alert"
    UPDATE = "Update"
    CANCEL = "Cancel"
    ACK = "Ack"
    ERROR = "Error"


class Scope(StrEnum):
    PUBLIC = "Public"
    RESTRICTED = "Restricted"
    PRIVATE = "Private"


class Category(StrEnum):
    GEO = "Geo"
    MET = "Met"
    SAFETY = "Safety"
    SECURITY = "Security"
    RESCUE = "Rescue"
    FIRE = "Fire"
    HEALTH = "Health"
    ENV = "Env"
    TRANSPORT = "Transport"
    INFRA = "Infra"
    CBRNE = "CBRNE"
    OTHER = "Other"


class ResponseType(StrEnum):
    SHELTER = "Shelter"
    EVACUATE = "Evacuate"
    PREPARE = "Prepare"
    EXECUTE = "Execute"
    AVOID = "Avoid"
    MONITOR = "Monitor"
    ASSESS = "Assess"
    ALL_CLEAR = "AllClear"
    NONE = "None"


class Urgency(StrEnum):
    IMMEDIATE = "Immediate"
    EXPECTED = "Expected"
    FUTURE = "Future"
    PAST = "Past"
    UNKNOWN = "Unknown"


class CapSeverity(StrEnum):
    EXTREME = "Extreme"
    SEVERE = "Severe"
    MODERATE = "Moderate"
    MINOR = "Minor"
    UNKNOWN = "Unknown"


class Certainty(StrEnum):
    OBSERVED = "Observed"
    LIKELY = "Likely"
    POSSIBLE = "Possible"
    UNLIKELY = "Unlikely"
    UNKNOWN = "Unknown"


class _Cap(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ValuePair(_Cap):
    """A `parameter`, `eventCode` or `geocode`: a value and the name of its system."""

    value_name: CapText
    value: CapText


class Resource(_Cap):
    """A `resource`: a file that goes with the alert."""

    resource_desc: CapText
    mime_type: CapText
    size: int | None = Field(default=None, ge=0)
    uri: CapUri | None = None
    deref_uri: CapText | None = None
    digest: CapText | None = None


LatLon = tuple[
    Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)],
    Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)],
]


class Polygon(_Cap):
    """A `polygon`: points in WGS 84 (latitude, longitude) order, as CAP wants; closed (the
    first point is the last), at least four points. Degrees are kept to 6 decimals."""

    points: tuple[LatLon, ...] = Field(min_length=4)

    @model_validator(mode="before")
    @classmethod
    def _rounded(cls, data: Any) -> Any:
        if isinstance(data, Mapping) and isinstance(data.get("points"), Sequence):
            points = []
            for point in data["points"]:
                if isinstance(point, Sequence) and len(point) == 2:
                    point = tuple(
                        round(v, 6) if isinstance(v, float) and math.isfinite(v) else v
                        for v in point
                    )
                points.append(point)
            return {**data, "points": tuple(points)}
        return data

    @model_validator(mode="after")
    def _closed(self) -> Polygon:
        if self.points[0] != self.points[-1]:
            raise ValueError("the first and the last point of a CAP polygon must be the same")
        return self


class Circle(_Cap):
    """A `circle`: centre (WGS 84) and radius in kilometres. Degrees are kept to 6
    decimals, the radius to the metre."""

    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    radius_km: float = Field(ge=0, le=20_100, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _rounded(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            digits = {"lat": 6, "lon": 6, "radius_km": 3}
            return {
                key: round(value, digits[key])
                if key in digits and isinstance(value, float) and math.isfinite(value)
                else value
                for key, value in data.items()
            }
        return data


class Area(_Cap):
    """An `area`: its description and its shapes."""

    area_desc: CapText
    polygons: tuple[Polygon, ...] = ()
    circles: tuple[Circle, ...] = ()
    geocodes: tuple[ValuePair, ...] = ()
    altitude: CapDecimal | None = None
    ceiling: CapDecimal | None = None


class Info(_Cap):
    """An `info` block: what happened, how urgent, grave and certain, and where."""

    language: CapLanguage | None = None
    categories: tuple[Category, ...] = Field(min_length=1)
    event: CapText
    response_types: tuple[ResponseType, ...] = ()
    urgency: Urgency
    severity: CapSeverity
    certainty: Certainty
    audience: CapText | None = None
    event_codes: tuple[ValuePair, ...] = ()
    effective: CapTime | None = None
    onset: CapTime | None = None
    expires: CapTime | None = None
    sender_name: CapText | None = None
    headline: CapText | None = None
    description: CapText | None = None
    instruction: CapText | None = None
    web: CapUri | None = None
    contact: CapText | None = None
    parameters: tuple[ValuePair, ...] = ()
    resources: tuple[Resource, ...] = ()
    areas: tuple[Area, ...] = ()

    def parameter(self, name: str) -> str | None:
        """The value of the first parameter of this name, if any."""
        return next((p.value for p in self.parameters if p.value_name == name), None)

    def parameter_values(self, name: str) -> tuple[str, ...]:
        return tuple(p.value for p in self.parameters if p.value_name == name)


class Reference(_Cap):
    """One earlier message: ``sender,identifier,sent`` in `references`."""

    sender: CapToken
    identifier: CapToken
    sent: CapTime

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{format_time(self.sent)}"


class Alert(_Cap):
    """One CAP 1.2 alert message."""

    identifier: CapToken
    sender: CapToken
    sent: CapTime
    status: CapStatus
    msg_type: MsgType
    source: CapText | None = None
    scope: Scope
    restriction: CapText | None = None
    addresses: tuple[CapAddress, ...] = ()
    codes: tuple[CapText, ...] = ()
    note: CapText | None = None
    references: tuple[Reference, ...] = ()
    incidents: tuple[CapAddress, ...] = ()
    info: tuple[Info, ...] = ()

    @model_validator(mode="after")
    def _cap_rules(self) -> Alert:
        if self.scope is Scope.RESTRICTED and self.restriction is None:
            raise ValueError("scope Restricted needs a restriction (who may see the alert)")
        if self.scope is Scope.PRIVATE and not self.addresses:
            raise ValueError("scope Private needs addresses (who receives the alert)")
        if self.msg_type in (MsgType.UPDATE, MsgType.CANCEL) and not self.references:
            raise ValueError(
                f"msgType {self.msg_type.value} needs references to the earlier messages"
            )
        return self

    @property
    def reference(self) -> Reference:
        """How later messages refer to this one."""
        return Reference(sender=self.sender, identifier=self.identifier, sent=self.sent)


def format_time(moment: datetime) -> str:
    """A CAP date and time: ``2026-02-01T12:00:00-00:00``. UTC is written ``-00:00`` (CAP
    1.2, 3.3.2: no 'Z', no fractions of a second)."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}-00:00"
    )


def _parse_time(text: str, field: str) -> datetime:
    if not _CAP_TIME.match(text):
        raise InputError(
            f"{field}: {text!r} is not a CAP date and time; write it like "
            "2026-02-01T12:00:00-00:00 (with its UTC offset, no 'Z', no fractions of a second)",
            field=field,
        )
    try:
        return datetime.fromisoformat(text).astimezone(UTC)
    except ValueError as error:
        raise InputError(f"{field}: {text!r} is not a valid time ({error})", field=field) from None


def _number(value: float) -> str:
    text = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _quoted_list(values: Sequence[str]) -> str:
    return " ".join(f'"{v}"' if re.search(r"\s", v) else v for v in values)


def _split_quoted(text: str) -> tuple[str, ...]:
    return tuple(a if a else b for a, b in re.findall(r'"([^"]*)"|(\S+)', text))


# --- the CAP element tree, shared by the XML and the JSON form ----------------------------

ONE, OPTIONAL, MANY, SOME = "one", "optional", "many", "some"
"""Multiplicities: exactly one, zero or one, zero or more, one or more."""

Spec = tuple[tuple[str, str, "Spec | None"], ...]

_PAIR: Spec = (("valueName", ONE, None), ("value", ONE, None))
_RESOURCE: Spec = (
    ("resourceDesc", ONE, None),
    ("mimeType", ONE, None),
    ("size", OPTIONAL, None),
    ("uri", OPTIONAL, None),
    ("derefUri", OPTIONAL, None),
    ("digest", OPTIONAL, None),
)
_AREA: Spec = (
    ("areaDesc", ONE, None),
    ("polygon", MANY, None),
    ("circle", MANY, None),
    ("geocode", MANY, _PAIR),
    ("altitude", OPTIONAL, None),
    ("ceiling", OPTIONAL, None),
)
_INFO: Spec = (
    ("language", OPTIONAL, None),
    ("category", SOME, None),
    ("event", ONE, None),
    ("responseType", MANY, None),
    ("urgency", ONE, None),
    ("severity", ONE, None),
    ("certainty", ONE, None),
    ("audience", OPTIONAL, None),
    ("eventCode", MANY, _PAIR),
    ("effective", OPTIONAL, None),
    ("onset", OPTIONAL, None),
    ("expires", OPTIONAL, None),
    ("senderName", OPTIONAL, None),
    ("headline", OPTIONAL, None),
    ("description", OPTIONAL, None),
    ("instruction", OPTIONAL, None),
    ("web", OPTIONAL, None),
    ("contact", OPTIONAL, None),
    ("parameter", MANY, _PAIR),
    ("resource", MANY, _RESOURCE),
    ("area", MANY, _AREA),
)
_ALERT: Spec = (
    ("identifier", ONE, None),
    ("sender", ONE, None),
    ("sent", ONE, None),
    ("status", ONE, None),
    ("msgType", ONE, None),
    ("source", OPTIONAL, None),
    ("scope", ONE, None),
    ("restriction", OPTIONAL, None),
    ("addresses", OPTIONAL, None),
    ("code", MANY, None),
    ("note", OPTIONAL, None),
    ("references", OPTIONAL, None),
    ("incidents", OPTIONAL, None),
    ("info", MANY, _INFO),
)
"""The elements of a CAP 1.2 alert, in the order the schema requires."""

Tree = dict[str, Any]


def _put(tree: Tree, key: str, value: Any) -> None:
    """Set a key unless the value is absent (None or an empty list)."""
    if value is not None and value != []:
        tree[key] = value


def _pairs(pairs: Sequence[ValuePair]) -> list[Tree]:
    return [{"valueName": p.value_name, "value": p.value} for p in pairs]


def _optional_time(moment: datetime | None) -> str | None:
    return format_time(moment) if moment is not None else None


def _optional_number(value: float | None) -> str | None:
    return _number(value) if value is not None else None


def _area_tree(area: Area) -> Tree:
    tree: Tree = {"areaDesc": area.area_desc}
    _put(
        tree,
        "polygon",
        [
            " ".join(f"{_number(lat)},{_number(lon)}" for lat, lon in p.points)
            for p in area.polygons
        ],
    )
    _put(
        tree,
        "circle",
        [f"{_number(c.lat)},{_number(c.lon)} {_number(c.radius_km)}" for c in area.circles],
    )
    _put(tree, "geocode", _pairs(area.geocodes))
    _put(tree, "altitude", _optional_number(area.altitude))
    _put(tree, "ceiling", _optional_number(area.ceiling))
    return tree


def _resource_tree(resource: Resource) -> Tree:
    tree: Tree = {"resourceDesc": resource.resource_desc, "mimeType": resource.mime_type}
    _put(tree, "size", str(resource.size) if resource.size is not None else None)
    _put(tree, "uri", resource.uri)
    _put(tree, "derefUri", resource.deref_uri)
    _put(tree, "digest", resource.digest)
    return tree


def _info_tree(info: Info) -> Tree:
    tree: Tree = {}
    _put(tree, "language", info.language)
    tree["category"] = [c.value for c in info.categories]
    tree["event"] = info.event
    _put(tree, "responseType", [r.value for r in info.response_types])
    tree["urgency"] = info.urgency.value
    tree["severity"] = info.severity.value
    tree["certainty"] = info.certainty.value
    _put(tree, "audience", info.audience)
    _put(tree, "eventCode", _pairs(info.event_codes))
    _put(tree, "effective", _optional_time(info.effective))
    _put(tree, "onset", _optional_time(info.onset))
    _put(tree, "expires", _optional_time(info.expires))
    _put(tree, "senderName", info.sender_name)
    _put(tree, "headline", info.headline)
    _put(tree, "description", info.description)
    _put(tree, "instruction", info.instruction)
    _put(tree, "web", info.web)
    _put(tree, "contact", info.contact)
    _put(tree, "parameter", _pairs(info.parameters))
    _put(tree, "resource", [_resource_tree(r) for r in info.resources])
    _put(tree, "area", [_area_tree(a) for a in info.areas])
    return tree


def to_json(alert: Alert) -> Tree:
    """The alert as a JSON object that mirrors the CAP XML: one key per element, named as
    in CAP; repeatable elements (`code`, `info`, `category`, `parameter`, `area`,
    `polygon`, `circle`...) as arrays; every value a string in its CAP form (times with
    their offset, polygons as ``"lat,lon lat,lon ..."``). Absent elements are left out."""
    tree: Tree = {
        "identifier": alert.identifier,
        "sender": alert.sender,
        "sent": format_time(alert.sent),
        "status": alert.status.value,
        "msgType": alert.msg_type.value,
    }
    _put(tree, "source", alert.source)
    tree["scope"] = alert.scope.value
    _put(tree, "restriction", alert.restriction)
    _put(tree, "addresses", _quoted_list(alert.addresses) if alert.addresses else None)
    _put(tree, "code", list(alert.codes))
    _put(tree, "note", alert.note)
    _put(tree, "references", " ".join(str(r) for r in alert.references) or None)
    _put(tree, "incidents", _quoted_list(alert.incidents) if alert.incidents else None)
    _put(tree, "info", [_info_tree(i) for i in alert.info])
    return tree


def _write(parent: ET.Element, tree: Tree, spec: Spec) -> None:
    for name, multiplicity, sub in spec:
        if name not in tree:
            continue
        values = tree[name] if multiplicity in (MANY, SOME) else [tree[name]]
        for value in values:
            element = ET.SubElement(parent, f"{{{CAP_NAMESPACE}}}{name}")
            if sub is None:
                element.text = value
            else:
                _write(element, value, sub)


def to_xml(alert: Alert) -> bytes:
    """The alert as a CAP 1.2 XML document, UTF-8, indented. The same alert always gives
    the same bytes."""
    root = ET.Element(f"{{{CAP_NAMESPACE}}}alert")
    _write(root, to_json(alert), _ALERT)
    ET.indent(root, space="  ")
    body: bytes = ET.tostring(root, encoding="utf-8", default_namespace=CAP_NAMESPACE)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body + b"\n"


# --- reading ---------------------------------------------------------------------------


class _RefusedError(Exception):
    """Raised from inside the XML parser's handlers; turned into an InputError."""


def _parse_xml(data: bytes | str) -> ET.Element:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise InputError(
            f"document: {len(raw):,} bytes; a CAP message may be at most "
            f"{MAX_DOCUMENT_BYTES:,} bytes",
            field="document",
        )
    builder = ET.TreeBuilder()
    parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def tag(name: str) -> str:
        return "{" + name if "}" in name else name

    def refuse_dtd(*_: object) -> None:
        raise _RefusedError(
            "document: a DOCTYPE declaration is not allowed in a CAP message (it can "
            "declare entities that expand without bound); send the alert without it"
        )

    def refuse_entity(*_: object) -> None:
        raise _RefusedError("document: entity declarations are not allowed in a CAP message")

    def refuse_external(*_: object) -> int:
        raise _RefusedError("document: external entities are not allowed in a CAP message")

    parser.StartElementHandler = lambda name, attrs: builder.start(tag(name), attrs)
    parser.EndElementHandler = lambda name: builder.end(tag(name))
    parser.CharacterDataHandler = builder.data
    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    try:
        parser.Parse(raw, True)
    except _RefusedError as refusal:
        raise InputError(str(refusal), field="document") from None
    except (LookupError, ValueError) as error:  # an unknown or multi-byte encoding= given
        raise InputError(
            f"document: cannot be read ({error}); send the alert in UTF-8", field="document"
        ) from None
    except xml.parsers.expat.ExpatError as error:
        raise InputError(
            f"document: not well-formed XML ({xml.parsers.expat.errors.messages[error.code]}"
            f" at line {error.lineno}, column {error.offset + 1})",
            field="document",
        ) from None
    return builder.close()


def _read(element: ET.Element, spec: Spec, path: str) -> Tree:
    """The children of an element as a tree, checked against the spec: known names, in
    the schema's order, as many as allowed."""
    children = [
        child
        for child in element
        if isinstance(child.tag, str) and not child.tag.startswith("{http://www.w3.org/2000/09/")
    ]
    if (element.text or "").strip() or any((child.tail or "").strip() for child in element):
        raise InputError(f"{path}: text outside of any element", field=path)
    tree: Tree = {}
    position = 0
    for name, multiplicity, sub in spec:
        found = []
        while position < len(children) and children[position].tag == f"{{{CAP_NAMESPACE}}}{name}":
            found.append(children[position])
            position += 1
        if multiplicity in (ONE, SOME) and not found:
            raise InputError(
                f"{path}.{name}: missing; a CAP {name} element is required here",
                field=f"{path}.{name}",
            )
        if multiplicity in (ONE, OPTIONAL) and len(found) > 1:
            raise InputError(
                f"{path}.{name}: given {len(found)} times; CAP allows it once",
                field=f"{path}.{name}",
            )
        values: list[Any] = []
        for index, child in enumerate(found):
            where = f"{path}.{name}" + (f"[{index}]" if multiplicity in (MANY, SOME) else "")
            if sub is None:
                if len(child):
                    raise InputError(f"{where}: expected text, found elements", field=where)
                values.append(child.text or "")
            else:
                values.append(_read(child, sub, where))
        if values:
            tree[name] = values if multiplicity in (MANY, SOME) else values[0]
    if position < len(children):
        extra = children[position].tag
        local = extra.split("}", 1)[-1]
        known = [name for name, _, _ in spec]
        where = "in the wrong place" if local in known else "not a CAP 1.2 element here"
        raise InputError(
            f"{path}.{local}: {where}; expected, in this order: {', '.join(known)}",
            field=f"{path}.{local}",
        )
    return tree


def parse_cap(data: bytes | str) -> Alert:
    """The alert of a CAP 1.2 XML document; refuses (`InputError`, naming the element) a
    document that is not well-formed, has a DTD, is not CAP 1.2, or breaks its rules."""
    root = _parse_xml(data)
    if root.tag != f"{{{CAP_NAMESPACE}}}alert":
        raise InputError(
            f"document: the root element is {root.tag!r}; a CAP 1.2 message is an 'alert' "
            f"element in the namespace {CAP_NAMESPACE}",
            field="document",
        )
    return _alert_from_tree(_read(root, _ALERT, "alert"), "alert")


def alert_from_json(data: Mapping[str, Any]) -> Alert:
    """The alert of the JSON form written by `to_json`; refuses unknown keys, wrong types
    and broken CAP rules with an `InputError` naming the key."""
    return _alert_from_tree(_check_json(data, _ALERT, "alert"), "alert")


def _check_json(data: Any, spec: Spec, path: str) -> Tree:
    if not isinstance(data, Mapping):
        raise InputError(f"{path}: expected an object", field=path)
    known = {name: (multiplicity, sub) for name, multiplicity, sub in spec}
    for key in data:
        if key not in known:
            raise InputError(
                f"{path}.{key}: not a CAP 1.2 element here; expected one of {', '.join(known)}",
                field=f"{path}.{key}",
            )
    tree: Tree = {}
    for name, (multiplicity, sub) in known.items():
        where = f"{path}.{name}"
        if name not in data:
            if multiplicity in (ONE, SOME):
                raise InputError(f"{where}: missing", field=where)
            continue
        value = data[name]
        many = multiplicity in (MANY, SOME)
        items = value if many else [value]
        if many and (not isinstance(value, list) or (multiplicity == SOME and not value)):
            raise InputError(f"{where}: expected a non-empty array", field=where)
        checked: list[Any] = []
        for index, item in enumerate(items):
            at = f"{where}[{index}]" if many else where
            if sub is None:
                if not isinstance(item, str):
                    raise InputError(f"{at}: expected a string", field=at)
                checked.append(item)
            else:
                checked.append(_check_json(item, sub, at))
        tree[name] = checked if many else checked[0]
    return tree


def _enum(kind: type[_E], text: str, field: str) -> _E:
    try:
        return kind(text.strip())
    except ValueError:
        raise InputError(
            f"{field}: {text!r} is not one of {', '.join(v.value for v in kind)}", field=field
        ) from None


def _float(text: str, field: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InputError(f"{field}: {text!r} is not a number", field=field) from None
    if not math.isfinite(value):
        raise InputError(f"{field}: {text!r} is not a finite number", field=field)
    return value


def _lat_lon(text: str, field: str) -> tuple[float, float]:
    parts = text.split(",")
    if len(parts) != 2:
        raise InputError(f"{field}: {text!r} is not a 'latitude,longitude' pair", field=field)
    return _float(parts[0], field), _float(parts[1], field)


def _polygon(text: str, field: str) -> Tree:
    return {"points": [_lat_lon(pair, field) for pair in text.split()]}


def _circle(text: str, field: str) -> Tree:
    parts = text.split()
    if len(parts) != 2:
        raise InputError(
            f"{field}: {text!r} is not a circle; write 'latitude,longitude radius_km'",
            field=field,
        )
    lat, lon = _lat_lon(parts[0], field)
    return {"lat": lat, "lon": lon, "radius_km": _float(parts[1], field)}


def _reference(text: str, field: str) -> Tree:
    parts = text.split(",")
    if len(parts) != 3:
        raise InputError(
            f"{field}: {text!r} is not a reference; write 'sender,identifier,sent'", field=field
        )
    return {"sender": parts[0], "identifier": parts[1], "sent": _parse_time(parts[2], field)}


def _built(model: type[_M], values: dict[str, Any], field: str) -> _M:
    try:
        return model.model_validate(values)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join([field, *(str(part) for part in first["loc"])])
        raise InputError(f"{where}: {first['msg']}", field=where) from None


def _pair_values(trees: Sequence[Tree], field: str) -> list[ValuePair]:
    return [
        _built(
            ValuePair,
            {"value_name": t["valueName"], "value": t["value"]},
            f"{field}[{i}]",
        )
        for i, t in enumerate(trees)
    ]


def _area_from_tree(tree: Tree, path: str) -> Area:
    polygons = [
        _built(Polygon, _polygon(text, f"{path}.polygon[{i}]"), f"{path}.polygon[{i}]")
        for i, text in enumerate(tree.get("polygon", []))
    ]
    circles = [
        _built(Circle, _circle(text, f"{path}.circle[{i}]"), f"{path}.circle[{i}]")
        for i, text in enumerate(tree.get("circle", []))
    ]
    values: dict[str, Any] = {
        "area_desc": tree["areaDesc"],
        "polygons": polygons,
        "circles": circles,
        "geocodes": _pair_values(tree.get("geocode", []), f"{path}.geocode"),
    }
    for key, name in (("altitude", "altitude"), ("ceiling", "ceiling")):
        if name in tree:
            values[key] = _float(tree[name], f"{path}.{name}")
    return _built(Area, values, path)


def _resource_from_tree(tree: Tree, path: str) -> Resource:
    values: dict[str, Any] = {"resource_desc": tree["resourceDesc"], "mime_type": tree["mimeType"]}
    if "size" in tree:
        try:
            values["size"] = int(tree["size"])
        except ValueError:
            raise InputError(
                f"{path}.size: {tree['size']!r} is not an integer", field=path
            ) from None
    for key, name in (("uri", "uri"), ("deref_uri", "derefUri"), ("digest", "digest")):
        if name in tree:
            values[key] = tree[name]
    return _built(Resource, values, path)


_INFO_TEXTS = {
    "language": "language",
    "audience": "audience",
    "senderName": "sender_name",
    "headline": "headline",
    "description": "description",
    "instruction": "instruction",
    "web": "web",
    "contact": "contact",
}


def _info_from_tree(tree: Tree, path: str) -> Info:
    values: dict[str, Any] = {
        "categories": [
            _enum(Category, c, f"{path}.category[{i}]") for i, c in enumerate(tree["category"])
        ],
        "event": tree["event"],
        "response_types": [
            _enum(ResponseType, r, f"{path}.responseType[{i}]")
            for i, r in enumerate(tree.get("responseType", []))
        ],
        "urgency": _enum(Urgency, tree["urgency"], f"{path}.urgency"),
        "severity": _enum(CapSeverity, tree["severity"], f"{path}.severity"),
        "certainty": _enum(Certainty, tree["certainty"], f"{path}.certainty"),
        "event_codes": _pair_values(tree.get("eventCode", []), f"{path}.eventCode"),
        "parameters": _pair_values(tree.get("parameter", []), f"{path}.parameter"),
        "resources": [
            _resource_from_tree(r, f"{path}.resource[{i}]")
            for i, r in enumerate(tree.get("resource", []))
        ],
        "areas": [
            _area_from_tree(a, f"{path}.area[{i}]") for i, a in enumerate(tree.get("area", []))
        ],
    }
    for name, key in _INFO_TEXTS.items():
        if name in tree:
            values[key] = tree[name]
    for name in ("effective", "onset", "expires"):
        if name in tree:
            values[name] = _parse_time(tree[name], f"{path}.{name}")
    return _built(Info, values, path)


def _alert_from_tree(tree: Tree, path: str) -> Alert:
    values: dict[str, Any] = {
        "identifier": tree["identifier"],
        "sender": tree["sender"],
        "sent": _parse_time(tree["sent"], f"{path}.sent"),
        "status": _enum(CapStatus, tree["status"], f"{path}.status"),
        "msg_type": _enum(MsgType, tree["msgType"], f"{path}.msgType"),
        "scope": _enum(Scope, tree["scope"], f"{path}.scope"),
        "codes": tree.get("code", []),
        "info": [
            _info_from_tree(t, f"{path}.info[{i}]") for i, t in enumerate(tree.get("info", []))
        ],
    }
    for name in ("source", "restriction", "note"):
        if name in tree:
            values[name] = tree[name]
    if "addresses" in tree:
        values["addresses"] = _split_quoted(tree["addresses"])
    if "incidents" in tree:
        values["incidents"] = _split_quoted(tree["incidents"])
    if "references" in tree:
        values["references"] = [
            _built(Reference, _reference(text, f"{path}.references"), f"{path}.references")
            for text in tree["references"].split()
        ]
    return _built(Alert, values, path)


# --- alerts of Truceline's determinations -----------------------------------------------


class Releasability(_Cap):
    """Who may read an alert; decides its CAP `scope`.

    - ``public``: anyone (scope Public);
    - ``restricted``: those the `restriction` text names, e.g. "Coalition members and the
      joint coordination cell" (scope Restricted);
    - ``private``: only the organisations in `addresses` (scope Private).
    """

    level: Literal["public", "restricted", "private"]
    restriction: CapText | None = None
    addresses: tuple[CapAddress, ...] = ()

    @model_validator(mode="after")
    def _complete(self) -> Releasability:
        if self.level == "restricted" and self.restriction is None:
            raise ValueError("a restricted alert needs a restriction: who may see it")
        if self.level == "private" and not self.addresses:
            raise ValueError("a private alert needs addresses: the organisations it goes to")
        return self


class AlertSettings(_Cap):
    """What the mission decides about its alerts, beyond what the determination says."""

    sender: CapToken = Field(description="Who sends, e.g. 'jcc@monitoring.example'.")
    sender_name: CapText | None = Field(default=None, description="Its name, for people.")
    status: CapStatus = Field(
        description="Actual for real events; Exercise for a simulated theatre or a drill."
    )
    releasability: Releasability
    language: CapLanguage = "en"
    area_shape: Literal["circle", "polygon"] = Field(
        default="circle",
        description="The incident's location uncertainty as a circle, or as a 32-sided "
        "polygon for recipients that read only polygons.",
    )


SEVERITY_TO_CAP = {
    Severity.CRITICAL: CapSeverity.EXTREME,
    Severity.HIGH: CapSeverity.SEVERE,
    Severity.MEDIUM: CapSeverity.MODERATE,
    Severity.LOW: CapSeverity.MINOR,
}
"""CAP severity of each severity of the agreement (no severity: Unknown)."""


def cap_severity(severity: Severity | None) -> CapSeverity:
    return SEVERITY_TO_CAP.get(severity, CapSeverity.UNKNOWN) if severity else CapSeverity.UNKNOWN


def cap_certainty(confidence: float, *, signed: bool) -> Certainty:
    """Observed for a determination two reviewers signed; otherwise from the confidence:
    Likely from 0.5, Possible from 0.05, Unlikely below."""
    if signed:
        return Certainty.OBSERVED
    if confidence >= 0.5:
        return Certainty.LIKELY
    if confidence >= 0.05:
        return Certainty.POSSIBLE
    return Certainty.UNLIKELY


def cap_urgency(first_deadline_hours: float | None) -> Urgency:
    """From the deadline of the first step of the response protocol: Immediate within an
    hour, Expected within a day, Future beyond; Unknown when no step applies."""
    if first_deadline_hours is None:
        return Urgency.UNKNOWN
    if first_deadline_hours <= 1:
        return Urgency.IMMEDIATE
    if first_deadline_hours <= 24:
        return Urgency.EXPECTED
    return Urgency.FUTURE


_SEVERITY_ORDER = list(Severity)


def triggered_tiers(
    tiers: Sequence[ResponseTier], *, clear_breach: bool, severity: Severity | None
) -> list[ResponseTier]:
    """The tiers of the response protocol a determination starts, in protocol order: a tier
    whose trigger needs a clear breach only for a clear breach, and only from its least
    severity."""
    if severity is None:
        return []
    rank = _SEVERITY_ORDER.index(severity)
    return [
        tier
        for tier in tiers
        if (clear_breach or not tier.trigger.clear_breach)
        and rank >= _SEVERITY_ORDER.index(tier.trigger.min_severity)
    ]


def instruction_of(tier: ResponseTier) -> str:
    """The instruction of a step: 'Notify the joint coordination cell within 1 h: ...'."""
    text = f"{tier.name} within {tier.deadline_hours:g} h of this alert"
    return f"{text}: {tier.description}" if tier.description else f"{text}."


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _uncertainty_polygon(lat: float, lon: float, radius_km: float) -> Polygon:
    """A 32-sided geodesic polygon around a point, counter-clockwise, closed."""
    radius_m = max(radius_km, 0.01) * 1000.0
    azimuths = [360.0 - 360.0 * i / 32 for i in range(32)]
    lons, lats, _ = _GEOD.fwd([lon] * 32, [lat] * 32, azimuths, [radius_m] * 32)
    points = [(float(a), float(o)) for a, o in zip(lats, lons, strict=True)]
    return Polygon(points=(*points, points[0]))


def _area(
    determination: Determination, incident: Incident, agreement: Agreement, shape: str
) -> Area:
    radius_km = incident.location_uncertainty_m / 1000.0
    try:
        side = agreement.party(determination.side).held_by_words
    except KeyError:
        side = f"{determination.side}-held"
    north = "N" if incident.lat >= 0 else "S"
    east = "E" if incident.lon >= 0 else "W"
    description = (
        f"Within {_number(round(radius_km, 3))} km of {abs(incident.lat):.5f}° {north} "
        f"{abs(incident.lon):.5f}° {east}, on the {side} side, "
        f"{determination.distance_to_line_m / 1000.0:.1f} km from the line of contact"
    )
    if determination.zones:
        description += f"; zones: {', '.join(determination.zones)}"
    if shape == "polygon":
        return Area(
            area_desc=description,
            polygons=(_uncertainty_polygon(incident.lat, incident.lon, radius_km),),
        )
    return Area(
        area_desc=description,
        circles=(Circle(lat=incident.lat, lon=incident.lon, radius_km=radius_km),),
    )


def _parameters(determination: Determination, agreement: Agreement) -> tuple[ValuePair, ...]:
    pairs = [
        ("agreementId", agreement.id),
        ("agreementVersion", str(agreement.version)),
        ("determinationId", determination.id),
        ("incidentId", determination.incident_id),
        *(("ruleCode", code) for code in determination.rules),
        ("severity", determination.severity.value if determination.severity else "none"),
        ("clearBreach", "true" if determination.clear_breach else "false"),
        ("confidence", f"{determination.confidence:.2f}"),
        ("independentSources", str(determination.independent_sources)),
    ]
    if determination.attributed_to:
        pairs.append(("attributedTo", determination.attributed_to))
    return tuple(ValuePair(value_name=name, value=value) for name, value in pairs)


def breach_alert(
    determination: Determination,
    incident: Incident,
    agreement: Agreement,
    review: ReviewState,
    settings: AlertSettings,
) -> Alert:
    """The CAP alert of a clear breach that two reviewers have signed.

    It is sent when the second signature was given, and its identifier is derived from the
    sender, the status and the determination, so the same signed determination always gives
    the same alert. Refused (`InputError`) when the determination is not a clear breach, is
    not of this incident or agreement version, or is not the one two reviewers signed.
    """
    if not determination.clear_breach:
        raise InputError(
            f"determination {determination.id} is {determination.status.value}, not a clear "
            "breach; only a signed clear breach raises an alert",
            field="determination.clear_breach",
        )
    if determination.incident_id != incident.id or review.incident_id != incident.id:
        raise InputError(
            f"determination {determination.id} (incident {determination.incident_id}), "
            f"incident {incident.id} and review (incident {review.incident_id}) do not match",
            field="incident",
        )
    if (determination.agreement_id, determination.agreement_version) != (
        agreement.id,
        agreement.version,
    ):
        raise InputError(
            f"determination {determination.id} applied {determination.agreement_id} version "
            f"{determination.agreement_version}, not {agreement.id} version {agreement.version}",
            field="agreement",
        )
    signed_at = review.signed_at
    if review.status is not ReviewStatus.SIGNED or signed_at is None:
        raise InputError(
            f"incident {incident.id} is {review.status.value}; a clear breach is alerted once "
            "two different reviewers have signed it",
            field="review.status",
        )
    if review.signed_determination_id != determination.id:
        raise InputError(
            f"the reviewers signed determination {review.signed_determination_id}, not "
            f"{determination.id}",
            field="review.signatures",
        )
    tiers = triggered_tiers(
        agreement.response_protocol,
        clear_breach=True,
        severity=determination.severity,
    )
    rules = ", ".join(determination.rules)
    headline = f"Clear breach of {rules}"
    if determination.attributed_to:
        headline += f" attributed to {determination.attributed_to}"
    if determination.severity:
        headline += f" (severity {determination.severity.value})"
    sent = _whole_seconds(signed_at)
    release = settings.releasability
    info = Info(
        language=settings.language,
        categories=(Category.SECURITY,),
        event="Ceasefire breach",
        response_types=(ResponseType.ASSESS,),
        urgency=cap_urgency(tiers[0].deadline_hours if tiers else None),
        severity=cap_severity(determination.severity),
        certainty=cap_certainty(determination.confidence, signed=True),
        effective=sent,
        onset=incident.start,
        sender_name=settings.sender_name,
        headline=headline[:160],
        description=determination.explanation,
        instruction=instruction_of(tiers[0]) if tiers else None,
        parameters=_parameters(determination, agreement),
        areas=(_area(determination, incident, agreement, settings.area_shape),),
    )
    identifier = "truceline-" + _digest(
        settings.sender,
        settings.status.value,
        MsgType.ALERT.value,
        format_time(sent),
        determination.id,
        release.level,
        release.restriction or "",
        *release.addresses,
    )
    return Alert(
        identifier=identifier,
        sender=settings.sender,
        sent=sent,
        status=settings.status,
        msg_type=MsgType.ALERT,
        scope=Scope(release.level.capitalize()),
        restriction=release.restriction if release.level == "restricted" else None,
        addresses=release.addresses if release.level == "private" else (),
        incidents=(incident.id,),
        info=(info,),
    )


def _follow_up(
    thread: Sequence[Alert],
    msg_type: MsgType,
    sent: datetime,
    note: str,
    info: Sequence[Info],
) -> Alert:
    if not thread:
        raise InputError(
            f"an {msg_type.value} refers to earlier messages; the thread is empty",
            field="thread",
        )
    first = thread[0]
    when = _whole_seconds(sent)
    for index, earlier in enumerate(thread):
        if earlier.sent > when:
            raise InputError(
                f"thread[{index}] ({earlier.identifier}) was sent at "
                f"{format_time(earlier.sent)}, after this {msg_type.value} "
                f"({format_time(when)}); a message cannot refer to a later one",
                field="sent",
            )
    references = tuple(alert.reference for alert in thread)
    identifier = "truceline-" + _digest(
        first.sender,
        first.status.value,
        msg_type.value,
        format_time(when),
        note,
        *(str(r) for r in references),
    )
    return Alert(
        identifier=identifier,
        sender=first.sender,
        sent=when,
        status=first.status,
        msg_type=msg_type,
        scope=first.scope,
        restriction=first.restriction,
        addresses=first.addresses,
        note=note,
        references=references,
        incidents=first.incidents,
        info=tuple(info),
    )


def update_alert(
    thread: Sequence[Alert],
    *,
    sent: datetime,
    note: str,
    info: Sequence[Info] | None = None,
) -> Alert:
    """An Update of a thread of messages (the alert and its updates so far, oldest first).
    It references every message of the thread, keeps the first one's sender, status and
    scope, and carries `info` (default: the latest info of the thread)."""
    if info is None:
        info = next((alert.info for alert in reversed(thread) if alert.info), ())
    return _follow_up(thread, MsgType.UPDATE, sent, note, info)


def cancel_alert(thread: Sequence[Alert], *, sent: datetime, note: str) -> Alert:
    """A Cancel of every message of the thread; `note` says why (e.g. the determination was
    withdrawn after new evidence)."""
    return _follow_up(thread, MsgType.CANCEL, sent, note, ())


def replace_info(info: Info, **changes: Any) -> Info:
    """A copy of an info block with some fields changed, validated again."""
    return Info.model_validate({**info.model_dump(), **changes})
