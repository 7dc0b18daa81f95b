"""The live feed: new determinations and alerts, in order, resumable.

`FeedBroker` is what the service needs of a message broker: publish events from any
thread, and let each client subscribe from the event after the last one it saw.
`InProcessBroker` serves one process; a NATS JetStream broker can implement the same
interface for several (JetStream's stream sequence plays the part of `seq`).

Event ids are ``<epoch>-<seq>``: `epoch` names the broker's life (it changes when the
service restarts), `seq` counts events from 1. A client resuming with an id this broker
cannot continue from (another epoch, or older than the history kept) first gets a
`reset` event: it should re-read what it needs through the list endpoints.
"""

from __future__ import annotations

import abc
import asyncio
import secrets
import threading
from collections import deque
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final


class EventType:
    """The kinds of feed events."""

    DETERMINATION: Final = "determination"
    """A determination was made or changed; data: the determination."""
    ALERT: Final = "alert"
    """A determination became a clear breach; data: the determination."""
    CAP_ALERT: Final = "cap_alert"
    """A message of an alert thread was sent (the CAP alert of a signed clear breach, a
    reminder of overdue steps, a cancel); data: the message, with its releasability."""
    WITHDRAWN: Final = "withdrawn"
    """A determination was deleted (its incident was re-fused); data: its id and incident."""
    RESET: Final = "reset"
    """The client missed events that can no longer be replayed; data: why."""


@dataclass(frozen=True)
class FeedEvent:
    """One event of the feed."""

    id: str
    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


class FeedBroker(abc.ABC):
    """Publishes feed events and streams them to subscribers."""

    @abc.abstractmethod
    def publish(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> list[FeedEvent]:
        """Append events (type, data) to the feed, in order; safe from any thread."""

    @abc.abstractmethod
    def subscribe(
        self, last_event_id: str | None = None, *, idle_s: float | None = None
    ) -> AsyncGenerator[FeedEvent | None, None]:
        """The events after `last_event_id` (every new one when None), then live ones,
        until the broker closes or the client goes away; None after every `idle_s`
        seconds without an event (for keep-alives)."""

    @abc.abstractmethod
    def close(self) -> None:
        """End every subscription; later publications are dropped."""


_CLOSED: Final = object()


def _seq_of(event: FeedEvent) -> int:
    return int(event.id.rsplit("-", 1)[1])


class _Subscriber:
    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[object] = asyncio.Queue()
        self.limit = limit
        self.overflowed = False

    def offer(self, item: object) -> None:
        """Runs on the subscriber's loop."""
        if self.overflowed:
            return
        if item is not _CLOSED and self.queue.qsize() >= self.limit:
            self.overflowed = True
            self.queue.put_nowait(_CLOSED)
            return
        self.queue.put_nowait(item)


class InProcessBroker(FeedBroker):
    """A broker inside one process, keeping the last `history` events for resuming."""

    def __init__(self, *, history: int = 10_000, queue_limit: int = 10_000) -> None:
        self.epoch = secrets.token_hex(4)
        self._lock = threading.Lock()
        self._history: deque[FeedEvent] = deque(maxlen=history)
        self._seq = 0
        self._queue_limit = queue_limit
        self._subscribers: set[_Subscriber] = set()
        self._closed = False

    @property
    def last_seq(self) -> int:
        """The sequence number of the last event published (0 before the first)."""
        return self._seq

    def publish(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> list[FeedEvent]:
        made: list[FeedEvent] = []
        with self._lock:
            if self._closed:
                return made
            for kind, data in events:
                self._seq += 1
                event = FeedEvent(id=f"{self.epoch}-{self._seq}", type=kind, data=data)
                self._history.append(event)
                made.append(event)
            subscribers = list(self._subscribers)
        for sub in subscribers:
            for event in made:
                self._deliver(sub, event)
        return made

    def _deliver(self, sub: _Subscriber, item: object) -> None:
        try:
            sub.loop.call_soon_threadsafe(sub.offer, item)
        except RuntimeError:  # its event loop is closed: the client is gone
            with self._lock:
                self._subscribers.discard(sub)

    def _replay(self, last_event_id: str | None) -> tuple[list[FeedEvent], str | None]:
        """Events after `last_event_id` still in the history, and why a reset is due."""
        if last_event_id is None or not last_event_id.strip():
            return [], None
        epoch, _, number = last_event_id.strip().partition("-")
        if epoch != self.epoch or not number.isdigit():
            return list(self._history), (
                f"event id {last_event_id!r} is not from this run of the service; the events "
                "kept since it started follow, read anything older from the list endpoints"
            )
        seq = int(number)
        if seq > self._seq:
            return list(self._history), (
                f"event id {last_event_id!r} was never sent by this run of the service; the "
                "events kept follow, read anything older from the list endpoints"
            )
        replay = [e for e in self._history if _seq_of(e) > seq]
        oldest_seq = _seq_of(self._history[0]) if self._history else self._seq + 1
        if seq + 1 < oldest_seq:
            return replay, (
                f"events after {last_event_id!r} are no longer kept; read what you missed from "
                "the list endpoints"
            )
        return replay, None

    async def subscribe(
        self, last_event_id: str | None = None, *, idle_s: float | None = None
    ) -> AsyncGenerator[FeedEvent | None, None]:
        sub = _Subscriber(asyncio.get_running_loop(), self._queue_limit)
        with self._lock:
            if self._closed:
                return
            replay, reset = self._replay(last_event_id)
            self._subscribers.add(sub)
            seq_at_subscription = self._seq
        try:
            if reset is not None:
                yield FeedEvent(
                    id=f"{self.epoch}-{seq_at_subscription}",
                    type=EventType.RESET,
                    data={"reason": reset},
                )
            for event in replay:
                yield event
            while True:
                try:
                    item = await asyncio.wait_for(sub.queue.get(), timeout=idle_s)
                except TimeoutError:
                    yield None
                    continue
                if item is _CLOSED:
                    if sub.overflowed:
                        yield FeedEvent(
                            id=f"{self.epoch}-{self._seq}",
                            type=EventType.RESET,
                            data={
                                "reason": "this client fell too far behind the feed; "
                                "reconnect, and read what you missed from the list endpoints"
                            },
                        )
                    return
                assert isinstance(item, FeedEvent)
                yield item
        finally:
            with self._lock:
                self._subscribers.discard(sub)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            subscribers = list(self._subscribers)
            self._subscribers.clear()
        for sub in subscribers:
            self._deliver(sub, _CLOSED)

    def kept(self) -> list[FeedEvent]:
        """The events still kept for resuming, oldest first."""
        with self._lock:
            return list(self._history)

    @property
    def subscriber_count(self) -> int:
        """How many clients are subscribed now."""
        with self._lock:
            return len(self._subscribers)
