"""Quality of determinations against the ground truth of a simulated scenario.

data.py      -> EvaluationData: observations, arrivals and truth as columns
matching.py  -> which true event each determination is about, which events it covers
metrics.py   -> precision, recall, F1, false clear breaches on background, attribution
replay.py    -> the stream replayed in order of arrival: time to alert
run.py       -> evaluate(): all of it, checked against the targets
"""

from truceline.evaluation.data import EvaluationData, GroundTruth, from_scenario, from_tables
from truceline.evaluation.matching import Matching, match
from truceline.evaluation.metrics import Quality, quality
from truceline.evaluation.replay import Alert, Replay, Window, replay
from truceline.evaluation.run import Evaluation, Targets, determine, evaluate, simulated

__all__ = [
    "Alert",
    "Evaluation",
    "EvaluationData",
    "GroundTruth",
    "Matching",
    "Quality",
    "Replay",
    "Targets",
    "Window",
    "determine",
    "evaluate",
    "from_scenario",
    "from_tables",
    "match",
    "quality",
    "replay",
    "simulated",
]
