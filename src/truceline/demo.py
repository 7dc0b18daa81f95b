"""The main job on its embedded default: a simulated theatre, a week of feeds, the pipeline.

`truceline demo` needs no network and no data beyond the package. It generates a theatre (or
takes a real agreement), simulates a week of multi-sensor observations with the ground truth
of what really happened, runs every stage into a fresh SQLite store, and shows what the
pipeline concluded beside that truth.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from truceline.adjudication.determination import Determination, Status
from truceline.fusion.incident import Incident
from truceline.pipeline import PipelineReport, run_all
from truceline.simulation.scenario import Scenario, TruthEvent, simulate
from truceline.store import open_store

BATCH = 10_000


@dataclass(frozen=True)
class TruthOutcome:
    """What the pipeline made of one true event."""

    event: TruthEvent
    status: Status | None
    """The gravest status among the determinations of its observations; None if unseen."""
    merged_with_violation: bool
    """Its observations were fused into an incident that also holds a true violation."""


def outcomes(
    truth: Sequence[TruthEvent],
    incidents: Sequence[Incident],
    determinations: Sequence[Determination],
) -> list[TruthOutcome]:
    """Match each true event to the determinations of the incidents holding its observations."""
    incident_of = {o: i.id for i in incidents for o in i.observation_ids}
    by_incident = {d.incident_id: d for d in determinations}
    violation_incidents = {
        incident_of[o]
        for event in truth
        if event.category == "violation"
        for o in event.observation_ids
        if o in incident_of
    }
    order = list(Status)
    result = []
    for event in truth:
        found = [
            by_incident[incident_of[o]]
            for o in event.observation_ids
            if o in incident_of and incident_of[o] in by_incident
        ]
        if not found:
            result.append(TruthOutcome(event, None, False))
            continue
        gravest = min(found, key=lambda d: order.index(d.status))
        merged = event.category != "violation" and any(
            d.incident_id in violation_incidents for d in found
        )
        result.append(TruthOutcome(event, gravest.status, merged))
    return result


def run_demo(
    db: str | Path,
    *,
    agreement_path: Path | None,
    land_path: Path | None = None,
    days: int,
    seed: int,
    console: Console,
) -> PipelineReport:
    """Simulate, run the pipeline into the store at `db`, and print the summary."""
    from truceline.agreement.geometry_files import areas_from_geojson, read_geojson
    from truceline.agreement.loader import load_agreement
    from truceline.simulation.theatre import generate_theatre

    t0 = time.perf_counter()
    loaded = load_agreement(agreement_path) if agreement_path else generate_theatre(seed)
    agreement = loaded.agreement
    console.print(
        f"[bold]Truceline demo[/]: {agreement.title} ({agreement.id} v{agreement.version}), "
        f"{days} days, seed {seed}"
    )
    land = areas_from_geojson(read_geojson(land_path)) if land_path else None
    scenario = simulate(loaded, days=days, seed=seed, land=land)
    with open_store(db) as store:
        store.upsert_sources(scenario.sources)
        store.add_agreement(loaded)
        with Progress(console=console, transient=True) as progress:
            task = progress.add_task("storing observations", total=len(scenario.observations))
            for i in range(0, len(scenario.observations), BATCH):
                chunk = scenario.observations[i : i + BATCH]
                store.add_observations(chunk)
                progress.advance(task, len(chunk))
        for notice in scenario.prenotifications:
            store.add_prenotification(notice)
        report = run_all(store, loaded)
        incidents = store.incidents()
        determinations = store.determinations()
    elapsed = time.perf_counter() - t0
    print_summary(console, scenario, incidents, determinations, report)
    console.print(
        f"Finished in {elapsed:.1f} s. The store is {db}; try\n"
        f"  truceline determinations list --db {db} --clear\n"
        f"  truceline determinations show DETERMINATION_ID --db {db}"
    )
    return report


def print_summary(
    console: Console,
    scenario: Scenario,
    incidents: Sequence[Incident],
    determinations: Sequence[Determination],
    report: PipelineReport,
) -> None:
    """Observations, incidents, determinations per rule and party, with the truth beside."""
    sources = {s.id: s for s in scenario.sources}
    by_type = Counter(
        sources[o.source_id].type.value if o.source_id in sources else o.source_id
        for o in scenario.observations
    )
    console.print(
        f"{len(scenario.observations)} observations ("
        + ", ".join(f"{n} {t.replace('_', ' ')}" for t, n in sorted(by_type.items()))
        + f") -> {len(incidents)} incidents -> {len(determinations)} determinations"
    )
    console.print(
        f"fusion {report.times.fusion:.2f} s, adjudication {report.times.adjudication:.2f} s"
    )
    matched = outcomes(scenario.truth, incidents, determinations)
    console.print(_rules_table(scenario, incidents, determinations, matched))
    console.print(_background_table(matched))
    clear = [d for d in determinations if d.status is Status.CLEAR_BREACH]
    if clear:
        console.print("[bold]Clear breaches[/] (first five):")
        for d in clear[:5]:
            console.print(f"  • {d.explanation}")


def _rules_table(
    scenario: Scenario,
    incidents: Sequence[Incident],
    determinations: Sequence[Determination],
    matched: list[TruthOutcome],
) -> Table:
    table = Table(
        title="Determinations per rule and party, beside the ground truth",
        title_justify="left",
        caption="truth: violations by the party that truly break the rule (one violation may "
        "break several rules, e.g. a weapon in the buffer); unseen: by no sensor; found: called "
        "a clear or suspected breach; determined: clear breaches of the rule attributed to the "
        "party; false: of those, incidents holding no observation of a true violation of the "
        "rule by the party.",
        caption_justify="left",
    )
    columns = (
        "rule",
        "party",
        "truth",
        "unseen",
        "found clear",
        "suspected",
        "determined",
        "false",
    )
    for column in columns:
        table.add_column(column, justify="left" if column in ("rule", "party") else "right")
    event_of = {o: e for e in scenario.truth for o in e.observation_ids}
    observations_of = {i.id: i.observation_ids for i in incidents}
    parties = [p.code for p in scenario.loaded.agreement.parties]
    for act in scenario.loaded.agreement.prohibited_acts:
        for party in parties:
            true = [
                m
                for m in matched
                if m.event.category == "violation"
                and act.code in m.event.rules
                and m.event.party == party
            ]
            clear_here = [
                d
                for d in determinations
                if d.status is Status.CLEAR_BREACH
                and act.code in d.rules
                and d.attributed_to == party
            ]
            false = sum(
                1
                for d in clear_here
                if not any(
                    (e := event_of.get(o)) is not None
                    and e.category == "violation"
                    and act.code in e.rules
                    and e.party == party
                    for o in observations_of.get(d.incident_id, ())
                )
            )
            table.add_row(
                act.code,
                party,
                str(len(true)),
                str(sum(1 for m in true if not m.event.observation_ids)),
                str(sum(1 for m in true if m.status is Status.CLEAR_BREACH)),
                str(sum(1 for m in true if m.status is Status.SUSPECTED_BREACH)),
                str(len(clear_here)),
                str(false),
            )
    return table


def _background_table(matched: list[TruthOutcome]) -> Table:
    table = Table(
        title="What became of everything else (events that are no violation)",
        title_justify="left",
        caption="merged: fused into the incident of a true violation (its reports fit the "
        "same place and time within their uncertainty), and judged with it; the other "
        "columns count the rest by the status of their incident.",
        caption_justify="left",
    )
    columns = (
        "true event",
        "count",
        "unseen",
        "no viol.",
        "deconfl.",
        "suspected",
        "clear",
        "merged",
    )
    for column in columns:
        table.add_column(column, justify="left" if column == "true event" else "right")
    categories = sorted({m.event.category for m in matched if m.event.category != "violation"})
    for category in categories:
        rows = [m for m in matched if m.event.category == category]
        alone = Counter(m.status for m in rows if not m.merged_with_violation)
        table.add_row(
            category.replace("_", " "),
            str(len(rows)),
            str(alone[None]),
            str(alone[Status.NO_VIOLATION]),
            str(alone[Status.DECONFLICTED]),
            str(alone[Status.SUSPECTED_BREACH]),
            str(alone[Status.CLEAR_BREACH]),
            str(sum(m.merged_with_violation for m in rows)),
        )
    return table
