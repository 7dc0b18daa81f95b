"""What `truceline verify` checks besides the chain: evidence files and source signatures.

- Every file of the store's evidence folder must still hash to its name, and every
  `sha256:`/`evidence:` reference of a stored observation must have its file there.
- Every stored observation of a source registered with a public key must still carry a
  signature that verifies over its canonical form.
"""

from __future__ import annotations

from pathlib import Path

from truceline.ledger.evidence import EvidenceStore, reference_hash
from truceline.ledger.signing import signature_problem
from truceline.store import Store


def evidence_problems(store: Store, root: Path | None) -> list[str]:
    """Evidence files that changed, and references to files that are not there."""
    problems: list[str] = []
    files = EvidenceStore(root) if root is not None else None
    if files is not None:
        problems.extend(f"evidence file {p.sha256}: {p.reason}" for p in files.verify_all())
    for chunk in store.iter_observations():
        for obs in chunk:
            for index, item in enumerate(obs.evidence):
                sha256 = reference_hash(item.uri)
                if sha256 is None:
                    continue
                if files is None or not files.path_of(sha256).is_file():
                    problems.append(
                        f"observation {obs.id}: evidence[{index}] {item.uri} is not in the "
                        "evidence store"
                    )
    return problems


def signature_problems(store: Store) -> list[str]:
    """Stored observations of signing sources whose signature no longer verifies."""
    keys = {s.id: s.public_key for s in store.sources() if s.public_key}
    if not keys:
        return []
    problems: list[str] = []
    for chunk in store.iter_observations():
        for obs in chunk:
            key = keys.get(obs.source_id)
            if key is None:
                continue
            why = signature_problem(obs, key)
            if why is not None:
                problems.append(f"observation {obs.id} of source {obs.source_id}: signature {why}")
    return problems
