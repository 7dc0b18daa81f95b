"""Quality of determinations against the ground truth: detection, background, attribution.

Definitions (docs/evaluation.md gives them in full):

- A determination is **correct** when its incident belongs to a true violation
  (`truceline.evaluation.matching`) and it breaks one of the rules that violation truly
  breaks. Only one determination per violation counts as correct; any further ones are
  **duplicates** (one event split into several incidents) and count as false.
- **Precision** = correct / determinations; **recall** = violations found / violations,
  a violation being found when a determination that breaks one of its rules covers it.
- **Clear breaches** are scored against the violations the threshold could call clear: those
  reported by at least the agreement's `min_independent_sources` independence groups.
  **All determinations** (breaches, suspected or clear) are scored against every violation
  any source reported. Recall over every violation, seen or not, is given beside both.
- **Background** events (harvest fires, permitted activity, live-fire training) are real
  activity that breaks no rule; a clear breach belonging to one is a false clear breach.
  Rates are per 10,000 background events that some source reported.
- **Attribution accuracy**: among correct breach determinations (duplicates included)
  attributed to a party, the share attributed to the true perpetrator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from truceline.adjudication.determination import Status
from truceline.evaluation.data import BACKGROUND, EvaluationData
from truceline.evaluation.matching import BREACHES, Matching
from truceline.simulation.truth import Category

BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.int64]

PER_BACKGROUND = 10_000
"""False clear breaches are counted per this many background events."""


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def _f1(precision: float | None, recall: float | None) -> float | None:
    if precision is None or recall is None:
        return None
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class Detection:
    """Precision, recall and F1 of one level of determination against true violations."""

    determinations: int
    """Determinations at this level."""
    correct: int
    """Of those, correct ones (at most one per true violation)."""
    duplicates: int
    """Determinations of a violation already counted correct (counted as false)."""
    violations: int
    """True violations scored against (the recall's denominator)."""
    found: int
    """Of those, found by a determination at this level."""
    violations_all: int
    """Every true violation, seen or not."""
    found_all: int
    precision: float | None
    recall: float | None
    f1: float | None
    recall_all: float | None
    """found_all / violations_all: what share of everything that happened was called."""


@dataclass(frozen=True)
class Background:
    """Clear breaches belonging to background events (harvest fires, permitted activity,
    live-fire training)."""

    events: int
    """Background events some source reported."""
    events_all: int
    """Every background event, seen or not."""
    false_clear: int
    per_10k: float | None
    """false_clear per 10,000 reported background events."""
    by_category: dict[str, dict[str, int]]
    """Per category: events, seen, false_clear, false_suspected."""


@dataclass(frozen=True)
class Attribution:
    """Who the correct breach determinations blame, against the true perpetrator."""

    breaches: int
    attributed: int
    right: int
    accuracy: float | None
    """right / attributed."""
    clear_breaches: int
    clear_attributed: int
    clear_right: int
    clear_accuracy: float | None


@dataclass(frozen=True)
class Quality:
    """Every quality figure of one run, from one matching."""

    clear: Detection
    breach: Detection
    background: Background
    attribution: Attribution
    false_clear_by_cause: dict[str, int]
    """Why false clear breaches are false: 'duplicate', 'wrong_rule', or the category of
    the event they belong to ('merged:<category>' when the incident also holds reports of a
    true violation of a rule it breaks, which is then found)."""
    missed_clear_by_cause: dict[str, int]
    """Why corroborated violations are not clear breaches (docs/evaluation.md)."""
    incidents: int
    mixed_incidents: int
    """Incidents holding observations of more than one true event."""
    split_violations: int
    """Reported violations whose observations lie in more than one incident."""


def _correct(matching: Matching, data: EvaluationData) -> BoolArray:
    """Which determinations belong to a violation and break one of its rules."""
    truth = data.truth
    violation = truth.is_category(Category.VIOLATION)
    return np.array(
        [
            bool(violation[e]) and bool(set(rules) & set(truth.rules[e]))
            for rules, e in zip(matching.rules, matching.owner.tolist(), strict=True)
        ],
        dtype=np.bool_,
    )


def _pair_matches(matching: Matching, data: EvaluationData) -> BoolArray:
    """For each (determination, event) pair, whether the determination breaks one of the
    event's true rules (non-violations break none)."""
    truth = data.truth
    return np.array(
        [
            bool(set(matching.rules[d]) & set(truth.rules[e]))
            for d, e in zip(
                matching.pair_determination.tolist(), matching.pair_event.tolist(), strict=True
            )
        ],
        dtype=np.bool_,
    )


def _detection(
    matching: Matching,
    data: EvaluationData,
    level: BoolArray,
    correct: BoolArray,
    pair_ok: BoolArray,
    scored: BoolArray,
) -> Detection:
    violation = data.truth.is_category(Category.VIOLATION)
    hits = correct & level
    distinct = len(np.unique(matching.owner[hits]))
    found_pairs = pair_ok & level[matching.pair_determination]
    found = np.zeros(len(data.truth), dtype=np.bool_)
    found[matching.pair_event[found_pairs]] = True
    found &= violation
    n = int(level.sum())
    precision = _ratio(distinct, n)
    recall = _ratio(int((found & scored).sum()), int(scored.sum()))
    return Detection(
        determinations=n,
        correct=distinct,
        duplicates=int(hits.sum()) - distinct,
        violations=int(scored.sum()),
        found=int((found & scored).sum()),
        violations_all=int(violation.sum()),
        found_all=int(found.sum()),
        precision=precision,
        recall=recall,
        f1=_f1(precision, recall),
        recall_all=_ratio(int(found.sum()), int(violation.sum())),
    )


def quality(matching: Matching, data: EvaluationData) -> Quality:
    """Every quality figure of a matching (see the module doc for the definitions)."""
    truth = data.truth
    threshold = data.loaded.agreement.clear_breach
    violation = truth.is_category(Category.VIOLATION)
    seen = truth.observations > 0
    corroborated = violation & (truth.independent >= threshold.min_independent_sources)
    clear = matching.is_status(Status.CLEAR_BREACH)
    breach = matching.is_status(*BREACHES)
    correct = _correct(matching, data)
    pair_ok = _pair_matches(matching, data)

    clear_detection = _detection(matching, data, clear, correct, pair_ok, corroborated)
    breach_detection = _detection(matching, data, breach, correct, pair_ok, violation & seen)

    owner_category = truth.category[matching.owner] if len(matching) else np.zeros(0, dtype=str)
    by_category: dict[str, dict[str, int]] = {}
    suspected = matching.is_status(Status.SUSPECTED_BREACH)
    for category in BACKGROUND:
        in_category = truth.category == category.value
        owned = owner_category == category.value
        by_category[category.value] = {
            "events": int(in_category.sum()),
            "seen": int((in_category & seen).sum()),
            "false_clear": int((owned & clear).sum()),
            "false_suspected": int((owned & suspected).sum()),
        }
    background_seen = sum(v["seen"] for v in by_category.values())
    false_clear = sum(v["false_clear"] for v in by_category.values())
    background = Background(
        events=background_seen,
        events_all=sum(v["events"] for v in by_category.values()),
        false_clear=false_clear,
        per_10k=(PER_BACKGROUND * false_clear / background_seen if background_seen else None),
        by_category=by_category,
    )

    return Quality(
        clear=clear_detection,
        breach=breach_detection,
        background=background,
        attribution=_attribution(matching, data, correct, breach, clear),
        false_clear_by_cause=_false_causes(matching, data, clear, correct, pair_ok),
        missed_clear_by_cause=_missed_causes(matching, data, corroborated, pair_ok),
        incidents=len(matching),
        mixed_incidents=int((matching.events_held > 1).sum()),
        split_violations=_split(matching, data, violation & seen),
    )


def _attribution(
    matching: Matching,
    data: EvaluationData,
    correct: BoolArray,
    breach: BoolArray,
    clear: BoolArray,
) -> Attribution:
    party = data.truth.party
    counts: dict[str, int] = Counter()
    for k in np.flatnonzero(correct & breach).tolist():
        blamed = matching.attributed_to[k]
        is_clear = bool(clear[k])
        counts["breaches"] += 1
        counts["clear_breaches"] += is_clear
        if blamed is None:
            continue
        right = blamed == party[int(matching.owner[k])]
        counts["attributed"] += 1
        counts["right"] += right
        counts["clear_attributed"] += is_clear
        counts["clear_right"] += is_clear and right
    return Attribution(
        breaches=counts["breaches"],
        attributed=counts["attributed"],
        right=counts["right"],
        accuracy=_ratio(counts["right"], counts["attributed"]),
        clear_breaches=counts["clear_breaches"],
        clear_attributed=counts["clear_attributed"],
        clear_right=counts["clear_right"],
        clear_accuracy=_ratio(counts["clear_right"], counts["clear_attributed"]),
    )


def _false_causes(
    matching: Matching,
    data: EvaluationData,
    clear: BoolArray,
    correct: BoolArray,
    pair_ok: BoolArray,
) -> dict[str, int]:
    """'duplicate', 'wrong_rule', or the category of the event a false clear breach belongs
    to, prefixed 'merged:' when its incident also holds a violation of a rule it breaks."""
    causes: Counter[str] = Counter()
    counted: set[int] = set()
    violation = Category.VIOLATION.value
    holds_violation = np.zeros(len(matching), dtype=np.bool_)
    holds_violation[matching.pair_determination[pair_ok]] = True
    for k in np.flatnonzero(clear).tolist():
        owner = int(matching.owner[k])
        if correct[k]:
            if owner in counted:
                causes["duplicate"] += 1
            counted.add(owner)
        elif data.truth.category[owner] == violation:
            causes["wrong_rule"] += 1
        else:
            merged = "merged:" if holds_violation[k] else ""
            causes[f"{merged}{data.truth.category[owner]}"] += 1
    return dict(sorted(causes.items()))


MISSED_CAUSES = {
    "split": "its reports were fused into several incidents, none with enough independent sources",
    "few_sources": "its incident counts fewer independent sources than the threshold asks",
    "low_confidence": "its incident has enough independent sources but too little confidence",
    "below_severity": "its incident is graver than nothing but below the threshold's severity",
    "other_rule": "judged a breach, but of another rule",
    "deconflicted": "a pre-notification lifted the rule",
    "no_violation": "judged no breach of any rule",
}
"""Why a corroborated violation is not found as a clear breach, in words."""


def _missed_causes(
    matching: Matching, data: EvaluationData, corroborated: BoolArray, pair_ok: BoolArray
) -> dict[str, int]:
    """For each corroborated violation no clear breach found, the first cause that applies,
    judged on the determinations whose incidents hold its reports."""
    threshold = data.loaded.agreement.clear_breach
    clear = matching.is_status(Status.CLEAR_BREACH)
    breach = matching.is_status(*BREACHES)
    deconflicted = matching.is_status(Status.DECONFLICTED)
    found = np.zeros(len(data.truth), dtype=np.bool_)
    found[matching.pair_event[pair_ok & clear[matching.pair_determination]]] = True
    missed = corroborated & ~found
    order = np.argsort(matching.pair_event, kind="stable")
    pair_event = matching.pair_event[order]
    pair_det = matching.pair_determination[order]
    ok = pair_ok[order]
    starts = np.searchsorted(pair_event, np.arange(len(data.truth)))
    stops = np.searchsorted(pair_event, np.arange(len(data.truth)), side="right")
    causes: Counter[str] = Counter()
    for e in np.flatnonzero(missed).tolist():
        dets = pair_det[starts[e] : stops[e]]
        matched = dets[ok[starts[e] : stops[e]] & breach[dets]]
        if len(matched) == 0:
            if bool(deconflicted[dets].any()):
                causes["deconflicted"] += 1
            elif bool(breach[dets].any()):
                causes["other_rule"] += 1
            else:
                causes["no_violation"] += 1
            continue
        best = matched[
            np.lexsort((-matching.confidence[matched], -matching.independent_sources[matched]))[0]
        ]
        if matching.independent_sources[best] < threshold.min_independent_sources:
            causes["split" if len(dets) > 1 else "few_sources"] += 1
        elif matching.confidence[best] < threshold.min_confidence - 1e-9:
            causes["low_confidence"] += 1
        else:
            causes["below_severity"] += 1
    return dict(sorted(causes.items()))


def _split(matching: Matching, data: EvaluationData, scored: BoolArray) -> int:
    """Scored violations whose reports lie in more than one determined incident."""
    incidents_per_event = np.bincount(matching.pair_event, minlength=len(data.truth))
    return int(((incidents_per_event > 1) & scored).sum())
