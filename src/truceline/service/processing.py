"""Processing: fuse what is new into incidents, judge what is not judged yet, tell the feed.

A pass is the same pipeline as `truceline run` (incremental fusion, then adjudication
under the agreement version in force), and what it needs to do is read from the store, so
nothing is lost when the service restarts:

- new observations are those in no incident (fusion puts every observation it sees in
  exactly one incident);
- incidents to judge are those with no determination under the version in force (a
  changed incident lost its determinations; a new version has none yet).

One pass runs at a time in a process. Every new or changed determination is published to
the live feed, and one that became a clear breach also as an alert; determinations deleted
with a re-fused incident are published as withdrawn.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

from truceline.access.marking import CELL
from truceline.adjudication.adjudicator import Adjudicator
from truceline.adjudication.determination import Determination, Status
from truceline.agreement.documents import agreement_digest
from truceline.agreement.loaded import LoadedAgreement
from truceline.fusion.incremental import refuse
from truceline.geometry.theatre import Theatre
from truceline.observations.model import Observation
from truceline.pipeline import fuse_all, registry_of
from truceline.service.auth import ADMINISTRATOR
from truceline.service.errors import ApiError
from truceline.service.feed import EventType, FeedBroker
from truceline.service.queries import AgreementVersion, Reader
from truceline.service.schemas import DeterminationOut, ProcessingReport
from truceline.store import Store

KEPT_THEATRES = 4
_THEATRES: OrderedDict[str, Theatre] = OrderedDict()
_THEATRE_LOCK = threading.Lock()


class Processor:
    """Runs processing passes over one store and publishes what changed."""

    def __init__(
        self, store: Store, reader: Reader, broker: FeedBroker, agreement_id: str | None
    ) -> None:
        self._store = store
        self._reader = reader
        self._broker = broker
        self._agreement_id = agreement_id
        self._lock = threading.Lock()
        self._cached: tuple[AgreementVersion, LoadedAgreement, str] | None = None

    def theatre(self, loaded: LoadedAgreement, digest: str | None = None) -> Theatre:
        """The theatre of an agreement version: its geometry made ready for judging.

        Building one takes a while for a long line, so the last few are kept, by the
        digest of the version's content, for the whole process.
        """
        digest = digest or agreement_digest(loaded)
        with _THEATRE_LOCK:
            found = _THEATRES.get(digest)
            if found is not None:
                _THEATRES.move_to_end(digest)
                return found
        made = Theatre(loaded)
        with _THEATRE_LOCK:
            _THEATRES[digest] = made
            while len(_THEATRES) > KEPT_THEATRES:
                _THEATRES.popitem(last=False)
        return made

    def in_force(self) -> LoadedAgreement | None:
        """The latest version of the agreement in force; None when the store holds none.

        The agreement is the configured one, or the only one in the store.
        """
        agreement_id = self._agreement_id
        if agreement_id is None:
            ids = self._reader.agreement_ids()
            if not ids:
                return None
            if len(ids) > 1:
                raise ApiError(
                    409,
                    "several_agreements",
                    f"the store holds several agreements ({', '.join(ids)}); the operator "
                    "must start the service with --agreement-id naming the one in force",
                )
            agreement_id = ids[0]
        versions = self._store.agreement_versions(agreement_id)
        if not versions:
            return None
        key = AgreementVersion(agreement_id, versions[-1])
        if self._cached is None or self._cached[0] != key:
            loaded = self._store.agreement(agreement_id, versions[-1])
            self._cached = (key, loaded, agreement_digest(loaded))
        return self._cached[1]

    def process(
        self, new: Sequence[Observation] | None = None, *, judge_all: bool = False
    ) -> ProcessingReport:
        """One pass: fuse `new` (default: every observation in no incident), then judge the
        incidents not judged under the version in force (every incident with `judge_all`)."""
        with self._lock:
            return self._pass(new, judge_all)

    def _pass(self, new: Sequence[Observation] | None, judge_all: bool) -> ProcessingReport:
        store, reader = self._store, self._reader
        registry = registry_of(store)
        if new is None:
            new = reader.unfused_observations()
        before: list[Determination] = []
        markings: dict[str, str] = {}  # of the incidents removed: for withdrawn events
        if new and store.incident_count() == 0:
            # A first pass over a store filled by bulk loads: batch fusion is faster.
            added, removed = fuse_all(store, registry)
            fused = len(new)
        elif new:
            update = refuse(new, store, registry)
            before = reader.stored_determinations_of(update.removed_ids)
            markings = store.incident_releasability(update.removed_ids)
            store.replace_incidents(update.removed_ids, update.added)
            added, removed, fused = len(update.added), len(update.removed_ids), len(new)
        else:
            added = removed = fused = 0
        try:
            loaded = self.in_force()
        except ApiError:  # several agreements and none named: judge nothing, say so
            loaded = None
        determinations: list[Determination] = []
        previous: dict[str, Determination] = {d.id: d for d in before}
        if loaded is not None:
            version = AgreementVersion(loaded.agreement.id, loaded.agreement.version)
            if judge_all:
                incidents = store.incidents()
                previous.update((d.id, d) for d in reader.stored_determinations(version))
            else:
                incidents = reader.unjudged_incidents(version)
            if incidents:
                digest = self._cached[2] if self._cached and self._cached[1] is loaded else None
                adjudicator = Adjudicator(loaded, self.theatre(loaded, digest), registry)
                determinations = adjudicator.adjudicate(incidents, store.prenotifications())
                store.put_determinations(determinations)
        made = {d.id for d in determinations}
        changed = [d for d in determinations if previous.get(d.id) != d]
        alerts = [
            d
            for d in changed
            if d.status is Status.CLEAR_BREACH
            and (d.id not in previous or previous[d.id].status is not Status.CLEAR_BREACH)
        ]
        withdrawn = [d for d in before if d.id not in made]
        self._publish(changed, {d.id for d in alerts}, withdrawn, markings)
        return ProcessingReport(
            observations=fused,
            incidents_added=added,
            incidents_removed=removed,
            agreement_id=loaded.agreement.id if loaded else None,
            agreement_version=loaded.agreement.version if loaded else None,
            judged=len(determinations),
            changed=len(changed),
            alerts=len(alerts),
            withdrawn=len(withdrawn),
            waiting_for_agreement=loaded is None,
        )

    def _publish(
        self,
        changed: Sequence[Determination],
        alert_ids: set[str],
        withdrawn: Sequence[Determination],
        markings: Mapping[str, str],
    ) -> None:
        events: list[tuple[str, Mapping[str, Any]]] = []
        for d in withdrawn:
            events.append(
                (
                    EventType.WITHDRAWN,
                    {
                        "id": d.id,
                        "incident_id": d.incident_id,
                        "agreement_id": d.agreement_id,
                        "agreement_version": d.agreement_version,
                        "releasability": markings.get(d.incident_id, CELL),
                    },
                )
            )
        if changed:
            full = {d.id: d for d in self._reader_determinations([d.incident_id for d in changed])}
            for d in changed:
                shown = full.get(d.id)
                if shown is None:  # replaced meanwhile by another pass: it will publish it
                    continue
                data = shown.model_dump(mode="json")
                events.append((EventType.DETERMINATION, data))
                if d.id in alert_ids:
                    events.append((EventType.ALERT, data))
        if events:
            self._broker.publish(events)

    def _reader_determinations(self, incident_ids: Sequence[str]) -> list[DeterminationOut]:
        # The feed filters each event for its subscriber; what is published is everything.
        return self._reader.determinations_of(ADMINISTRATOR, incident_ids)


def require_agreement(processor: Processor) -> LoadedAgreement:
    """The agreement in force, or 409 telling what to do."""
    loaded = processor.in_force()
    if loaded is None:
        raise ApiError(
            409,
            "no_agreement",
            "the store holds no agreement yet; submit one to POST /api/agreements first",
        )
    return loaded
