"""The adjudicator: every incident judged against one version of the agreement."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from datetime import UTC

import numpy as np

from truceline.adjudication.attribution import attribute_incidents
from truceline.adjudication.corroboration import corroborate
from truceline.adjudication.deconfliction import Deconflicter
from truceline.adjudication.determination import Determination, Status
from truceline.adjudication.explanation import Findings, explain
from truceline.adjudication.location_facts import locate_incidents
from truceline.adjudication.rules import RuleOutcome, match_rules
from truceline.adjudication.severity import assess_severity
from truceline.adjudication.theatre_port import TheatreGeometry
from truceline.adjudication.threshold import assess_threshold
from truceline.adjudication.weapons import resolve_weapon
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.model import Agreement
from truceline.agreement.prenotification import PreNotification
from truceline.errors import InputError
from truceline.fusion.incident import Incident
from truceline.sources.registry import SourceRegistry


def determination_id(incident_id: str, agreement_id: str, agreement_version: int) -> str:
    """'det-' and 24 hex digits of SHA-256 of the incident id, agreement id and version."""
    key = f"{incident_id}\x1f{agreement_id}\x1f{agreement_version}"
    return f"det-{hashlib.sha256(key.encode()).hexdigest()[:24]}"


def _checked(incidents: Sequence[Incident]) -> list[Incident]:
    """The incidents sorted by id, each once; refuses unusable locations and clashing ids."""
    by_id: dict[str, Incident] = {}
    for incident in incidents:
        for field, value, limit in (("lon", incident.lon, 180.0), ("lat", incident.lat, 90.0)):
            if not (math.isfinite(value) and -limit <= value <= limit):
                raise InputError(
                    f"incident {incident.id!r}, field {field!r}: expected a number in "
                    f"-{limit:g}..{limit:g} degrees, got {value}; correct the incident's location "
                    "before adjudicating it",
                    field=field,
                )
        known = by_id.get(incident.id)
        if known is not None and known != incident:
            raise InputError(
                f"incident id {incident.id!r} is used by two different incidents; incident ids "
                "are derived from their observations, so re-run fusion on the observations",
                field="id",
            )
        by_id[incident.id] = incident
    return [by_id[key] for key in sorted(by_id)]


def _before_effect(agreement: Agreement, incident: Incident) -> str | None:
    """Why an incident that ended before the agreement took effect breaks no rule of it."""
    if incident.end >= agreement.effective_from:
        return None
    when = agreement.effective_from.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"it ended before the agreement took effect ({when})"


def _status(broken: tuple[str, ...], lifted: tuple[str, ...], clear: bool) -> Status:
    if broken:
        return Status.CLEAR_BREACH if clear else Status.SUSPECTED_BREACH
    return Status.DECONFLICTED if lifted else Status.NO_VIOLATION


class Adjudicator:
    """Judges incidents against one loaded agreement version, in its theatre."""

    def __init__(
        self, loaded: LoadedAgreement, theatre: TheatreGeometry, registry: SourceRegistry
    ) -> None:
        self.loaded = loaded
        self.theatre = theatre
        self.registry = registry

    def adjudicate(
        self, incidents: Sequence[Incident], prenotifications: Sequence[PreNotification]
    ) -> list[Determination]:
        """One determination per incident, sorted by incident id.

        The same incidents, notices and agreement version always give the same
        determinations, whatever order they come in.
        """
        agreement = self.loaded.agreement
        deconflicter = Deconflicter(agreement, prenotifications)
        ordered = _checked(incidents)
        lon = np.array([i.lon for i in ordered], dtype=np.float64)
        lat = np.array([i.lat for i in ordered], dtype=np.float64)
        facts = locate_incidents(self.theatre, agreement, lon, lat)
        attributions = attribute_incidents(ordered, facts, self.theatre, agreement)
        weapons = [
            resolve_weapon(agreement, inc.weapon_class, inc.calibre_mm, f.side)
            for inc, f in zip(ordered, facts, strict=True)
        ]
        before = [_before_effect(agreement, incident) for incident in ordered]
        outcomes = [
            RuleOutcome((), ()) if early else match_rules(agreement, inc, f, w, a)
            for inc, f, w, a, early in zip(
                ordered, facts, weapons, attributions, before, strict=True
            )
        ]
        deconflictions = deconflicter.assess(ordered, outcomes, attributions, facts)
        determinations: list[Determination] = []
        for k, incident in enumerate(ordered):
            outcome, deconfliction = outcomes[k], deconflictions[k]
            broken = tuple(c for c in outcome.codes if c not in deconfliction.lifted)
            acts = [m.act for m in outcome.matches if m.act.code in broken]
            severity = assess_severity(acts, incident.kinds)
            threshold = None
            corroboration = corroborate(incident, self.registry)
            if severity.severity is not None:
                threshold = assess_threshold(
                    agreement.clear_breach,
                    confidence=corroboration.confidence,
                    independent_sources=incident.independent_sources,
                    severity=severity.severity,
                    graded=corroboration.graded,
                )
            clear = bool(threshold and threshold.met)
            findings = Findings(
                incident=incident,
                facts=facts[k],
                weapon=weapons[k],
                attribution=attributions[k],
                rules=outcome,
                deconfliction=deconfliction,
                broken=broken,
                severity=severity,
                threshold=threshold,
                before_effect=before[k],
            )
            determinations.append(
                Determination(
                    id=determination_id(incident.id, agreement.id, agreement.version),
                    incident_id=incident.id,
                    agreement_id=agreement.id,
                    agreement_version=agreement.version,
                    side=facts[k].side,
                    distance_to_line_m=facts[k].distance_to_line_m,
                    signed_distance_m=facts[k].signed_distance_m,
                    zones=facts[k].zones,
                    rules=broken,
                    deconflicted_rules=deconfliction.lifted,
                    prenotification_ids=deconfliction.notice_ids,
                    attributed_to=attributions[k].party,
                    attribution_basis=attributions[k].basis,
                    severity=severity.severity,
                    confidence=corroboration.confidence,
                    independent_sources=incident.independent_sources,
                    clear_breach=clear,
                    status=_status(broken, deconfliction.lifted, clear),
                    explanation=explain(agreement, findings, self.registry),
                )
            )
        return determinations
