"""An append-only table of typed NumPy columns in preallocated growable buffers: the ledger's and the stores' storage.

Rows have positions 0, 1, 2, ... in append order. Each column is one buffer with a write cursor;
an append copies its k rows in (O(k)) and a full buffer doubles (amortised O(1) per row), so
:meth:`ChunkedLog.since` and :attr:`ChunkedLog.columns` are views, never concatenations, however long
the log grows. :meth:`ChunkedLog.forget_before` frees old rows (a rolling vector-env record) while
later rows keep their positions. Views handed out stay valid: rows are never overwritten in place
(growing and forgetting copy into new buffers).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

_MIN_CAPACITY = 1024


class ChunkedLog:
    """Columns ``dtypes`` (name -> NumPy dtype), every one (M,) for the M rows held."""

    def __init__(self, dtypes: Mapping[str, type], *, unread: bool = True) -> None:
        """``unread``: keep a read cursor for :meth:`take_unread` (False: readers use :meth:`since`)."""
        self.dtypes = dict(dtypes)
        self._buffers: dict[str, np.ndarray] = {}
        self._readonly: dict[str, np.ndarray] = {}  # a read-only view of each buffer: its slices are read-only too
        for name, d in self.dtypes.items():
            self._set_buffer(name, np.zeros(_MIN_CAPACITY, dtype=d))
        self._offset = 0  # position of buffer index 0 (rows before it were forgotten)
        self._size = 0  # rows ever appended: the write cursor is at buffer index _size - _offset
        self._unread_from: int | None = 0 if unread else None

    def __getstate__(self) -> dict:
        """Pickle and deep-copy the buffers only: a copied view would no longer see the buffer's later rows."""
        state = self.__dict__.copy()
        del state["_readonly"]
        return state

    def __setstate__(self, state: dict) -> None:
        """Restore the buffers and make their read-only views afresh."""
        self.__dict__.update(state)
        self._readonly = {}
        for name, buffer in list(self._buffers.items()):
            self._set_buffer(name, buffer)

    def __len__(self) -> int:
        """Rows ever appended (positions count from the first, also after :meth:`forget_before`)."""
        return self._size

    def append(self, values: Mapping[str, np.ndarray | float | int], k: int) -> None:
        """Append k rows; each value is (k,) or a scalar broadcast to (k,), cast to its column's dtype."""
        if k == 0:
            return
        at = self._size - self._offset
        if at + k > len(self._buffers[next(iter(self.dtypes))]):
            self._grow(at + k)
        for name, buffer in self._buffers.items():
            buffer[at : at + k] = values[name]  # cast to the column's dtype as it is copied in
        self._size += k

    def _set_buffer(self, name: str, buffer: np.ndarray) -> None:
        """Make ``buffer`` column ``name``'s storage (and keep its read-only view for readers)."""
        readonly = buffer.view()
        readonly.flags.writeable = False
        self._buffers[name], self._readonly[name] = buffer, readonly

    def _grow(self, needed: int) -> None:
        """New buffers of at least twice the held rows and at least ``needed``; the held rows copied over."""
        held = self._size - self._offset
        capacity = max(_MIN_CAPACITY, 2 * needed)
        for name, buffer in self._buffers.items():
            grown = np.zeros(capacity, dtype=buffer.dtype)
            grown[:held] = buffer[:held]
            self._set_buffer(name, grown)

    def _view(self, start: int) -> dict[str, np.ndarray]:
        """Read-only views of the rows from position ``start`` (held) on."""
        lo, hi = start - self._offset, self._size - self._offset
        return {name: readonly[lo:hi] for name, readonly in self._readonly.items()}

    def take_unread(self) -> dict[str, np.ndarray]:
        """Rows appended since the last call, as (k,) columns (read-only views)."""
        if self._unread_from is None:
            raise ValueError("this log keeps no unread queue (created with unread=False); read with since()")
        start, self._unread_from = self._unread_from, self._size
        return self._view(start)

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every held row as one (M,) read-only view per column."""
        return self._view(self._offset)

    @property
    def held_from(self) -> int:
        """Position of the first row still held (0 unless :meth:`forget_before` freed some)."""
        return self._offset

    @property
    def nbytes(self) -> int:
        """Memory held by the columns' rows, in bytes (the buffers' spare capacity not counted)."""
        held = self._size - self._offset
        return sum(held * buffer.itemsize for buffer in self._buffers.values())

    def since(self, start: int) -> dict[str, np.ndarray]:
        """Rows from position ``start`` on, as (k,) columns (read-only views, no copy).

        Raises ``ValueError`` if rows from ``start`` have been forgotten.
        """
        if start < self._offset:
            raise ValueError(
                f"rows from position {start} were asked for, but rows before {self._offset} have been forgotten"
            )
        return self._view(min(start, self._size))

    def forget_before(self, position: int) -> None:
        """Free the rows before ``position``: the later rows are copied into new buffers (held views stay valid)."""
        position = min(max(position, self._offset), self._size)
        if position == self._offset:
            return
        cut, held = position - self._offset, self._size - position
        capacity = max(_MIN_CAPACITY, 2 * held)
        for name, buffer in self._buffers.items():
            kept = np.zeros(capacity, dtype=buffer.dtype)
            kept[:held] = buffer[cut : cut + held]
            self._set_buffer(name, kept)
        self._offset = position
        if self._unread_from is not None:
            self._unread_from = max(self._unread_from, position)
