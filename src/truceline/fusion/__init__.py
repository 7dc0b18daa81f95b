"""Fusion: observations of the same event become one incident.

Batch: `fuse` (objects) and `fuse_table` (columns). Incremental: `refuse` in
`truceline.fusion.incremental` (not imported here, as it depends on the store's types).
"""

from truceline.fusion.aggregate import FusionResult, fuse_table
from truceline.fusion.build import build_incidents, incident_id
from truceline.fusion.fuse import fuse
from truceline.fusion.parameters import DEFAULT, KIND_PRIORITY, FusionParameters

__all__ = [
    "DEFAULT",
    "KIND_PRIORITY",
    "FusionParameters",
    "FusionResult",
    "build_incidents",
    "fuse",
    "fuse_table",
    "incident_id",
]
