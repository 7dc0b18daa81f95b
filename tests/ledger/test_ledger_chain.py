"""The hash chain on its own: built entries verify, and any change is found where it is."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from truceline.ledger.chain import build_chain, check_chain
from truceline.ledger.entry import GENESIS, EntryKind, LedgerEntry, entry_hash, sha256_hex

kinds = st.sampled_from(list(EntryKind))
payloads = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner),
    max_leaves=6,
)
items = st.lists(st.tuples(kinds, st.text(min_size=1, max_size=8), payloads), max_size=12)


@given(items)
@settings(max_examples=60, deadline=None)
def test_a_built_chain_verifies(chosen: list[tuple[EntryKind, str, object]]) -> None:
    entries = build_chain(chosen)
    assert check_chain(entries) is None
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    if entries:
        assert entries[0].prev_sha256 == GENESIS


@given(items.filter(bool), st.data())
@settings(max_examples=80, deadline=None)
def test_flipping_one_character_is_found_at_that_entry(
    chosen: list[tuple[EntryKind, str, object]], data: st.DataObject
) -> None:
    entries = build_chain(chosen)
    index = data.draw(st.integers(0, len(entries) - 1))
    name = data.draw(st.sampled_from(["payload", "payload_sha256", "prev_sha256", "entry_sha256"]))
    value: str = getattr(entries[index], name)
    at = data.draw(st.integers(0, max(len(value) - 1, 0)))
    flipped = value[:at] + ("x" if value[at : at + 1] != "x" else "y") + value[at + 1 :]
    changed: dict[str, Any] = {name: flipped}
    entries[index] = dataclasses.replace(entries[index], **changed)
    problem = check_chain(entries)
    assert problem is not None
    assert problem.seq == entries[index].seq
    assert f"ledger entry {entries[index].seq} " in problem.message


@given(items.filter(lambda x: len(x) >= 2), st.data())
@settings(max_examples=40, deadline=None)
def test_removing_or_swapping_entries_is_found(
    chosen: list[tuple[EntryKind, str, object]], data: st.DataObject
) -> None:
    entries = build_chain(chosen)
    index = data.draw(st.integers(0, len(entries) - 2))
    removed = entries[:index] + entries[index + 1 :]
    assert check_chain(removed) is not None
    swapped = list(entries)
    swapped[index], swapped[index + 1] = swapped[index + 1], swapped[index]
    problem = check_chain(swapped)
    assert problem is not None
    assert "expected sequence number" in problem.message


def test_the_entry_hash_is_the_documented_formula() -> None:
    entry = LedgerEntry.make(1, EntryKind.SOURCE, "s1", {"b": 1, "a": "é"}, GENESIS)
    assert entry.payload == '{"a":"é","b":1}'
    assert entry.payload_sha256 == sha256_hex(entry.payload)
    assert entry.entry_sha256 == sha256_hex(f"{GENESIS}\n{entry.payload_sha256}\n1\nsource")
    assert entry.entry_sha256 == entry_hash(GENESIS, entry.payload_sha256, 1, "source")
    assert LedgerEntry.from_dict(entry.as_dict()) == entry


def test_a_slice_verifies_from_its_first_previous_hash() -> None:
    entries = build_chain([(EntryKind.SOURCE, str(n), {"n": n}) for n in range(6)])
    part = entries[3:]
    assert check_chain(part) is not None
    assert check_chain(part, first_seq=4, first_prev=entries[2].entry_sha256) is None
