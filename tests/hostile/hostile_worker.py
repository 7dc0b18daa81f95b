"""Read one file with one adapter under a memory limit; print a JSON summary.

Usage: python hostile_worker.py ADAPTER PATH. Exits non-zero (with the traceback) on any
exception other than the adapter's documented refusal, or when memory runs out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from hostile_support import assert_explained, limit_memory, read_with


def main() -> None:
    limit_memory()
    name, path = sys.argv[1], Path(sys.argv[2])
    outcome = read_with(name, path)
    assert_explained(outcome)
    print(
        json.dumps(
            {
                "observations": len(outcome.observations),
                "rejections": len(outcome.rejections),
                "reasons": sorted({r.reason for r in outcome.rejections})[:5],
                "refused": None if outcome.refused is None else str(outcome.refused),
                "field": None if outcome.refused is None else outcome.refused.field,
            }
        )
    )


if __name__ == "__main__":
    main()
