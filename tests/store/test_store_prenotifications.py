"""Pre-notifications: stored once, never changed, found by time and party."""

from __future__ import annotations

from datetime import timedelta

import pytest
from store_helpers import T0, prenotification, square

from truceline.errors import StoreError
from truceline.store import TimeWindow, open_store


def test_a_notice_is_stored_once_and_cannot_be_changed(store_target: str) -> None:
    notice = prenotification("1")
    with open_store(store_target) as store:
        assert store.add_prenotification(notice) is True
        assert store.add_prenotification(notice) is False
        moved = prenotification("1", area=square(38.0, 48.0))
        with pytest.raises(StoreError, match="'pn-1' is already stored with different content"):
            store.add_prenotification(moved)
        assert store.prenotifications() == [notice]


def test_notices_are_found_by_overlapping_window_and_party(store_target: str) -> None:
    day = timedelta(days=1)
    a = prenotification("a", starts_at=T0 + day, ends_at=T0 + 2 * day)
    b = prenotification("b", party="RU", starts_at=T0 + 2 * day, ends_at=T0 + 3 * day)
    c = prenotification("c", starts_at=T0 + 5 * day, ends_at=T0 + 6 * day)
    early = prenotification("0", starts_at=T0 + day, ends_at=T0 + 4 * day)
    with open_store(store_target) as store:
        for notice in (c, b, a, early):
            store.add_prenotification(notice)
        assert store.prenotifications() == [early, a, b, c]
        assert store.prenotifications(party="UA") == [early, a, c]
        edge = TimeWindow(T0 + 2 * day, T0 + 2 * day)  # touches a's end and b's start
        assert store.prenotifications(window=edge) == [early, a, b]
        assert store.prenotifications(window=edge, party="RU") == [b]
        gap = TimeWindow(
            T0 + 4 * day + timedelta(microseconds=1), T0 + 5 * day - timedelta(microseconds=1)
        )
        assert store.prenotifications(window=gap) == []
