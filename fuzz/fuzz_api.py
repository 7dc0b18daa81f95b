"""Fuzz the API's observation input models with atheris: python fuzz/fuzz_api.py [options].

The body is validated as the service validates it: a JSON document into `ObservationIn`
(one observation) and `ObservationBatchIn` (many), then each row into an observation.
"""

from __future__ import annotations

import sys

import atheris  # type: ignore[import-untyped]

with atheris.instrument_imports(include=["truceline"]):
    from pydantic import ValidationError

    from truceline.service.schemas import ObservationBatchIn, ObservationIn


def check(exc: ValidationError) -> None:
    for error in exc.errors(include_url=False):
        if not error["msg"].strip():
            raise AssertionError(f"a validation error without a message: {error!r}")


def test_one_input(data: bytes) -> None:
    try:
        ObservationIn.model_validate_json(data)
    except ValidationError as exc:
        check(exc)
    try:
        batch = ObservationBatchIn.model_validate_json(data)
    except ValidationError as exc:
        check(exc)
        return
    for row in batch.observations:
        try:
            ObservationIn.model_validate(row)
        except ValidationError as exc:
            check(exc)


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
