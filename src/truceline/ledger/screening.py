"""The checks every observation passes at the edge (file ingest and the API) before it is
stored: its evidence URIs, and its signature when its source has a public key."""

from __future__ import annotations

from truceline.ledger.evidence import evidence_problem
from truceline.ledger.signing import signature_problem
from truceline.observations.model import Observation
from truceline.sources.registry import Source


def screen_observation(obs: Observation, source: Source) -> tuple[str, str] | None:
    """(field, reason) of the first problem of an observation from this source, or None."""
    refused = evidence_problem([e.uri for e in obs.evidence])
    if refused is not None:
        return refused.field or "evidence", str(refused)
    if source.public_key is not None:
        reason = signature_problem(obs, source.public_key)
        if reason is not None:
            return "signature", reason
    return None
