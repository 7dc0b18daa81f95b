"""Agreements: every version kept as a self-contained document named by its digest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import shapely
from store_helpers import T0

import truceline.agreement
from truceline.agreement.loaded import LoadedAgreement
from truceline.agreement.loader import agreement_digest, amend_agreement, load_agreement
from truceline.errors import StoreError
from truceline.store import open_store

EXAMPLES = Path(truceline.agreement.__file__).parent / "examples"


@pytest.fixture(scope="module")
def minsk(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> LoadedAgreement:
    """The shipped template, pointed at the real line and occupied area of 1 September 2025."""
    contact = shared_data / "contact_line"
    text = (EXAMPLES / "minsk_ii_template.yaml").read_text(encoding="utf-8")
    for name, path in {
        "line_of_contact.geojson": contact / "line_of_contact_20250901.geojson",
        "occupied.geojson": contact / "deepstate_occupied_20250901.geojson",
        "example_no_fly_zone.geojson": EXAMPLES / "example_no_fly_zone.geojson",
        "example_maritime_zone.geojson": EXAMPLES / "example_maritime_zone.geojson",
    }.items():
        assert name in text
        text = text.replace(name, str(path))
    agreement = tmp_path_factory.mktemp("agreement") / "minsk.yaml"
    agreement.write_text(text, encoding="utf-8")
    return load_agreement(agreement)


def _amended(loaded: LoadedAgreement) -> LoadedAgreement:
    threshold = loaded.agreement.clear_breach.model_dump() | {"min_independent_sources": 3}
    return amend_agreement(
        loaded,
        changes={"clear_breach": threshold},
        note="Three independent sources for a clear breach",
        effective_from=datetime(2025, 10, 1, tzinfo=UTC),
    )


def test_a_version_is_stored_once_and_read_back_whole(
    store_target: str, minsk: LoadedAgreement
) -> None:
    with open_store(store_target) as store:
        assert store.add_agreement(minsk) is True
        assert store.add_agreement(minsk) is False
        back = store.agreement()
    assert back.agreement == minsk.agreement
    assert agreement_digest(back) == agreement_digest(minsk)
    assert back.line.geom_type == "MultiLineString"
    assert shapely.hausdorff_distance(back.line, minsk.line) < 1e-6
    assert set(back.held_areas) == {"RU"}
    assert abs(back.held_areas["RU"].area - minsk.held_areas["RU"].area) < 1e-6
    assert set(back.exclusions) == set(minsk.exclusions)


def test_versions_are_listed_and_the_latest_is_the_default(
    store_target: str, minsk: LoadedAgreement
) -> None:
    v2 = _amended(minsk)
    with open_store(store_target) as store:
        store.add_agreement(v2)
        store.add_agreement(minsk)
        assert store.agreement_versions("minsk-ii-template") == [1, 2]
        assert store.agreement_versions("other") == []
        assert store.agreement().agreement.version == 2
        assert store.agreement("minsk-ii-template", 1).agreement == minsk.agreement
        assert store.agreement(version=2).agreement.clear_breach.min_independent_sources == 3
        with pytest.raises(StoreError, match=r"has no version 7 .*stored versions: 1, 2"):
            store.agreement("minsk-ii-template", 7)
        with pytest.raises(StoreError, match="holds no agreement 'other'"):
            store.agreement("other")


def test_a_different_text_under_the_same_version_is_refused(
    store_target: str, minsk: LoadedAgreement
) -> None:
    changed = minsk.agreement.model_copy(update={"title": "A quietly edited title"})
    forged = LoadedAgreement(
        agreement=changed, line=minsk.line, held_areas=minsk.held_areas, exclusions=minsk.exclusions
    )
    with open_store(store_target) as store:
        store.add_agreement(minsk)
        with pytest.raises(
            StoreError,
            match=r"'minsk-ii-template' version 1 is already stored with different content",
        ):
            store.add_agreement(forged)
        assert store.agreement().agreement.title == minsk.agreement.title


def test_the_only_agreement_or_a_clear_error(store_target: str, minsk: LoadedAgreement) -> None:
    with open_store(store_target) as store:
        with pytest.raises(StoreError, match="holds no agreement; load an agreement"):
            store.agreement()
        store.add_agreement(minsk)
        other = minsk.agreement.model_copy(update={"id": "other-ceasefire"})
        store.add_agreement(
            LoadedAgreement(
                agreement=other,
                line=minsk.line,
                held_areas=minsk.held_areas,
                exclusions=minsk.exclusions,
            )
        )
        with pytest.raises(
            StoreError, match=r"several agreements \(minsk-ii-template, other-ceasefire\)"
        ):
            store.agreement()
        assert store.agreement("other-ceasefire").agreement.id == "other-ceasefire"
        assert store.agreement("minsk-ii-template").agreement.effective_from < T0
