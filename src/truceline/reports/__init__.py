"""The daily report: HTML and PDF for one reporting period, in a public and a restricted
edition (docs/reports.md).

- `period`: the reporting period, its cut-off, the previous period and the seven before.
- `sectors`: the region (from a grid file) or sector along the line of a point.
- `coverage`: coverage gaps from a CSV file.
- `facts`: the numbers, gathered from the store into a `DailyFacts`.
- `editions`: what the public edition leaves out, and the count of it.
- `charts`: the map and the trend chart (matplotlib, SVG).
- `render`: HTML (jinja2) and PDF (WeasyPrint).

    paths = write_reports(store, ReportingPeriod(date(2025, 9, 6)), Path("out"))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from truceline.access.model import Edition
from truceline.reports.facts import DailyFacts, gather
from truceline.reports.period import ReportingPeriod
from truceline.reports.render import render_html, write_pdf
from truceline.reports.sectors import Areas, LineSectors
from truceline.simulation.gaps import CoverageGap
from truceline.store import Store


@dataclass(frozen=True)
class Written:
    """One edition written: its facts and its files."""

    facts: DailyFacts
    html: Path
    pdf: Path | None


def report_name(period: ReportingPeriod, edition: Edition) -> str:
    """The file name of an edition, without suffix: ``truceline-report-2025-09-06-public``."""
    return f"truceline-report-{period.day.isoformat()}-{edition.value}"


def write_reports(
    store: Store,
    period: ReportingPeriod,
    out: Path,
    *,
    editions: Sequence[Edition] = (Edition.PUBLIC, Edition.RESTRICTED),
    areas: Areas | None = None,
    gaps: Sequence[CoverageGap] | None = None,
    credits: Sequence[str] = (),
    pdf: bool = True,
    on_step: Callable[[str], None] | None = None,
) -> list[Written]:
    """Write the HTML (and PDF) of each edition into `out` (which must exist)."""
    loaded = store.agreement()
    chosen = areas if areas is not None else LineSectors(loaded.line)
    marks = chosen.marks()
    written = []
    for edition in editions:
        if on_step:
            on_step(f"gathering the {edition.value} edition")
        facts = gather(store, period, edition=edition, areas=chosen, gaps=gaps, credits=credits)
        if on_step:
            on_step(f"drawing the {edition.value} edition")
        html = render_html(facts, loaded, marks)
        base = out / report_name(period, edition)
        html_path = base.with_suffix(".html")
        html_path.write_text(html, encoding="utf-8")
        pdf_path = None
        if pdf:
            if on_step:
                on_step(f"printing the {edition.value} edition")
            pdf_path = base.with_suffix(".pdf")
            write_pdf(html, pdf_path)
        written.append(Written(facts=facts, html=html_path, pdf=pdf_path))
    return written


__all__ = [
    "DailyFacts",
    "Edition",
    "ReportingPeriod",
    "Written",
    "gather",
    "report_name",
    "write_reports",
]
