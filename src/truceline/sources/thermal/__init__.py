"""The satellite thermal channel: a background model of fire detections in normal years,
and the strategies that label new detections anomalous or normal (docs/thermal.md)."""
