"""Fixtures of the open data tests: the marked store, and an in-process client of the
service over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.opendata.opendata_support import Marked, make_marked
from tests.service.service_support import ApiClient, api


@pytest.fixture(scope="session")
def marked(tmp_path_factory: pytest.TempPathFactory) -> Marked:
    """A judged simulated day, a third public, a third released to FR, a third the cell's."""
    return make_marked(tmp_path_factory.mktemp("opendata") / "marked.sqlite")


@pytest.fixture(scope="module")
def client(marked: Marked) -> Iterator[ApiClient]:
    """A client of the service over the marked store, letting anonymous readers in."""
    with api(marked.path, create_store=False, public_read=True) as found:
        yield found
