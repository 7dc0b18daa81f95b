"""A `DailyFacts` as HTML (jinja2) and PDF (WeasyPrint), figures embedded.

The HTML is one self-contained file (stylesheet inline, figures as SVG data URIs), the
same bytes for the same facts. The PDF is A4 with a running head (edition and period),
the edition's marking and page numbers on every page.
"""

from __future__ import annotations

import base64
import logging
import warnings
from collections.abc import Sequence
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, Final

import jinja2

from truceline.access.model import Edition
from truceline.adjudication.determination import Status
from truceline.agreement.loaded import LoadedAgreement
from truceline.errors import InputError
from truceline.reports.charts import map_svg, trend_svg
from truceline.reports.editions import COARSE_DEG
from truceline.reports.facts import NO_COVERAGE_TEXT, REASON_WORDS, Comparison, DailyFacts

MARKINGS: Final = {
    Edition.PUBLIC: "Public edition",
    Edition.RESTRICTED: "Restricted: coordination cell only, not for release",
}


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("truceline.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    env.filters["utc"] = lambda t: f"{t:%Y-%m-%d %H:%M}" if isinstance(t, datetime) else "—"
    env.filters["first_upper"] = lambda s: s[:1].upper() + s[1:]
    env.filters["short"] = lambda t: f"{t.day} {t:%b %H:%M}" if isinstance(t, datetime) else "—"
    env.filters["longdate"] = lambda d: f"{d.day} {d:%B %Y}" if isinstance(d, date) else ""
    env.filters["count_or_dash"] = lambda n: "—" if n is None else str(n)
    env.filters["mean_or_dash"] = lambda m: "—" if m is None else f"{m:.1f}"
    env.filters["lat"] = lambda v, digits=4: f"{abs(v):.{digits}f}°{'N' if v >= 0 else 'S'}"
    env.filters["lon"] = lambda v, digits=4: f"{abs(v):.{digits}f}°{'E' if v >= 0 else 'W'}"
    return env


def _change(row: Comparison) -> str:
    if row.previous is None:
        return "—"
    delta = row.today.violations - row.previous
    if delta == 0:
        return "0"
    return f"+{delta}" if delta > 0 else f"−{-delta}"


def _svg_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _css_text(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return escaped.replace("<", "\\3C ").replace(">", "\\3E ")


def render_html(
    facts: DailyFacts,
    loaded: LoadedAgreement,
    marks: Sequence[tuple[float, float, str]] = (),
) -> str:
    """The report as one self-contained HTML document; `marks` are labelled points for
    the map (the sector boundaries along the line)."""
    env = _environment()
    css = resources.files("truceline.reports").joinpath("templates/report.css").read_text("utf-8")
    public = facts.edition is Edition.PUBLIC
    gap_areas = facts.coverage.areas if facts.coverage is not None else []
    period = facts.period
    return env.get_template("report.html.j2").render(
        f=facts,
        css=css,
        title=f"Truceline daily report {period.day.isoformat()} ({facts.edition.value})",
        running_head=_css_text(f"Truceline daily report · {MARKINGS[facts.edition].split(':')[0]}"),
        running_period=_css_text(
            f"{period.day.day} {period.day:%B %Y} · cut-off {period.cutoff_words}"
        ),
        marking_line=MARKINGS[facts.edition],
        marking_line_css=_css_text(MARKINGS[facts.edition]),
        restricted=not public,
        public=public,
        digits=2 if public else 4,
        coarse=f"{COARSE_DEG:g}",
        change=_change,
        map_uri=_svg_uri(map_svg(loaded, facts.points, gap_areas, marks=marks)),
        trend_uri=_svg_uri(trend_svg(facts.trend)),
        reason_words=REASON_WORDS,
        no_coverage=NO_COVERAGE_TEXT,
        clear_status=Status.CLEAR_BREACH,
    )


def weasyprint_module() -> Any:
    """WeasyPrint, imported without its notice that the system library HarfBuzz-Subset
    (Debian: libharfbuzz-subset0) will be required by later versions: this version prints
    without it, and warnings are errors in the tests."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="HarfBuzz-Subset will be required", category=DeprecationWarning
        )
        import weasyprint  # type: ignore[import-untyped]
    return weasyprint


def write_pdf(html: str, path: Path) -> None:
    """Render HTML to an A4 PDF with WeasyPrint."""
    weasyprint = weasyprint_module()
    # WeasyPrint logs every CSS property it does not know at WARNING; the template is ours.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    try:
        weasyprint.HTML(string=html).write_pdf(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot write the PDF ({exc})", field="out") from None
