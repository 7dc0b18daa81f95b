"""Robust reading of comma-separated files, one line at a time, in binary.

Lines are read in binary with a maximum length, so that one enormous line can neither fill
the memory nor abort the file: it is rejected by its line number and reading goes on at the
next newline. A byte-order mark, CRLF line ends and a last line without a newline are
accepted; a line that is not UTF-8 or not well-formed CSV is rejected on its own.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from truceline.errors import InputError
from truceline.sources.base import Rejection, excerpt

MAX_LINE_BYTES = 1 << 20
"""Longest line accepted, in bytes (1 MiB); a longer line is rejected and skipped."""
BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Row:
    """One line of a delimited file, split into fields."""

    line: int
    fields: list[str]
    text: str


def header_columns(head: bytes) -> set[str]:
    """The lower-cased column names of the header line at the start of `head`."""
    first = head.removeprefix(BOM).split(b"\n", 1)[0].decode("utf-8", "replace")
    return {name.strip().strip('"').lower() for name in first.split(",")}


def split_line(text: str) -> list[str]:
    """The fields of one CSV line; raises csv.Error when it is not well-formed."""
    if '"' not in text:
        return text.split(",")
    return next(csv.reader([text], strict=True))


def _skip_rest_of_line(read: Callable[[int], bytes]) -> int:
    skipped = 0
    while True:
        chunk = read(_SKIP_CHUNK)
        skipped += len(chunk)
        if not chunk or chunk.endswith(b"\n"):
            return skipped


def read_rows(
    path: Path,
    *,
    on_bytes: Callable[[int], None],
    max_line_bytes: int = MAX_LINE_BYTES,
) -> Iterator[Row | Rejection]:
    """The header row first, then every data row or a rejection for every bad line.

    Blank lines are skipped. Raises InputError when the file cannot be opened, is empty or
    its header line cannot be read; every later problem is a Rejection.
    """
    file = str(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{file}: cannot be read ({exc.strerror or exc})") from None
    with handle:
        read = handle.readline
        width: int | None = None
        number = 0
        while True:
            raw = read(max_line_bytes + 1)
            if not raw:
                break
            number += 1
            on_bytes(len(raw))
            if len(raw) > max_line_bytes and not raw.endswith(b"\n"):
                on_bytes(_skip_rest_of_line(read))
                reason = f"line longer than {max_line_bytes} bytes; skipped to the next line"
                head = excerpt(raw[:200].decode("utf-8", "replace"))
                if width is None:
                    raise InputError(f"{file}, line {number} (the header): {reason}")
                yield Rejection(file, number, None, reason, head)
                continue
            if number == 1 and raw.startswith(BOM):
                raw = raw[len(BOM) :]
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 1].hex()
                reason = f"not valid UTF-8 (byte 0x{bad} at column {exc.start + 1}); save as UTF-8"
                if width is None:
                    raise InputError(f"{file}, line {number} (the header): {reason}") from None
                yield Rejection(file, number, None, reason, excerpt(raw.decode("utf-8", "replace")))
                continue
            text = text.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                fields = split_line(text)
            except csv.Error as exc:
                reason = f"malformed CSV ({exc}); check the quotes of this line"
                if width is None:
                    raise InputError(f"{file}, line {number} (the header): {reason}") from None
                yield Rejection(file, number, None, reason, excerpt(text))
                continue
            if width is None:
                width = len(fields)
            elif len(fields) != width:
                reason = f"expected {width} fields as in the header, got {len(fields)}"
                if handle.peek(1) == b"" and not raw.endswith(b"\n"):
                    reason += " (the file seems cut off in this last line)"
                yield Rejection(file, number, None, reason, excerpt(text))
                continue
            yield Row(number, fields, text)
    if width is None:
        raise InputError(f"{file}: the file is empty; expected a header row with column names")
