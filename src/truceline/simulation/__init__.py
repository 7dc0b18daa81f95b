"""A simulated theatre and days of multi-sensor observations of it, with ground truth.

generate_theatre() -> a fictional agreement (line, zones, rules) ready to use
simulate_tables(loaded) -> ScenarioTables: the scenario as columns (scales to 10^7)
simulate(loaded)   -> a Scenario: sources, observations, pre-notifications, truth (objects)
summarise(scenario) -> counts of the ground truth, for a summary beside the results
"""

from truceline.simulation.gaps import CoverageGap, GapReason
from truceline.simulation.scenario import DEFAULT_START, Scenario, scenario_of, simulate
from truceline.simulation.tables import ScenarioTables, TruthTable, simulate_tables
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
    "CoverageGap",
    "GapReason",
    "Scenario",
    "ScenarioTables",
    "TruthEvent",
    "TruthSummary",
    "TruthTable",
    "format_summary",
    "generate_theatre",
    "minsk_style_agreement",
    "scenario_of",
    "simulate",
    "simulate_tables",
    "summarise",
]
