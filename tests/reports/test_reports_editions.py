"""Both editions written as HTML and PDF: nothing restricted in the public one, every
redaction counted, a PDF a reader can read, the same HTML for the same store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium  # type: ignore[import-untyped]
import pytest
from report_builders import DAY, SECRET, build_store

from truceline.agreement.loaded import LoadedAgreement
from truceline.reports import Edition, Written, write_reports
from truceline.reports.coverage import read_gaps
from truceline.reports.facts import gather
from truceline.reports.period import ReportingPeriod
from truceline.reports.render import render_html, weasyprint_module
from truceline.store import Store

SQUARE = '"POLYGON ((33 47, 34 47, 34 48, 33 48, 33 47))"'
GAPS = "\n".join(
    [
        "sensor,source_id,reason,start,end,sector,area_wkt",
        "uav,uav-secret-7,uav_outage,2025-09-10T06:00:00Z,2025-09-10T10:00:00Z,km 0-40," + SQUARE,
        "satellite_thermal,,cloud,2025-09-09T12:00:00Z,2025-09-09T21:00:00Z,cell 1," + SQUARE,
        "ground_patrol,patrol-teams,access_denied,2025-09-08T05:00:00Z,2025-09-08T16:00:00Z,"
        "km 30-60," + SQUARE,
    ]
)

RESTRICTED_ONLY = (SECRET, "det-x-secret-clear", "det-b-secret", "N-7", "N-9", "uav-secret-7")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, LoadedAgreement]]:
    store, loaded = build_store(tmp_path_factory.mktemp("editions") / "hand.sqlite")
    yield store, loaded
    store.close()


@pytest.fixture(scope="module")
def written(
    built: tuple[Store, LoadedAgreement], tmp_path_factory: pytest.TempPathFactory
) -> dict[Edition, Written]:
    folder = tmp_path_factory.mktemp("reports")
    gaps_file = folder / "coverage_gaps.csv"
    gaps_file.write_text(GAPS, encoding="utf-8")
    out = write_reports(built[0], ReportingPeriod(DAY), folder, gaps=read_gaps(gaps_file))
    return {w.facts.edition: w for w in out}


def _pdf_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(path)
    try:
        return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


def test_both_editions_are_written_as_html_and_pdf(written: dict[Edition, Written]) -> None:
    assert set(written) == {Edition.PUBLIC, Edition.RESTRICTED}
    for w in written.values():
        assert w.html.name == f"truceline-report-{DAY.isoformat()}-{w.facts.edition.value}.html"
        assert w.pdf is not None
        assert w.pdf.read_bytes().startswith(b"%PDF")


def test_nothing_restricted_reaches_the_public_edition(written: dict[Edition, Written]) -> None:
    public, restricted = written[Edition.PUBLIC], written[Edition.RESTRICTED]
    assert public.pdf is not None
    assert restricted.pdf is not None
    public_texts = [public.html.read_text(encoding="utf-8"), _pdf_text(public.pdf)]
    restricted_texts = [restricted.html.read_text(encoding="utf-8"), _pdf_text(restricted.pdf)]
    for needle in RESTRICTED_ONLY:
        for text in public_texts:
            assert needle not in text, needle
        assert any(needle in text for text in restricted_texts), needle


def test_the_redactions_are_printed_with_their_counts(written: dict[Edition, Written]) -> None:
    for w in written.values():
        assert w.pdf is not None
        text = " ".join(_pdf_text(w.pdf).split())
        assert (
            "Determinations not released for publication: 2 (1 clear breaches, 1 suspected" in text
        )
        assert "Coverage gaps given without the source that lost coverage: 1." in text
        assert (
            "Pre-notification ids left out (of deconflicted activity and in explanations): 2."
            in text
        )
    assert "This public edition leaves out" in _pdf_text(written[Edition.PUBLIC].pdf or Path())


def test_the_pdf_is_a4_with_page_numbers_and_a_drawn_first_page(
    written: dict[Edition, Written],
) -> None:
    for w in written.values():
        assert w.pdf is not None
        pdf = pdfium.PdfDocument(w.pdf)
        try:
            pages = len(pdf)
            assert pages > 0
            width, height = pdf[0].get_size()
            assert (round(width), round(height)) == (595, 842)  # A4 in points
            image = pdf[0].render(scale=0.5).to_numpy()
        finally:
            pdf.close()
        dark = np.mean(image[..., :3] < 128)
        assert 0.005 < dark < 0.5, "the first page is blank or solid"
        text = _pdf_text(w.pdf)
        assert f"Page 1 of {pages}" in text
        assert "cut-off 18:00 UTC" in text
        assert "Daily report, 10 September 2025" in text


def test_coverage_gaps_are_reported_and_the_cloud_gap_clipped_to_the_period(
    written: dict[Edition, Written],
) -> None:
    coverage = written[Edition.RESTRICTED].facts.coverage
    assert coverage is not None
    assert [(t.reason.value, t.count, t.hours) for t in coverage.totals] == [
        ("cloud", 1, 3.0),
        ("uav_outage", 1, 4.0),
    ]
    assert [r.source_id for r in coverage.rows] == ["uav-secret-7"]
    public = written[Edition.PUBLIC].facts.coverage
    assert public is not None
    assert [r.source_id for r in public.rows] == [None]


def test_the_html_is_the_same_for_the_same_store(built: tuple[Store, LoadedAgreement]) -> None:
    store, loaded = built
    period = ReportingPeriod(DAY)
    for edition in Edition:
        first = render_html(gather(store, period, edition=edition), loaded)
        second = render_html(gather(store, period, edition=edition), loaded)
        assert first == second


def test_the_stylesheet_is_understood_by_weasyprint(
    written: dict[Edition, Written], caplog: pytest.LogCaptureFixture
) -> None:
    weasyprint = weasyprint_module()
    caplog.set_level(logging.WARNING, logger="weasyprint")
    html = written[Edition.RESTRICTED].html.read_text(encoding="utf-8")
    weasyprint.HTML(string=html).render()
    problems = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert problems == []
