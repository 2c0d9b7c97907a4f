"""An append-only table of typed NumPy columns, held as chunks: the storage of the ledger and the stores.

Rows have positions 0, 1, 2, ... in append order. Appends are O(k) amortised: trailing chunks
merge like a binary counter, so M rows sit in O(log M) chunks and :meth:`ChunkedLog.since` reads
recent rows in a few concatenations however long the log grows. :meth:`ChunkedLog.forget_before`
frees old rows (a rolling vector-env record) while later rows keep their positions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


class ChunkedLog:
    """Columns ``dtypes`` (name -> NumPy dtype), every one (M,) for the M rows held."""

    def __init__(self, dtypes: Mapping[str, type], *, unread: bool = True) -> None:
        """``unread``: queue the rows appended since :meth:`take_unread` (False: readers use :meth:`since`)."""
        self.dtypes = dict(dtypes)
        self._key = next(iter(self.dtypes))  # the column whose chunk lengths stand for all
        self._chunks: dict[str, list[np.ndarray]] = {name: [] for name in self.dtypes}
        self._unread: list[dict[str, np.ndarray]] | None = [] if unread else None
        self._cache: dict[str, np.ndarray] | None = None
        self._size = 0

    def __len__(self) -> int:
        """Rows ever appended (positions count from the first, also after :meth:`forget_before`)."""
        return self._size

    def append(self, values: Mapping[str, np.ndarray | float | int], k: int) -> None:
        """Append k rows; each value is (k,) or a scalar broadcast to (k,), cast to its column's dtype."""
        chunk = {
            name: np.broadcast_to(np.asarray(values[name], dtype=d), (k,)).copy() for name, d in self.dtypes.items()
        }
        for name, array in chunk.items():
            self._chunks[name].append(array)
        parts0 = self._chunks[self._key]
        while len(parts0) >= 2 and len(parts0[-1]) >= len(parts0[-2]):
            for parts in self._chunks.values():
                parts[-2:] = [np.concatenate(parts[-2:])]
        if self._unread is not None:
            self._unread.append(chunk)
        self._size += k
        self._cache = None

    def take_unread(self) -> dict[str, np.ndarray]:
        """Rows appended since the last call, as (k,) columns."""
        if self._unread is None:
            raise ValueError("this log keeps no unread queue (created with unread=False); read with since()")
        chunks, self._unread = self._unread, []
        return {
            name: np.concatenate([c[name] for c in chunks]) if chunks else np.zeros(0, dtype=d)
            for name, d in self.dtypes.items()
        }

    @property
    def columns(self) -> dict[str, np.ndarray]:
        """Every held row as one (M,) array per column (concatenated once per batch of appends)."""
        if self._cache is None:
            self._cache = {
                name: np.concatenate(chunks) if chunks else np.zeros(0, dtype=self.dtypes[name])
                for name, chunks in self._chunks.items()
            }
            self._chunks = {name: [a] for name, a in self._cache.items()}
        return self._cache

    @property
    def _lengths(self) -> list[int]:
        return [len(c) for c in self._chunks[self._key]]

    @property
    def held_from(self) -> int:
        """Position of the first row still held (0 unless :meth:`forget_before` freed some)."""
        return self._size - sum(self._lengths)

    @property
    def nbytes(self) -> int:
        """Memory held by the columns, in bytes."""
        return sum(a.nbytes for chunks in self._chunks.values() for a in chunks)

    def since(self, start: int) -> dict[str, np.ndarray]:
        """Rows from position ``start`` on, as (k,) columns (copies only those rows; read-only).

        Raises ``ValueError`` if rows from ``start`` have been forgotten.
        """
        lengths = self._lengths
        first, at = len(lengths), self._size
        while first and at > start:
            first -= 1
            at -= lengths[first]
        if at > start:
            raise ValueError(f"rows from position {start} were asked for, but rows before {at} have been forgotten")
        if first == len(lengths):
            return {name: np.zeros(0, dtype=d) for name, d in self.dtypes.items()}
        if first == len(lengths) - 1:  # one chunk: a view, no copy
            return {name: self._chunks[name][first][start - at :] for name in self.dtypes}
        return {
            name: np.concatenate([parts[first][start - at :], *parts[first + 1 :]])
            for name, parts in self._chunks.items()
        }

    def forget_before(self, position: int) -> None:
        """Free the rows before ``position``: whole chunks are dropped and the one cut is copied."""
        first, parts0 = self.held_from, self._chunks[self._key]
        while parts0 and first + len(parts0[0]) <= position:
            first += len(parts0[0])
            for parts in self._chunks.values():
                del parts[0]
        if parts0 and first < position:
            for parts in self._chunks.values():
                parts[0] = parts[0][position - first :].copy()
        self._cache = None
