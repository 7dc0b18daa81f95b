"""Streaming the features of a GeoJSON FeatureCollection, one at a time, in bounded memory.

The file is read in chunks; the extent of each feature is found by counting brackets
outside strings, and each feature is then decoded on its own by the standard `json` module.
So one bad feature (not valid JSON, not UTF-8, nested too deep, a number too large) is
refused alone and the next one is read; only a break in the JSON structure itself (a
truncated file, garbage between features) stops the reading, and what was read stays good.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

CHUNK_BYTES = 1 << 20
MAX_FEATURE_BYTES = 16 << 20
"""Largest feature accepted (16 MiB): a bigger one stops the reading with a clear error."""
MAX_DEPTH = 20
"""Deepest nesting accepted in a feature, the feature object itself being level 1."""
MAX_INT_DIGITS = 18

_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]|"', re.DOTALL)
_SPACE = re.compile(rb"[ \t\r\n]*")
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_SCALAR = re.compile(rb"[^,\]} \t\r\n]+")  # JSON white space only: not \v, \f
BOM = b"\xef\xbb\xbf"


class StreamError(Exception):
    """The JSON structure around the features is broken; reading cannot go on.

    `feature` is the index of the feature being read when it broke, None outside the array.
    """

    def __init__(self, message: str, feature: int | None = None) -> None:
        super().__init__(message)
        self.feature = feature


class FeatureError(ValueError):
    """One feature cannot be decoded; the reading goes on with the next one."""


@dataclass(frozen=True, slots=True)
class RawFeature:
    """The bytes of one feature, its index in the `features` array and its nesting depth."""

    index: int
    data: bytes
    depth: int


def _refuse_constant(name: str) -> Any:
    raise FeatureError(f"{name} is not a number in JSON; write a finite number or null")


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise FeatureError(
            f"the number {text[:20]}... has {len(text)} digits; at most 18 are allowed"
        )
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise FeatureError(f"the number {text[:40]} is too large to be represented")
    return value


def decode_feature(data: bytes) -> Any:
    """One feature's bytes as Python objects; raises FeatureError saying what is wrong."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise FeatureError(
            f"not valid UTF-8 (byte 0x{bad} at offset {exc.start}); save the file as UTF-8"
        ) from None
    try:
        return json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_int=_parse_int,
            parse_float=_parse_float,
        )
    except json.JSONDecodeError as exc:
        raise FeatureError(f"not valid JSON: {exc.msg} at offset {exc.pos}") from None


class _Reader:
    def __init__(self, handle: IO[bytes], on_bytes: Callable[[int], None]) -> None:
        self.handle = handle
        self.on_bytes = on_bytes
        self.data = b""
        self.pos = 0
        self.eof = False

    def more(self, at_least: int = CHUNK_BYTES) -> bool:
        """Read more; keeps the bytes from `pos` on (and moves `pos` to 0)."""
        if self.eof:
            return False
        chunk = self.handle.read(max(at_least, CHUNK_BYTES))
        self.on_bytes(len(chunk))
        if not chunk:
            self.eof = True
            return False
        self.data = self.data[self.pos :] + chunk
        self.pos = 0
        return True

    def peek(self) -> bytes:
        """The next byte after white space, or b'' at the end of the file."""
        while True:
            match = _SPACE.match(self.data, self.pos)
            assert match is not None  # the pattern matches the empty string
            self.pos = match.end()
            if self.pos < len(self.data):
                return self.data[self.pos : self.pos + 1]
            if not self.more():
                return b""

    def expect(self, byte: bytes, what: str, feature: int | None = None) -> None:
        found = self.peek()
        if found != byte:
            shown = repr(found.decode("utf-8", "replace")) if found else "the end of the file"
            raise StreamError(f"expected {what} at byte {self.offset}, found {shown}", feature)
        self.pos += 1

    @property
    def offset(self) -> int:
        return self.handle.tell() - len(self.data) + self.pos

    def value(self, feature: int | None = None) -> tuple[bytes, int]:
        """The bytes of the JSON value at the current position and its nesting depth."""
        first = self.peek()
        if not first:
            raise StreamError("the file ends where a value was expected; it seems cut off", feature)
        if first in b",:]}":
            raise StreamError(
                f"expected a value at byte {self.offset}, found {first.decode()!r}", feature
            )
        while True:
            found = self._extent(first)
            if found is not None:
                end, depth = found
                raw = self.data[self.pos : end]
                self.pos = end
                return raw, depth
            if len(self.data) - self.pos > MAX_FEATURE_BYTES:
                raise StreamError(
                    f"a value larger than {MAX_FEATURE_BYTES >> 20} MiB; split the file", feature
                )
            if not self.more(len(self.data) - self.pos):
                raise StreamError("the file ends inside a value; it seems cut off", feature)

    def _extent(self, first: bytes) -> tuple[int, int] | None:
        """End and depth of the value at `pos`, None when it is not complete in the buffer."""
        data, start = self.data, self.pos
        if first in b"[{":
            depth = deepest = 0
            for match in _TOKEN.finditer(data, start):
                token = match.group()
                lead = token[0:1]
                if lead == b'"':
                    if len(token) == 1:
                        return None
                    continue
                if lead in b"[{":
                    depth += 1
                    deepest = max(deepest, depth)
                else:
                    depth -= 1
                    if depth == 0:
                        return match.end(), deepest
            return None
        if first == b'"':
            string = _STRING.match(data, start)
            return (string.end(), 0) if string else None
        scalar = _SCALAR.match(data, start)
        assert scalar is not None  # `value` refuses a delimiter where a value must start
        if scalar.end() == len(data) and not self.eof:
            return None
        return scalar.end(), 0


def _decode_small(raw: bytes, what: str) -> Any:
    try:
        return decode_feature(raw)
    except FeatureError as exc:
        raise StreamError(f"{what}: {exc}") from None


def iter_features(
    handle: IO[bytes], *, on_bytes: Callable[[int], None], top: dict[str, Any]
) -> Iterator[RawFeature]:
    """The raw features of a FeatureCollection; the other top-level members go into `top`.

    Raises StreamError when the structure is broken; `feature` then says where.
    """
    reader = _Reader(handle, on_bytes)
    reader.more()
    if reader.data.startswith(BOM):
        reader.pos = len(BOM)
    if reader.peek() != b"{":
        raise StreamError("not a JSON object: a GeoJSON file starts with '{'")
    reader.pos += 1
    seen_features = False
    count = members = 0
    while True:
        if reader.peek() == b"}":
            reader.pos += 1
            break
        if members:
            reader.expect(b",", "',' between members")
        members += 1
        key_raw, _ = reader.value()
        key = _decode_small(key_raw, "a member name")
        if not isinstance(key, str):
            raise StreamError(f"a member name must be a string (got {key_raw[:40]!r})")
        reader.expect(b":", f"':' after {key!r}")
        if key != "features":
            raw, depth = reader.value()
            top[key] = _decode_small(raw, f"member {key!r}") if depth <= MAX_DEPTH else None
            if key == "type" and top[key] != "FeatureCollection":
                raise StreamError(f"type is {top[key]!r}; expected 'FeatureCollection'")
            continue
        if seen_features:
            raise StreamError("'features' appears twice")
        seen_features = True
        if reader.peek() != b"[":
            raise StreamError("'features' must be an array of Feature objects")
        reader.pos += 1
        while True:
            if reader.peek() == b"]":
                reader.pos += 1
                break
            if count:
                reader.expect(b",", "',' between features", count)
            raw, depth = reader.value(count)
            yield RawFeature(count, raw, depth)
            count += 1
    if not seen_features:
        raise StreamError("no 'features' member: expected a GeoJSON FeatureCollection")
    if reader.peek():
        raise StreamError("unexpected data after the end of the GeoJSON object")
