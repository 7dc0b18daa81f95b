"""Schemathesis against our own OpenAPI document: no 5xx, every answer as documented.

Each operation gets a bounded number of generated requests, valid ones (positive) and
invalid ones (negative, which must be refused with a 4xx).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance
from schemathesis.generation.modes import GenerationMode
from service_support import AUTH, settings_for
from tests.service.conftest import copy_store

from truceline.service.app import create_app

EXAMPLES = 6
"""Generated requests per operation and mode; keeps the whole run well under a minute."""


@pytest.fixture
def api_schema(tmp_path: Path, filled_store: Path) -> Iterator[Any]:
    """The OpenAPI document of an application over a copy of the filled store. One per
    test: schemathesis ends the application's lifespan, which closes its store, when the
    test that started it ends."""
    path = tmp_path / "schema.sqlite"
    copy_store(filled_store, path)
    # Automatic processing off keeps generated batches quick; the trigger still runs.
    app = create_app(settings_for(path, create_store=False, auto_process=False, max_page=50))
    try:
        yield schemathesis.openapi.from_asgi("/api/openapi.json", app)
    finally:
        app.state.service.broker.close()
        app.state.service.store.close()


def _operations(schema: Any) -> list[Any]:
    found = [result.ok() for result in schema.get_all_operations()]
    return sorted(
        (op for op in found if op.path != "/api/feed"), key=lambda op: (op.path, op.method)
    )


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_endpoint_answers_as_documented(api_schema: Any, mode: GenerationMode) -> None:
    operations = _operations(api_schema)
    assert len(operations) >= 15
    for operation in operations:
        takes_input = any(
            len(list(part)) for part in (operation.path_parameters, operation.query, operation.body)
        )
        if mode is GenerationMode.NEGATIVE and not takes_input:
            continue  # nothing to get wrong

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            # A request the schema allows may still break a rule the schema cannot say (a
            # source that is not registered, two parties with one code): 422 is right then.
            case.call_and_validate(headers=AUTH, excluded_checks=[positive_data_acceptance])

        check()
