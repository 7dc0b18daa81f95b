"""The review workflow: what analysts did to an incident, and the state that follows.

The workflow is event-sourced. A `ReviewAction` records one act of one person — claim,
release, confirm, dismiss, request more collection, merge, split or sign — with who did it,
for which organisation, in which role and when. Actions are never changed or deleted; the
state of an incident is the fold of its actions (`review_state`), and `apply` is the one
transition function, refusing with a `ReviewError` whatever the workflow does not allow.

The same actions always give the same state: actions are folded in the order of their time,
then their id, and nothing here reads a clock — the caller passes `now`.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from truceline.adjudication.determination import Determination, Status
from truceline.agreement.model import Severity
from truceline.errors import InputError
from truceline.fusion.build import incident_id as fused_incident_id
from truceline.fusion.incident import Incident
from truceline.observations.model import UtcDatetime

Ident = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^\S+$")]
"""An id, user id or organisation code: 1 to 200 characters, no white space."""

Reason = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]

LOCK_DURATION = timedelta(minutes=30)
"""How long a claim holds by default; a claim that is not renewed lapses after this."""


class ReviewError(InputError):
    """A review action the workflow refuses; the message says why and what to do instead."""


class Role(StrEnum):
    """The role a person acts in."""

    ANALYST = "analyst"
    """Monitoring analyst of the coordination cell: claims, confirms, dismisses, asks for
    more collection, merges and splits incidents."""
    SENIOR_ANALYST = "senior_analyst"
    """Everything an analyst does, and signs determinations; may release another person's
    claim, with a reason."""
    LIAISON = "liaison"
    """Liaison officer of a coalition member: reads and records responses, does not review."""


class ReviewActionKind(StrEnum):
    """What a review action does."""

    CLAIM = "claim"
    RELEASE = "release"
    CONFIRM = "confirm"
    DISMISS = "dismiss"
    REQUEST_COLLECTION = "request_collection"
    MERGE = "merge"
    SPLIT = "split"
    SIGN = "sign"


class ReviewStatus(StrEnum):
    """Where an incident stands in review. A claim (lock) is kept beside the status."""

    OPEN = "open"
    CONFIRMED = "confirmed"
    AWAITING_COLLECTION = "awaiting_collection"
    SIGNED_ONCE = "signed_once"
    SIGNED = "signed"
    DISMISSED = "dismissed"
    MERGED = "merged"
    SPLIT = "split"


FINAL_STATUSES = frozenset(
    {ReviewStatus.SIGNED, ReviewStatus.DISMISSED, ReviewStatus.MERGED, ReviewStatus.SPLIT}
)
"""Statuses no action leaves: the review of the incident is over."""

_A = ReviewActionKind
_S = ReviewStatus

_ANALYST_ACTIONS = frozenset(
    {_A.CLAIM, _A.RELEASE, _A.CONFIRM, _A.DISMISS, _A.REQUEST_COLLECTION, _A.MERGE, _A.SPLIT}
)

_FROM: dict[ReviewActionKind, frozenset[ReviewStatus]] = {
    _A.CONFIRM: frozenset({_S.OPEN, _S.AWAITING_COLLECTION}),
    _A.DISMISS: frozenset({_S.OPEN, _S.CONFIRMED, _S.AWAITING_COLLECTION, _S.SIGNED_ONCE}),
    _A.REQUEST_COLLECTION: frozenset({_S.OPEN, _S.CONFIRMED, _S.SIGNED_ONCE}),
    _A.MERGE: frozenset({_S.OPEN, _S.CONFIRMED, _S.AWAITING_COLLECTION}),
    _A.SPLIT: frozenset({_S.OPEN, _S.CONFIRMED, _S.AWAITING_COLLECTION}),
    _A.SIGN: frozenset({_S.CONFIRMED, _S.SIGNED_ONCE}),
}
"""The statuses each deciding action may start from (claim and release: any that is not
final)."""

_VERBS = {
    _A.CLAIM: "claim",
    _A.RELEASE: "release",
    _A.CONFIRM: "confirm",
    _A.DISMISS: "dismiss",
    _A.REQUEST_COLLECTION: "request more collection for",
    _A.MERGE: "merge",
    _A.SPLIT: "split",
    _A.SIGN: "sign",
}

_STATUS_WORDS = {
    _S.OPEN: "open",
    _S.CONFIRMED: "confirmed",
    _S.AWAITING_COLLECTION: "awaiting more collection",
    _S.SIGNED_ONCE: "signed once",
    _S.SIGNED: "signed by two reviewers",
    _S.DISMISSED: "dismissed",
    _S.MERGED: "merged",
    _S.SPLIT: "split",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class ReviewPolicy(_Frozen):
    """The rules of the workflow that a mission may set."""

    lock_duration: timedelta = Field(
        default=LOCK_DURATION, gt=timedelta(0), description="How long a claim holds."
    )
    permissions: dict[Role, frozenset[ReviewActionKind]] = Field(
        default_factory=lambda: {
            Role.ANALYST: _ANALYST_ACTIONS,
            Role.SENIOR_ANALYST: _ANALYST_ACTIONS | {_A.SIGN},
            Role.LIAISON: frozenset(),
        },
        description="The actions each role may take; a role not listed may take none.",
    )
    lock_breakers: frozenset[Role] = Field(
        default=frozenset({Role.SENIOR_ANALYST}),
        description="Roles that may release another person's claim, giving a reason.",
    )
    signers_from_distinct_orgs: bool = Field(
        default=False,
        description="Whether the two signatures must come from two organisations, not only "
        "from two people.",
    )


DEFAULT_POLICY = ReviewPolicy()


class ReviewPayload(_Frozen):
    """What some actions need beyond who, when and why."""

    into: Ident | None = Field(default=None, description="merge: the incident it joins.")
    groups: tuple[tuple[Ident, ...], ...] = Field(
        default=(), description="split: the observation ids of each new incident."
    )
    determination_id: Ident | None = Field(
        default=None, description="sign: the determination signed."
    )


class ReviewAction(_Frozen):
    """One act of one person on one incident. Kept for ever, never changed."""

    id: Ident = Field(description="Unique id; `ReviewAction.create` derives it from content.")
    incident_id: Ident
    actor: Ident = Field(description="The user id of the person who acted.")
    actor_org: Ident = Field(description="The organisation the person acted for.")
    role: Role
    action: ReviewActionKind
    reason: Reason | None = None
    payload: ReviewPayload = Field(default_factory=ReviewPayload)
    at: UtcDatetime

    @classmethod
    def create(
        cls,
        *,
        incident_id: str,
        actor: str,
        actor_org: str,
        role: Role | str,
        action: ReviewActionKind | str,
        at: datetime,
        reason: str | None = None,
        payload: ReviewPayload | Mapping[str, Any] | None = None,
    ) -> ReviewAction:
        """An action whose id is derived from everything else it says: ``rev-`` and 24 hex
        digits of SHA-256 of its canonical JSON. Recording the same act twice gives the same
        id, so a replayed request is recorded once."""
        fields: dict[str, Any] = {
            "incident_id": incident_id,
            "actor": actor,
            "actor_org": actor_org,
            "role": role,
            "action": action,
            "at": at,
            "reason": reason,
            "payload": payload if payload is not None else {},
        }
        draft = cls.model_validate({"id": "draft", **fields})
        body = draft.model_dump(mode="json", exclude={"id"})
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        digest = hashlib.sha256(canonical.encode()).hexdigest()[:24]
        return draft.model_copy(update={"id": f"rev-{digest}"})


class Lock(_Frozen):
    """A claim: one person works on the incident until `until`, unless released."""

    actor: str
    actor_org: str
    since: UtcDatetime
    until: UtcDatetime

    def active(self, at: datetime) -> bool:
        """Whether the claim still holds at this time."""
        return at < self.until


class Signature(_Frozen):
    """One reviewer's signature of a determination."""

    actor: str
    actor_org: str
    role: Role
    determination_id: str
    at: UtcDatetime
    action_id: str


class ReviewState(_Frozen):
    """Where the review of one incident stands, and everything done to it so far."""

    incident_id: str
    status: ReviewStatus = ReviewStatus.OPEN
    lock: Lock | None = Field(default=None, description="The claim, if one holds.")
    confirmed_by: str | None = None
    confirmed_at: UtcDatetime | None = None
    signatures: tuple[Signature, ...] = ()
    dismissal_reason: str | None = None
    collection_request: str | None = None
    merged_into: str | None = None
    merged_from: tuple[str, ...] = Field(
        default=(), description="Incidents merged into this one (set by `review_states`)."
    )
    split_into: tuple[str, ...] = Field(
        default=(), description="Ids of the incidents it was split into, as fusion names them."
    )
    split_groups: tuple[tuple[str, ...], ...] = ()
    history: tuple[ReviewAction, ...] = Field(
        default=(), description="Every action applied, in order: who, what, when and why."
    )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def signed_at(self) -> datetime | None:
        """When the second signature was given (None until the incident is signed)."""
        return self.signatures[-1].at if self.status is ReviewStatus.SIGNED else None

    @property
    def signed_determination_id(self) -> str | None:
        return self.signatures[0].determination_id if self.signatures else None

    @property
    def last_action_at(self) -> datetime | None:
        return self.history[-1].at if self.history else None

    def claimed_by(self, at: datetime) -> str | None:
        """Who holds the claim at this time, if anyone."""
        return self.lock.actor if self.lock is not None and self.lock.active(at) else None

    def describe(self, at: datetime) -> str:
        """The status in words, with the claim: 'confirmed; claimed by alice until 12:30 UTC'."""
        words = _STATUS_WORDS[self.status]
        if self.status is ReviewStatus.SIGNED_ONCE and self.signatures:
            words += f" by {self.signatures[0].actor}"
        if self.status is ReviewStatus.MERGED and self.merged_into:
            words += f" into {self.merged_into}"
        if self.status is ReviewStatus.SPLIT:
            words += f" into {', '.join(self.split_into)}"
        if self.lock is not None and self.lock.active(at):
            words += f"; claimed by {self.lock.actor} until {_when(self.lock.until)}"
        return words


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _refuse(action: ReviewAction, field: str, why: str) -> ReviewError:
    return ReviewError(
        f"{action.actor} cannot {_VERBS[action.action]} incident {action.incident_id}: {why}",
        field=field,
    )


def _check_order(state: ReviewState, action: ReviewAction) -> None:
    if action.incident_id != state.incident_id:
        raise ReviewError(
            f"action {action.id} is for incident {action.incident_id}, not "
            f"{state.incident_id}; apply it to the state of its own incident",
            field="incident_id",
        )
    if any(done.id == action.id for done in state.history):
        raise ReviewError(
            f"action {action.id} is already recorded for incident {state.incident_id}",
            field="id",
        )
    last = state.last_action_at
    if last is not None and action.at < last:
        raise ReviewError(
            f"action {action.id} at {action.at.isoformat()} is earlier than the last action "
            f"on incident {state.incident_id} ({last.isoformat()}); actions are applied in "
            "the order of their time",
            field="at",
        )


def _check_allowed(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> None:
    allowed = policy.permissions.get(action.role, frozenset())
    if action.action not in allowed:
        roles = sorted(r.value for r, acts in policy.permissions.items() if action.action in acts)
        raise _refuse(
            action,
            "role",
            f"the role {action.role.value} may not {_VERBS[action.action]} incidents; "
            f"this takes the role {' or '.join(roles) or '(none)'}",
        )
    if state.is_final:
        why = f"it is already {_STATUS_WORDS[state.status]}"
        if state.status is ReviewStatus.MERGED:
            why += f" into {state.merged_into}; act on {state.merged_into} instead"
        elif state.status is ReviewStatus.SPLIT:
            why += f" into {', '.join(state.split_into)}; act on those instead"
        else:
            why += "; its review is over"
        raise _refuse(action, "action", why)
    lock = state.lock
    if lock is None or not lock.active(action.at) or lock.actor == action.actor:
        return
    breaking = (
        action.action is ReviewActionKind.RELEASE
        and action.role in policy.lock_breakers
        and action.reason is not None
    )
    if (
        action.action is ReviewActionKind.RELEASE
        and action.role in policy.lock_breakers
        and action.reason is None
    ):
        raise _refuse(
            action,
            "reason",
            f"it is claimed by {lock.actor}; releasing another person's claim needs a reason",
        )
    if not breaking:
        raise _refuse(
            action,
            "actor",
            f"it is claimed by {lock.actor} ({lock.actor_org}) until {_when(lock.until)}; "
            f"ask {lock.actor} to release it, or wait until the claim lapses",
        )


def _check_from(state: ReviewState, action: ReviewAction) -> None:
    allowed = _FROM.get(action.action)
    if allowed is None or state.status in allowed:
        return
    hints = {
        (_A.SIGN, _S.OPEN): "confirm it before signing",
        (_A.SIGN, _S.AWAITING_COLLECTION): "confirm it when the collection is in, then sign",
        (_A.CONFIRM, _S.CONFIRMED): "it needs signatures now, not another confirmation",
        (_A.CONFIRM, _S.SIGNED_ONCE): "it needs a second signature, not another confirmation",
        (_A.REQUEST_COLLECTION, _S.AWAITING_COLLECTION): "collection is already requested",
    }
    hint = hints.get((action.action, state.status), "")
    raise _refuse(
        action, "action", f"it is {_STATUS_WORDS[state.status]}" + (f"; {hint}" if hint else "")
    )


def _released(state: ReviewState, action: ReviewAction) -> Lock | None:
    """The claim after a deciding action: the actor's own claim ends with the decision."""
    lock = state.lock
    if lock is not None and (lock.actor == action.actor or not lock.active(action.at)):
        return None
    return lock


def apply(
    state: ReviewState, action: ReviewAction, policy: ReviewPolicy = DEFAULT_POLICY
) -> ReviewState:
    """The state after one more action, or a `ReviewError` saying why it is refused.

    Refused: an action for another incident, recorded twice, or earlier than the last one; a
    role that may not take the action; any action on a signed, dismissed, merged or split
    incident; any action (but a senior analyst's release with a reason) while another person
    holds an unexpired claim; a transition from the wrong status (signing before confirming,
    confirming twice); a dismissal or a request for collection without a reason; a merge
    without a target or into itself; a split into fewer than two groups, or with an
    observation in two groups; a signature without its determination, by someone who has
    already signed, or of another determination than the first signature's.
    """
    _check_order(state, action)
    _check_allowed(state, action, policy)
    _check_from(state, action)
    handler = _HANDLERS[action.action]
    updated = handler(state, action, policy)
    return updated.model_copy(update={"history": (*state.history, action)})


def _claim(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> ReviewState:
    lock = Lock(
        actor=action.actor,
        actor_org=action.actor_org,
        since=action.at,
        until=action.at + policy.lock_duration,
    )
    return state.model_copy(update={"lock": lock})


def _release(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> ReviewState:
    if state.lock is None or not state.lock.active(action.at):
        raise _refuse(action, "action", "it is not claimed; there is nothing to release")
    return state.model_copy(update={"lock": None})


def _confirm(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> ReviewState:
    return state.model_copy(
        update={
            "status": ReviewStatus.CONFIRMED,
            "confirmed_by": action.actor,
            "confirmed_at": action.at,
            "collection_request": None,
            "lock": _released(state, action),
        }
    )


def _dismiss(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> ReviewState:
    if action.reason is None:
        raise _refuse(
            action,
            "reason",
            "a dismissal needs a reason; say why the incident is not a breach (a harvest "
            "fire, a duplicate, a permitted activity...)",
        )
    return state.model_copy(
        update={
            "status": ReviewStatus.DISMISSED,
            "dismissal_reason": action.reason,
            "lock": _released(state, action),
        }
    )


def _request_collection(
    state: ReviewState, action: ReviewAction, policy: ReviewPolicy
) -> ReviewState:
    if action.reason is None:
        raise _refuse(
            action,
            "reason",
            "a request for more collection needs a reason; say what should be collected "
            "(another UAV pass, the acoustic array's log...)",
        )
    # New evidence changes what was signed, so a signature given so far no longer stands.
    return state.model_copy(
        update={
            "status": ReviewStatus.AWAITING_COLLECTION,
            "collection_request": action.reason,
            "confirmed_by": None,
            "confirmed_at": None,
            "signatures": (),
            "lock": _released(state, action),
        }
    )


def _merge(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> ReviewState:
    into = action.payload.into
    if into is None:
        raise _refuse(action, "payload.into", "a merge names the incident it joins (payload.into)")
    if into == state.incident_id:
        raise _refuse(action, "payload.into", "an incident cannot be merged into itself")
    return state.model_copy(
        update={
            "status": ReviewStatus.MERGED,
            "merged_into": into,
            "lock": _released(state, action),
        }
    )


def _split(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> ReviewState:
    groups = action.payload.groups
    if len(groups) < 2 or any(not group for group in groups):
        raise _refuse(
            action,
            "payload.groups",
            "a split needs at least two non-empty groups of observation ids (payload.groups)",
        )
    seen: dict[str, int] = {}
    for index, group in enumerate(groups):
        for observation_id in group:
            if observation_id in seen:
                raise _refuse(
                    action,
                    "payload.groups",
                    f"observation {observation_id} is in groups {seen[observation_id]} and "
                    f"{index}; each observation goes to one new incident",
                )
            seen[observation_id] = index
    ordered = tuple(sorted(tuple(sorted(group)) for group in groups))
    return state.model_copy(
        update={
            "status": ReviewStatus.SPLIT,
            "split_groups": ordered,
            "split_into": tuple(fused_incident_id(group[0]) for group in ordered),
            "lock": _released(state, action),
        }
    )


def _sign(state: ReviewState, action: ReviewAction, policy: ReviewPolicy) -> ReviewState:
    determination_id = action.payload.determination_id
    if determination_id is None:
        raise _refuse(
            action,
            "payload.determination_id",
            "a signature names the determination signed (payload.determination_id)",
        )
    if state.signatures:
        first = state.signatures[0]
        if first.actor == action.actor:
            raise _refuse(
                action,
                "actor",
                f"{action.actor} has already signed it; a clear breach needs the "
                "signatures of two different reviewers",
            )
        if policy.signers_from_distinct_orgs and first.actor_org == action.actor_org:
            raise _refuse(
                action,
                "actor_org",
                f"the first signature is from {first.actor_org} too; the second must come "
                "from another organisation",
            )
        if first.determination_id != determination_id:
            raise _refuse(
                action,
                "payload.determination_id",
                f"{first.actor} signed determination {first.determination_id}, not "
                f"{determination_id}; both signatures must be of the same determination",
            )
    signature = Signature(
        actor=action.actor,
        actor_org=action.actor_org,
        role=action.role,
        determination_id=determination_id,
        at=action.at,
        action_id=action.id,
    )
    signatures = (*state.signatures, signature)
    status = ReviewStatus.SIGNED if len(signatures) >= 2 else ReviewStatus.SIGNED_ONCE
    return state.model_copy(
        update={"status": status, "signatures": signatures, "lock": _released(state, action)}
    )


_HANDLERS = {
    _A.CLAIM: _claim,
    _A.RELEASE: _release,
    _A.CONFIRM: _confirm,
    _A.DISMISS: _dismiss,
    _A.REQUEST_COLLECTION: _request_collection,
    _A.MERGE: _merge,
    _A.SPLIT: _split,
    _A.SIGN: _sign,
}


def _ordered(actions: Iterable[ReviewAction], now: datetime) -> list[ReviewAction]:
    """Actions in time order (then id), identical repeats dropped; refuses an action dated
    after `now` and two different actions with one id."""
    by_id: dict[str, ReviewAction] = {}
    for action in actions:
        if action.at > now:
            raise ReviewError(
                f"action {action.id} is dated {action.at.isoformat()}, after now "
                f"({now.isoformat()}); check the clock of the system that recorded it",
                field="at",
            )
        known = by_id.get(action.id)
        if known is not None and known != action:
            raise ReviewError(
                f"two different actions share the id {action.id}; each action needs its own id",
                field="id",
            )
        by_id[action.id] = action
    return sorted(by_id.values(), key=lambda a: (a.at, a.id))


def review_state(
    actions: Iterable[ReviewAction],
    now: datetime,
    *,
    incident_id: str | None = None,
    policy: ReviewPolicy = DEFAULT_POLICY,
) -> ReviewState:
    """The state of one incident at `now`, folded from its actions (in any order).

    `incident_id` is needed only when there are no actions. A claim that has lapsed by `now`
    is dropped from the state. Raises `ReviewError` for an action the workflow refuses.
    """
    ordered = _ordered(actions, now)
    ids = {a.incident_id for a in ordered} | ({incident_id} if incident_id else set())
    if len(ids) != 1:
        raise ReviewError(
            f"review_state folds the actions of one incident; got incidents {sorted(ids)}"
            if ids
            else "review_state needs an incident_id when there are no actions",
            field="incident_id",
        )
    state = ReviewState(incident_id=ids.pop())
    for action in ordered:
        state = apply(state, action, policy)
    if state.lock is not None and not state.lock.active(now):
        state = state.model_copy(update={"lock": None})
    return state


def review_states(
    actions: Iterable[ReviewAction], now: datetime, *, policy: ReviewPolicy = DEFAULT_POLICY
) -> dict[str, ReviewState]:
    """The state of every incident the actions name, with merges seen from both sides.

    Each incident's state is its own fold. A merge of A into B also lists A in B's
    `merged_from`; it is refused when B had already been dismissed, signed, merged or split
    when A was merged into it (merge into the incident B went to instead).
    """
    grouped: dict[str, list[ReviewAction]] = defaultdict(list)
    for action in _ordered(actions, now):
        grouped[action.incident_id].append(action)
    states = {
        incident: review_state(group, now, policy=policy)
        for incident, group in sorted(grouped.items())
    }
    merged_from: dict[str, list[str]] = defaultdict(list)
    for incident, state in states.items():
        if state.status is not ReviewStatus.MERGED or state.merged_into is None:
            continue
        merge = state.history[-1]
        target = states.get(state.merged_into)
        if target is not None:
            then = review_state(
                [a for a in target.history if a.at <= merge.at],
                merge.at,
                incident_id=target.incident_id,
                policy=policy,
            )
            if then.is_final:
                raise _refuse(
                    merge,
                    "payload.into",
                    f"{target.incident_id} was already {_STATUS_WORDS[then.status]} by then "
                    f"({then.history[-1].actor}, {then.history[-1].at.isoformat()})",
                )
        merged_from[state.merged_into].append(incident)
    for target_id, sources in sorted(merged_from.items()):
        target = states.get(target_id, ReviewState(incident_id=target_id))
        states[target_id] = target.model_copy(update={"merged_from": tuple(sorted(sources))})
    return dict(sorted(states.items()))


class QueueEntry(_Frozen):
    """One incident waiting for review, with what the queue ordered it by."""

    incident_id: str
    determination_id: str
    determination_status: Status
    clear_breach: bool
    severity: Severity | None
    confidence: float
    started_at: UtcDatetime
    review_status: ReviewStatus
    claimed_by: str | None
    claimed_until: UtcDatetime | None
    signed_by: tuple[str, ...]
    awaiting_signature: bool = Field(
        description="A clear breach that still needs a signature: the first thing to do."
    )
    age: timedelta = Field(description="Time since the incident ended, at `now`.")


QUEUE_STATUSES = (Status.CLEAR_BREACH, Status.SUSPECTED_BREACH)
"""Determination statuses that are reviewed by default."""

_SEVERITY_RANK = {
    None: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}
_STAGE_RANK = {_S.SIGNED_ONCE: 0, _S.CONFIRMED: 1, _S.OPEN: 2, _S.AWAITING_COLLECTION: 3}


def _latest(determinations: Iterable[Determination]) -> dict[str, Determination]:
    latest: dict[str, Determination] = {}
    for determination in determinations:
        known = latest.get(determination.incident_id)
        key = (determination.agreement_version, determination.id)
        if known is None or key > (known.agreement_version, known.id):
            latest[determination.incident_id] = determination
    return latest


def review_queue(
    incidents: Iterable[Incident],
    determinations: Iterable[Determination],
    states: Mapping[str, ReviewState],
    now: datetime,
    *,
    statuses: Sequence[Status] = QUEUE_STATUSES,
) -> list[QueueEntry]:
    """The incidents that need review, most pressing first.

    An incident is in the queue when its determination (the one of the highest agreement
    version) has one of `statuses` and its review is not over (not signed, dismissed,
    merged or split). Incidents without a state are open. Order:

    1. clear breaches that still need a signature, before everything else;
    2. then incidents awaiting more collection last, as nothing can be done until it comes;
    3. within those groups, the graver severity first; then the nearer to signing (signed
       once, confirmed, open); then the higher confidence; then the older (earlier start);
       then the incident id, so that the order never depends on input order.
    """
    by_id: dict[str, Incident] = {}
    for incident in incidents:
        by_id[incident.id] = incident
    latest = _latest(determinations)
    missing = sorted(set(latest) - set(by_id))
    if missing:
        raise InputError(
            f"determinations name incidents that are not given: {', '.join(missing[:5])}"
            + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            + "; pass the incidents of every determination",
            field="determinations",
        )
    wanted = set(statuses)
    entries: list[tuple[tuple[Any, ...], QueueEntry]] = []
    for incident_id, determination in latest.items():
        if determination.status not in wanted:
            continue
        state = states.get(incident_id) or ReviewState(incident_id=incident_id)
        if state.is_final:
            continue
        incident = by_id[incident_id]
        awaiting_signature = determination.clear_breach and state.status in (
            _S.OPEN,
            _S.CONFIRMED,
            _S.SIGNED_ONCE,
        )
        if awaiting_signature:
            group = 0
        elif state.status is _S.AWAITING_COLLECTION:
            group = 2
        else:
            group = 1
        lock = state.lock if state.lock is not None and state.lock.active(now) else None
        entry = QueueEntry(
            incident_id=incident_id,
            determination_id=determination.id,
            determination_status=determination.status,
            clear_breach=determination.clear_breach,
            severity=determination.severity,
            confidence=determination.confidence,
            started_at=incident.start,
            review_status=state.status,
            claimed_by=lock.actor if lock else None,
            claimed_until=lock.until if lock else None,
            signed_by=tuple(s.actor for s in state.signatures),
            awaiting_signature=awaiting_signature,
            age=max(now - incident.end, timedelta(0)),
        )
        key = (
            group,
            -_SEVERITY_RANK[determination.severity],
            _STAGE_RANK[state.status],
            -determination.confidence,
            incident.start,
            incident_id,
        )
        entries.append((key, entry))
    entries.sort(key=lambda pair: pair[0])
    return [entry for _, entry in entries]
