"""A simulated theatre and a week of multi-sensor observations of it, with ground truth.

generate_theatre() -> a fictional agreement (line, zones, rules) ready to use
simulate(loaded)   -> a Scenario: sources, observations, pre-notifications, truth
summarise(scenario) -> counts of the ground truth, for a summary beside the results
"""

from truceline.simulation.scenario import DEFAULT_START, Scenario, simulate
from truceline.simulation.theatre import generate_theatre, minsk_style_agreement
from truceline.simulation.truth import (
    Category,
    Coverage,
    TruthEvent,
    TruthSummary,
    format_summary,
    summarise,
)

__all__ = [
    "DEFAULT_START",
    "Category",
    "Coverage",
    "Scenario",
    "TruthEvent",
    "TruthSummary",
    "format_summary",
    "generate_theatre",
    "minsk_style_agreement",
    "simulate",
    "summarise",
]
