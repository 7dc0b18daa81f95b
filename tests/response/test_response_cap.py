"""CAP 1.2 alerts: every document checked by an independent validator (xmlschema) against
the OASIS CAP 1.2 schema; XML and JSON round trips; the mapping; safe reading."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from response_support import (
    GEOD,
    T0,
    act,
    adjudicator,
    assert_valid_cap,
    at_km,
    judge,
    loaded_agreement,
    make_incident,
    shelling,
    signed_state,
)
from response_support import settings as alert_settings
from shapely.geometry import MultiLineString, MultiPolygon, shape

from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement, Severity
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Kind
from truceline.response.cap import (
    Alert,
    Area,
    CapSeverity,
    CapStatus,
    Category,
    Certainty,
    Circle,
    Info,
    MsgType,
    Polygon,
    Reference,
    Resource,
    ResponseType,
    Scope,
    Urgency,
    ValuePair,
    alert_from_json,
    breach_alert,
    cancel_alert,
    cap_certainty,
    cap_severity,
    parse_cap,
    to_json,
    to_xml,
    update_alert,
)
from truceline.response.review import ReviewStatus, Role, review_state
from truceline.sources.registry import SourceRegistry


@pytest.fixture(scope="module")
def loaded() -> LoadedAgreement:
    return loaded_agreement()


@pytest.fixture(scope="module")
def adj(loaded: LoadedAgreement) -> Adjudicator:
    return adjudicator(loaded)


@pytest.fixture(scope="module")
def case(adj: Adjudicator) -> tuple[Incident, Determination]:
    incident = shelling()
    return incident, judge(adj, incident)


def _alert(case: tuple[Incident, Determination], agreement: Agreement, **kwargs: Any) -> Alert:
    incident, determination = case
    state = signed_state(incident.id, determination.id)
    return breach_alert(determination, incident, agreement, state, alert_settings(**kwargs))


def _round_trips(alert: Alert) -> bytes:
    document = to_xml(alert)
    assert_valid_cap(document)
    assert parse_cap(document) == alert
    encoded = json.dumps(to_json(alert), sort_keys=True)
    assert alert_from_json(json.loads(encoded)) == alert
    return document


@pytest.mark.parametrize("level", ["public", "restricted", "private"])
@pytest.mark.parametrize("shape_name", ["circle", "polygon"])
def test_the_alert_of_a_signed_clear_breach_is_valid_cap(
    case: tuple[Incident, Determination], loaded: LoadedAgreement, level: str, shape_name: str
) -> None:
    alert = _alert(case, loaded.agreement, level=level, area_shape=shape_name)
    document = _round_trips(alert)
    assert document.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<alert xmlns="urn:oasis')
    assert alert.scope is Scope(level.capitalize())
    if level == "restricted":
        assert b"<restriction>Coalition members and the joint coordination cell<" in document
    if level == "private":
        assert b'<addresses>US FR "Joint Coordination Cell"</addresses>' in document
    if level == "public":
        assert b"<restriction>" not in document
        assert b"<addresses>" not in document


def test_what_the_alert_says(case: tuple[Incident, Determination], loaded: LoadedAgreement) -> None:
    incident, determination = case
    alert = _alert(case, loaded.agreement)
    (info,) = alert.info
    assert alert.msg_type is MsgType.ALERT
    assert alert.status is CapStatus.ACTUAL
    assert alert.sent == T0 + timedelta(minutes=50)  # the second signature
    assert alert.incidents == (incident.id,)
    assert info.categories == (Category.SECURITY,)
    assert info.severity is CapSeverity.SEVERE  # CV-FIRE is high
    assert info.certainty is Certainty.OBSERVED  # signed by two reviewers
    assert info.urgency is Urgency.IMMEDIATE  # the first step is due within the hour
    assert info.description == determination.explanation
    assert info.headline == "Clear breach of CV-FIRE attributed to RU (severity high)"
    assert info.instruction == (
        "Notify the joint coordination cell within 1 h of this alert: The duty officer "
        "alerts the cell and every coalition member."
    )
    assert info.onset == incident.start
    assert info.parameter("agreementId") == "test-ceasefire"
    assert info.parameter("agreementVersion") == "1"
    assert info.parameter("determinationId") == determination.id
    assert info.parameter_values("ruleCode") == ("CV-FIRE",)
    assert info.parameter("attributedTo") == "RU"
    (area,) = info.areas
    (circle,) = area.circles
    assert (circle.lat, circle.lon) == (round(incident.lat, 6), round(incident.lon, 6))
    assert circle.radius_km == 0.25
    assert "3.0 km from the line of contact" in area.area_desc
    assert "Ukrainian-held side" in area.area_desc
    # CAP wants latitude first.
    assert f"<circle>{incident.lat:.6f},{incident.lon:.6f} 0.25</circle>".encode() in to_xml(alert)


def test_the_polygon_surrounds_the_incident_at_its_uncertainty(
    case: tuple[Incident, Determination], loaded: LoadedAgreement
) -> None:
    incident, _ = case
    alert = _alert(case, loaded.agreement, area_shape="polygon")
    (polygon,) = alert.info[0].areas[0].polygons
    assert len(polygon.points) == 33
    assert polygon.points[0] == polygon.points[-1]
    for lat, lon in polygon.points:
        _, _, distance = GEOD.inv(incident.lon, incident.lat, lon, lat)
        assert distance == pytest.approx(250.0, abs=0.2)


def test_a_simulated_theatre_sends_an_exercise(
    case: tuple[Incident, Determination], loaded: LoadedAgreement
) -> None:
    actual = _alert(case, loaded.agreement)
    exercise = _alert(case, loaded.agreement, status=CapStatus.EXERCISE)
    assert b"<status>Exercise</status>" in _round_trips(exercise)
    assert exercise.identifier != actual.identifier


def test_the_same_signed_determination_gives_the_same_document(
    case: tuple[Incident, Determination], loaded: LoadedAgreement
) -> None:
    first = to_xml(_alert(case, loaded.agreement))
    assert to_xml(_alert(case, loaded.agreement)) == first
    assert to_xml(parse_cap(first)) == first
    private = _alert(case, loaded.agreement, level="private")
    assert private.identifier != parse_cap(first).identifier


def test_the_mapping_of_severity_and_certainty() -> None:
    assert [cap_severity(s) for s in Severity] == [
        CapSeverity.MINOR,
        CapSeverity.MODERATE,
        CapSeverity.SEVERE,
        CapSeverity.EXTREME,
    ]
    assert cap_severity(None) is CapSeverity.UNKNOWN
    assert cap_certainty(0.2, signed=True) is Certainty.OBSERVED
    assert cap_certainty(0.5, signed=False) is Certainty.LIKELY
    assert cap_certainty(0.49, signed=False) is Certainty.POSSIBLE
    assert cap_certainty(0.01, signed=False) is Certainty.UNLIKELY


def test_urgency_and_instruction_follow_the_protocol(adj: Adjudicator) -> None:
    presence = make_incident("presence", *at_km(2.0, "west"), (Kind.ARMED_PRESENCE,))
    later = loaded_agreement(
        response_protocol=[
            {"name": "Consultation", "trigger": {"min_severity": "medium"}, "deadline_hours": 12},
            {"name": "Statement", "trigger": {"min_severity": "high"}, "deadline_hours": 72},
        ]
    )
    determination = judge(adjudicator(later), presence)
    assert determination.severity is Severity.MEDIUM
    state = signed_state(presence.id, determination.id)
    alert = breach_alert(determination, presence, later.agreement, state, alert_settings())
    assert alert.info[0].urgency is Urgency.EXPECTED
    assert alert.info[0].severity is CapSeverity.MODERATE
    assert alert.info[0].instruction == "Consultation within 12 h of this alert."
    none = loaded_agreement(response_protocol=[])
    determination = judge(adjudicator(none), presence)
    state = signed_state(presence.id, determination.id)
    bare = breach_alert(determination, presence, none.agreement, state, alert_settings())
    assert bare.info[0].urgency is Urgency.UNKNOWN
    assert bare.info[0].instruction is None
    _round_trips(bare)


def test_only_a_signed_clear_breach_raises_an_alert(
    case: tuple[Incident, Determination], adj: Adjudicator, loaded: LoadedAgreement
) -> None:
    incident, determination = case
    settings_ = alert_settings()
    signed = signed_state(incident.id, determination.id)
    weak = shelling("weak", confidence=0.5)
    suspected = judge(adj, weak)
    with pytest.raises(InputError, match="not a clear breach") as caught:
        breach_alert(suspected, weak, loaded.agreement, signed, settings_)
    assert caught.value.field == "determination.clear_breach"
    once = review_state(
        [
            act(incident.id, "confirm", 1),
            act(
                incident.id, "sign", 2, role=Role.SENIOR_ANALYST, determination_id=determination.id
            ),
        ],
        T0 + timedelta(hours=1),
    )
    assert once.status is ReviewStatus.SIGNED_ONCE
    with pytest.raises(InputError, match="two different reviewers have signed") as caught:
        breach_alert(determination, incident, loaded.agreement, once, settings_)
    assert caught.value.field == "review.status"
    other = signed_state(incident.id, "det-other")
    with pytest.raises(InputError, match="signed determination det-other") as caught:
        breach_alert(determination, incident, loaded.agreement, other, settings_)
    assert caught.value.field == "review.signatures"
    amended = loaded.agreement.model_copy(update={"version": 2})
    with pytest.raises(InputError, match="version 1, not test-ceasefire version 2") as caught:
        breach_alert(determination, incident, amended, signed, settings_)
    assert caught.value.field == "agreement"
    with pytest.raises(InputError, match="do not match"):
        breach_alert(determination, weak, loaded.agreement, signed, settings_)


def test_updates_and_cancels_reference_the_earlier_messages(
    case: tuple[Incident, Determination], loaded: LoadedAgreement
) -> None:
    alert = _alert(case, loaded.agreement)
    update = update_alert(
        [alert], sent=T0 + timedelta(hours=2, microseconds=5), note="A UAV pass confirms it."
    )
    cancel = cancel_alert(
        [alert, update],
        sent=T0 + timedelta(hours=3),
        note="Withdrawn: the determination was amended.",
    )
    for message in (update, cancel):
        document = _round_trips(message)
        assert message.sender == alert.sender
        assert message.scope is alert.scope
        assert message.restriction == alert.restriction
        assert b"<info>" in document if message is update else b"<info>" not in document
    assert update.msg_type is MsgType.UPDATE
    assert update.sent == T0 + timedelta(hours=2)  # CAP times carry whole seconds
    assert update.info == alert.info
    assert [str(r) for r in cancel.references] == [
        f"jcc@monitoring.example,{alert.identifier},2026-02-01T12:50:00-00:00",
        f"jcc@monitoring.example,{update.identifier},2026-02-01T14:00:00-00:00",
    ]
    assert b"<references>jcc@monitoring.example," in to_xml(cancel)
    assert len({alert.identifier, update.identifier, cancel.identifier}) == 3
    with pytest.raises(InputError, match="a message cannot refer to a later one") as caught:
        update_alert([alert], sent=T0, note="too early")
    assert caught.value.field == "sent"
    with pytest.raises(InputError, match="the thread is empty"):
        cancel_alert([], sent=T0, note="nothing")


# --- reading: safety and refusals -------------------------------------------------------

MINIMAL = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>43b080713727</identifier>
  <sender>hsas@dhs.gov</sender>
  <sent>2003-04-02T14:39:01-05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>{extra}
</alert>
"""


ADVISORY = """<?xml version = "1.0" encoding = "UTF-8"?>
<alert xmlns = "urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>43b080713727</identifier>
  <sender>hsas@dhs.gov</sender>
  <sent>2003-04-02T14:39:01-05:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Security</category>
    <event>Homeland Security Advisory System Update</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Likely</certainty>
    <senderName>U.S. Government, Department of Homeland Security</senderName>
    <headline>Homeland Security Sets Code ORANGE</headline>
    <description>The threat level is elevated to ORANGE / High.</description>
    <instruction> A preliminary Advisory to Federal agencies follows. </instruction>
    <web>http://www.dhs.gov/dhspublic/display?theme=29</web>
    <parameter>
      <valueName>HSAS</valueName>
      <value>ORANGE</value>
    </parameter>
    <resource>
      <resourceDesc>Image file (GIF)</resourceDesc>
      <mimeType>image/gif</mimeType>
      <uri>http://www.dhs.gov/dhspublic/getAdvisoryImage</uri>
    </resource>
    <area>
      <areaDesc>U.S. nationwide and interests worldwide</areaDesc>
    </area>
  </info>
</alert>
"""


def test_a_cap_message_from_elsewhere_is_read() -> None:
    assert_valid_cap(ADVISORY.encode())
    alert = parse_cap(ADVISORY)
    assert alert.sent == datetime(2003, 4, 2, 19, 39, 1, tzinfo=UTC)
    (info,) = alert.info
    assert info.parameter("HSAS") == "ORANGE"
    assert info.resources[0].mime_type == "image/gif"
    assert info.instruction == "A preliminary Advisory to Federal agencies follows."
    assert info.areas[0].circles == ()
    rewritten = to_xml(alert)
    assert_valid_cap(rewritten)
    assert parse_cap(rewritten) == alert
    assert parse_cap(MINIMAL.format(extra="")).info == ()


BAD_DOCUMENTS = {
    "billion laughs": (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><alert>&lol2;</alert>',
        "document",
        "DOCTYPE declaration is not allowed",
    ),
    "external entity": (
        '<?xml version="1.0"?><!DOCTYPE a SYSTEM "file:///etc/passwd"><alert/>',
        "document",
        "DOCTYPE",
    ),
    "not XML": ("<alert><identifier>x</alert>", "document", "not well-formed XML"),
    "wrong root": ('<alert xmlns="urn:oasis:names:tc:emergency:cap:1.1"/>', "document", "1.2"),
    "Z time": (
        MINIMAL.format(extra="").replace("-05:00", "Z"),
        "alert.sent",
        "no 'Z'",
    ),
    "fraction": (
        MINIMAL.format(extra="").replace("01-05:00", "01.5-05:00"),
        "alert.sent",
        "no fractions",
    ),
    "bad status": (
        MINIMAL.format(extra="").replace("Actual", "Real"),
        "alert.status",
        "not one of Actual, Exercise",
    ),
    "unknown element": (
        MINIMAL.format(extra="<colour>red</colour>"),
        "alert.colour",
        "not a CAP 1.2 element here",
    ),
    "wrong order": (
        MINIMAL.format(extra="").replace(
            "<identifier>43b080713727</identifier>\n  <sender>hsas@dhs.gov</sender>",
            "<sender>hsas@dhs.gov</sender>\n  <identifier>43b080713727</identifier>",
        ),
        "alert.identifier",
        "missing",
    ),
    "twice": (
        MINIMAL.format(extra="<note>a</note><note>b</note>"),
        "alert.note",
        "CAP allows it once",
    ),
    "restricted without restriction": (
        MINIMAL.format(extra="").replace("Public", "Restricted"),
        "alert",
        "scope Restricted needs a restriction",
    ),
    "update without references": (
        MINIMAL.format(extra="").replace("<msgType>Alert", "<msgType>Update"),
        "alert",
        "needs references",
    ),
    "open polygon": (
        MINIMAL.format(
            extra="<info><category>Security</category><event>e</event><urgency>Past</urgency>"
            "<severity>Minor</severity><certainty>Likely</certainty><area><areaDesc>a</areaDesc>"
            "<polygon>48,36 48.1,36 48.1,36.1 48,36.1</polygon></area></info>"
        ),
        "alert.info[0].area[0].polygon[0]",
        "first and the last point",
    ),
    "latitude out of range": (
        MINIMAL.format(
            extra="<info><category>Security</category><event>e</event><urgency>Past</urgency>"
            "<severity>Minor</severity><certainty>Likely</certainty><area><areaDesc>a</areaDesc>"
            "<circle>95,36 1</circle></area></info>"
        ),
        "alert.info[0].area[0].circle[0].lat",
        "less than or equal to 90",
    ),
    "identifier with a space": (
        MINIMAL.format(extra="").replace("43b080713727", "43b 080713727"),
        "alert.identifier",
        "contains a space, comma",
    ),
    "text between elements": (
        MINIMAL.format(extra="stray words"),
        "alert",
        "text outside of any element",
    ),
}


@pytest.mark.parametrize("name", list(BAD_DOCUMENTS))
def test_a_bad_document_is_refused_naming_the_element(name: str) -> None:
    document, field, words = BAD_DOCUMENTS[name]
    with pytest.raises(InputError) as caught:
        parse_cap(document)
    assert caught.value.field == field, str(caught.value)
    assert words in str(caught.value)


def test_an_oversized_document_is_refused_unread() -> None:
    document = MINIMAL.format(extra="<note>" + "x" * 1_000_001 + "</note>")
    with pytest.raises(InputError, match="at most 1,000,000 bytes"):
        parse_cap(document)


def test_bad_json_is_refused_naming_the_key(
    case: tuple[Incident, Determination], loaded: LoadedAgreement
) -> None:
    tree = to_json(_alert(case, loaded.agreement))
    changes: list[tuple[dict[str, Any], str]] = [
        ({"colour": "red"}, "alert.colour"),
        ({"sent": 5}, "alert.sent"),
        ({"info": {}}, "alert.info"),
        ({"info": [{**tree["info"][0], "urgency": "Soon"}]}, "alert.info[0].urgency"),
    ]
    for change, field in changes:
        with pytest.raises(InputError) as caught:
            alert_from_json({**tree, **change})
        assert caught.value.field == field
    without_scope = {k: v for k, v in tree.items() if k != "scope"}
    with pytest.raises(InputError, match=r"alert\.scope: missing"):
        alert_from_json(without_scope)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        Reference(sender="a", identifier="b", sent=datetime(2026, 1, 1))


# --- any alert at all ---------------------------------------------------------------------

_XML_CHARS = st.characters(codec="utf-8", exclude_characters="\x00\ufffe\uffff").filter(
    lambda c: c in "\t\n\r" or ord(c) >= 0x20
)
_TEXT = st.text(_XML_CHARS, min_size=1, max_size=40).filter(lambda t: t.strip() != "")
_TOKEN = st.text(string.ascii_letters + string.digits + "-_.@:/", min_size=1, max_size=20)
_ADDRESS = st.text(string.ascii_letters + string.digits + " -_.", min_size=1, max_size=20).filter(
    lambda t: t.strip() != ""
)
_TIME = st.datetimes(
    min_value=datetime(1990, 1, 1),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=2)), timezone(-timedelta(hours=5, minutes=30))]
    ),
)
_LAT = st.floats(min_value=-90, max_value=90, allow_nan=False)
_LON = st.floats(min_value=-180, max_value=180, allow_nan=False)
_PAIR = st.builds(ValuePair, value_name=_TEXT, value=_TEXT)


@st.composite
def _polygons(draw: st.DrawFn) -> Polygon:
    points = draw(st.lists(st.tuples(_LAT, _LON), min_size=3, max_size=8))
    return Polygon(points=(*points, points[0]))


_AREA = st.builds(
    Area,
    area_desc=_TEXT,
    polygons=st.lists(_polygons(), max_size=2).map(tuple),
    circles=st.lists(
        st.builds(Circle, lat=_LAT, lon=_LON, radius_km=st.floats(min_value=0, max_value=20_000)),
        max_size=2,
    ).map(tuple),
    geocodes=st.lists(_PAIR, max_size=2).map(tuple),
    altitude=st.none() | st.floats(min_value=-1e4, max_value=1e5),
    ceiling=st.none() | st.floats(min_value=-1e4, max_value=1e5),
)
_INFO = st.builds(
    Info,
    language=st.none() | st.sampled_from(["en", "en-GB", "fr", "uk-UA"]),
    categories=st.lists(st.sampled_from(list(Category)), min_size=1, max_size=3).map(tuple),
    event=_TEXT,
    response_types=st.lists(st.sampled_from(list(ResponseType)), max_size=2).map(tuple),
    urgency=st.sampled_from(list(Urgency)),
    severity=st.sampled_from(list(CapSeverity)),
    certainty=st.sampled_from(list(Certainty)),
    audience=st.none() | _TEXT,
    event_codes=st.lists(_PAIR, max_size=2).map(tuple),
    effective=st.none() | _TIME,
    onset=st.none() | _TIME,
    expires=st.none() | _TIME,
    sender_name=st.none() | _TEXT,
    headline=st.none() | _TEXT,
    description=st.none() | _TEXT,
    instruction=st.none() | _TEXT,
    web=st.none() | _TOKEN.map(lambda t: f"https://example.org/{t}"),
    contact=st.none() | _TEXT,
    parameters=st.lists(_PAIR, max_size=3).map(tuple),
    resources=st.lists(
        st.builds(
            Resource,
            resource_desc=_TEXT,
            mime_type=st.sampled_from(["image/jpeg", "application/pdf"]),
            size=st.none() | st.integers(min_value=0, max_value=10**9),
            uri=st.none() | _TOKEN.map(lambda t: f"https://example.org/{t}"),
            deref_uri=st.none() | _TOKEN,
            digest=st.none() | st.text("0123456789abcdef", min_size=40, max_size=40),
        ),
        max_size=1,
    ).map(tuple),
    areas=st.lists(_AREA, max_size=2).map(tuple),
)


@st.composite
def _alerts(draw: st.DrawFn) -> Alert:
    msg_type = draw(st.sampled_from(list(MsgType)))
    scope = draw(st.sampled_from(list(Scope)))
    references = draw(
        st.lists(
            st.builds(Reference, sender=_TOKEN, identifier=_TOKEN, sent=_TIME),
            min_size=1 if msg_type in (MsgType.UPDATE, MsgType.CANCEL) else 0,
            max_size=3,
        )
    )
    return Alert(
        identifier=draw(_TOKEN),
        sender=draw(_TOKEN),
        sent=draw(_TIME),
        status=draw(st.sampled_from(list(CapStatus))),
        msg_type=msg_type,
        source=draw(st.none() | _TEXT),
        scope=scope,
        restriction=draw(_TEXT if scope is Scope.RESTRICTED else st.none()),
        addresses=tuple(
            draw(st.lists(_ADDRESS, min_size=1 if scope is Scope.PRIVATE else 0, max_size=3))
        ),
        codes=tuple(draw(st.lists(_TEXT, max_size=2))),
        note=draw(st.none() | _TEXT),
        references=tuple(references),
        incidents=tuple(draw(st.lists(_ADDRESS, max_size=2))),
        info=tuple(draw(st.lists(_INFO, max_size=2))),
    )


@settings(max_examples=60)
@given(_alerts())
def test_any_alert_is_valid_cap_and_reads_back_as_itself(alert: Alert) -> None:
    document = _round_trips(alert)
    assert to_xml(parse_cap(document)) == document


# --- on the real line of contact ----------------------------------------------------------


def _geometry(path: Path) -> Any:
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("type") == "FeatureCollection":
        data = data["features"][0]
    if data.get("type") == "Feature":
        data = data["geometry"]
    return shape(data)


def test_an_alert_of_shelling_near_kramatorsk_on_the_real_line(shared_data: Path) -> None:
    folder = shared_data / "contact_line"
    line = _geometry(folder / "line_of_contact_20250901.geojson")
    occupied = _geometry(folder / "deepstate_occupied_20250901.geojson")
    loaded = LoadedAgreement(
        agreement=loaded_agreement().agreement,
        line=line if isinstance(line, MultiLineString) else MultiLineString([line]),
        held_areas={
            "RU": occupied if isinstance(occupied, MultiPolygon) else MultiPolygon([occupied])
        },
    )
    incident = make_incident(
        "kramatorsk", 37.56, 48.73, (Kind.EXPLOSION,), fire_from_bearing_deg=100.0
    )
    determination = judge(Adjudicator(loaded, Theatre(loaded), SourceRegistry()), incident)
    assert determination.clear_breach
    state = signed_state(incident.id, determination.id)
    alert = breach_alert(
        determination, incident, loaded.agreement, state, alert_settings(level="private")
    )
    _round_trips(alert)
    (area,) = alert.info[0].areas
    assert "on the Ukrainian-held side, 20.1 km from the line of contact" in area.area_desc
    assert alert.info[0].parameter("attributedTo") == "RU"
