"""Amendments make a new version; every version, written to its own files, stays loadable."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from agreement_testdata import occupied_file, template_folder

from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import (
    agreement_digest,
    agreement_document,
    amend_agreement,
    load_agreement,
    write_agreement,
)
from truceline.errors import AgreementError

LATER = datetime(2015, 3, 1, tzinfo=UTC)


@pytest.fixture
def template_path(tmp_path: Path, shared_data: Path) -> Path:
    return template_folder(tmp_path / "v1", shared_data)


@pytest.fixture
def template(template_path: Path) -> LoadedAgreement:
    return load_agreement(template_path)


def tighter(loaded: LoadedAgreement) -> LoadedAgreement:
    return amend_agreement(
        loaded,
        changes={"clear_breach": {"min_confidence": 0.95, "min_independent_sources": 3}},
        note="Three independent sources for a clear breach",
        effective_from=LATER,
    )


def test_amendment_is_the_next_version_and_names_what_it_amends(
    template: LoadedAgreement,
) -> None:
    amended = tighter(template)
    a = amended.agreement
    assert (a.id, a.version, a.amends) == ("minsk-ii-template", 2, 1)
    assert a.amendment_note == "Three independent sources for a clear breach"
    assert a.effective_from == LATER
    assert a.clear_breach.min_independent_sources == 3
    assert a.prohibited_acts == template.agreement.prohibited_acts
    assert amended.line is template.line
    assert amended.held_areas["RU"] is template.held_areas["RU"]


def test_amendment_leaves_the_old_version_unchanged(template: LoadedAgreement) -> None:
    before = agreement_document(template)
    amended = tighter(template)
    assert agreement_document(template) == before
    assert template.agreement.version == 1
    assert agreement_digest(amended) != agreement_digest(template)


def test_amendment_of_an_amendment(template: LoadedAgreement) -> None:
    third = amend_agreement(
        tighter(template),
        changes={"title": "Third text"},
        note="Retitled",
        effective_from=LATER + timedelta(days=30),
    )
    assert (third.agreement.version, third.agreement.amends) == (3, 2)
    assert third.agreement.clear_breach.min_independent_sources == 3


def test_amendment_may_name_new_geometry_files(
    template: LoadedAgreement, shared_data: Path
) -> None:
    held = template.agreement.line.model_dump()
    held["held_areas"] = {"RU": str(occupied_file(shared_data, "20260822"))}
    amended = amend_agreement(
        template, changes={"line": held}, note="Line of August 2026", effective_from=LATER
    )
    assert amended.held_areas["RU"] != template.held_areas["RU"]
    assert amended.line is template.line


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"version": 7}, "version cannot be changed"),
        ({"colour": "red"}, "unknown field(s) colour"),
        ({"clear_breach": {"min_confidence": 2, "min_independent_sources": 2}}, "clear_breach."),
        ({"prohibited_acts": []}, "prohibited_acts: list should have at least 1 item"),
        (
            {"line": {"file": "gone.geojson", "held_areas": {}, "rest_held_by": "UA"}},
            "geometry file 'gone.geojson' not found",
        ),
    ],
    ids=["protected field", "unknown field", "bad value", "empty rules", "missing file"],
)
def test_bad_amendment_is_refused(
    template: LoadedAgreement, changes: dict[str, object], words: str
) -> None:
    with pytest.raises(AgreementError) as caught:
        amend_agreement(template, changes=changes, note="bad", effective_from=LATER)
    message = str(caught.value)
    assert message.startswith("amendment of minsk-ii-template version 1")
    assert words in message


def test_amendment_must_take_effect_later(template: LoadedAgreement) -> None:
    earlier = template.agreement.effective_from - timedelta(days=1)
    with pytest.raises(AgreementError, match="is not after version 1's"):
        amend_agreement(template, changes={}, note="back-dated", effective_from=earlier)


def test_amendment_time_must_have_an_offset(template: LoadedAgreement) -> None:
    with pytest.raises(AgreementError, match="effective_from: input should have timezone info"):
        amend_agreement(template, changes={}, note="naive", effective_from=datetime(2015, 3, 1))


def test_written_version_has_its_own_files_and_loads_back(
    template: LoadedAgreement, tmp_path: Path
) -> None:
    folder = tmp_path / "versions"
    path = write_agreement(template, folder)
    assert path == folder / "minsk-ii-template-v1.yaml"
    assert sorted(p.name for p in folder.iterdir()) == [
        "minsk-ii-template-v1.held-RU.geojson",
        "minsk-ii-template-v1.line.geojson",
        "minsk-ii-template-v1.yaml",
        "minsk-ii-template-v1.zone-azov-maritime.geojson",
        "minsk-ii-template-v1.zone-znpp-no-fly.geojson",
    ]
    line = json.loads((folder / "minsk-ii-template-v1.line.geojson").read_text())
    assert line["features"][0]["properties"]["version"] == 1
    reloaded = load_agreement(path)
    assert agreement_digest(reloaded) == agreement_digest(template)
    assert reloaded.agreement.line.file == "minsk-ii-template-v1.line.geojson"


def test_amendment_saved_beside_the_old_version_keeps_both_loadable(
    template: LoadedAgreement, tmp_path: Path
) -> None:
    folder = tmp_path / "versions"
    first = write_agreement(template, folder)
    second = write_agreement(tighter(template), folder)
    assert second.name == "minsk-ii-template-v2.yaml"
    old, new = load_agreement(first), load_agreement(second)
    assert (old.agreement.version, new.agreement.version, new.agreement.amends) == (1, 2, 1)
    assert old.agreement.clear_breach.min_independent_sources == 2
    assert new.agreement.clear_breach.min_independent_sources == 3
    assert agreement_digest(old) == agreement_digest(template)


def test_writing_the_same_version_twice_is_harmless(
    template: LoadedAgreement, tmp_path: Path
) -> None:
    path = write_agreement(template, tmp_path / "versions")
    before = path.read_bytes()
    assert write_agreement(template, tmp_path / "versions") == path
    assert path.read_bytes() == before


def test_a_written_version_is_never_overwritten(template: LoadedAgreement, tmp_path: Path) -> None:
    folder = tmp_path / "versions"
    path = write_agreement(template, folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    other = template.agreement.model_copy(update={"title": "Same version, other text"})
    with pytest.raises(AgreementError, match="a version is never overwritten"):
        write_agreement(replace(template, agreement=other), folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert load_agreement(path).agreement.title == template.agreement.title
