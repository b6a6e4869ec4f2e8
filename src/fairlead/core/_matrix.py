"""The value matrix in the storage it was given: dense float32/float64 or sparse CSR.

Dense values keep their dtype (a float32 matrix of 1M leads x 200 managers is
800 MB; float64 would double it) and are copied only when writeable. A sparse
value (any ``scipy.sparse`` matrix or array) becomes canonical CSR; its stored
entries, explicit zeros included, are exactly the eligible pairs. Methods that
need dense arrays read :attr:`AssignmentProblem.value` and ``eligible``, built on
first use; the ``sifting`` method reads the storage directly, block by block.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from fairlead.core._errors import InputError

FloatArray = npt.NDArray[np.float64]
Float32Array = npt.NDArray[np.float32]
BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
DenseValue = npt.NDArray[np.float64] | npt.NDArray[np.float32]

# Rows per block when a pass walks the whole matrix: 16k rows x 200 managers of
# float64 is 26 MB, small next to the matrix and large enough to amortize numpy calls.
BLOCK_ROWS = 1 << 14


def read_dense_value(array: np.ndarray[Any, Any]) -> DenseValue:
    """Dense values as float32 or float64; a read-only float array is used as is."""
    if array.dtype in (np.float32, np.float64):
        if not array.flags.writeable:
            return array
        kept: DenseValue = array.copy()
        return kept
    converted: FloatArray = np.array(array, dtype=np.float64)
    return converted


def read_sparse_value(matrix: Any, name: Callable[[int, int], str]) -> sp.csr_array:
    """Canonical CSR of a sparse value matrix: float data, sorted indices, no duplicates.

    ``name(i, j)`` words a pair for the error on a non-finite entry.
    """
    csr = sp.csr_array(matrix)
    if csr.dtype == np.bool_ or not (
        np.issubdtype(csr.dtype, np.floating) or np.issubdtype(csr.dtype, np.integer)
    ):
        raise InputError(f"value must hold numbers, got {csr.dtype}")
    float_dtype = csr.dtype in (np.float32, np.float64)
    csr = csr.copy() if float_dtype else csr.astype(np.float64)
    csr.sum_duplicates()
    csr.sort_indices()
    bad = ~np.isfinite(csr.data)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        i = int(np.searchsorted(csr.indptr, k, side="right") - 1)
        where = name(i, int(csr.indices[k]))
        raise InputError(f"value of {where} must be finite, got {csr.data[k]:g}")
    csr.indptr = csr.indptr.astype(np.int64, copy=False)
    csr.indices = csr.indices.astype(np.int32, copy=False)
    return csr


def read_sparse_eligible(matrix: Any, shape: tuple[int, int]) -> BoolArray:
    """Dense boolean mask from a sparse eligibility matrix (nonzero = eligible)."""
    if matrix.shape != shape:
        raise InputError(
            f"eligible must have shape ({shape[0]}, {shape[1]}) like value, got {matrix.shape}"
        )
    csr = sp.csr_array(matrix)
    data = np.asarray(csr.data)
    if data.dtype != np.bool_ and not (
        np.issubdtype(data.dtype, np.integer) and np.isin(data, (0, 1)).all()
    ):
        raise InputError(f"eligible must hold booleans, got dtype {data.dtype}")
    mask: BoolArray = np.asarray(csr.astype(np.bool_).toarray(), dtype=np.bool_)
    return mask


def csr_row_of(csr: sp.csr_array) -> IntArray:
    """Row index of every stored entry."""
    counts = np.diff(csr.indptr)
    rows: IntArray = np.repeat(np.arange(csr.shape[0], dtype=np.int64), counts)
    return rows


def csr_lookup(csr: sp.csr_array, rows: IntArray, cols: IntArray) -> tuple[FloatArray, BoolArray]:
    """Values of pairs ``(rows[k], cols[k])`` and whether each is stored (eligible)."""
    m = csr.shape[1]
    wanted = np.asarray(rows, dtype=np.int64) * m + np.asarray(cols, dtype=np.int64)
    if csr.nnz == 0:
        return np.zeros(wanted.size), np.zeros(wanted.size, dtype=np.bool_)
    # Canonical CSR lists pairs in row-major order, so their keys are sorted.
    keys = csr_row_of(csr) * m + csr.indices
    pos = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
    found: BoolArray = keys[pos] == wanted
    values: FloatArray = np.where(found, csr.data[pos], 0.0).astype(np.float64)
    return values, found


class ValueBlocks:
    """Row blocks of net values as float64, ``-inf`` where a pair is not eligible.

    Parameters
    ----------
    dense, csr : the value storage (exactly one is given).
    eligible : dense mask or None (every pair eligible, or the CSR pattern).
    penalty : pair penalty subtracted from dense values, or None.
    rows : subset of leads (in this order) the blocks cover; default all.
    pool : append a column of zeros, the "unassigned" option.
    """

    def __init__(
        self,
        *,
        dense: DenseValue | None,
        csr: sp.csr_array | None,
        eligible: BoolArray | None,
        penalty: FloatArray | None,
        rows: IntArray | None = None,
        pool: bool = False,
    ) -> None:
        self.dense, self.csr = dense, csr
        self.eligible, self.penalty = eligible, penalty
        self.rows = rows
        self.pool = pool
        source = dense if dense is not None else csr
        assert source is not None
        self.n_all = int(source.shape[0])
        self.m = int(source.shape[1])
        self.n = self.n_all if rows is None else int(rows.size)
        self.width = self.m + int(pool)

    def subset(self, rows: IntArray) -> ValueBlocks:
        """Blocks over ``rows`` (indices into this object's leads)."""
        base = rows if self.rows is None else self.rows[rows]
        return ValueBlocks(
            dense=self.dense,
            csr=self.csr,
            eligible=self.eligible,
            penalty=self.penalty,
            rows=base,
            pool=self.pool,
        )

    def take(self, leads: IntArray | slice) -> FloatArray:
        """Net values of the given leads, shape ``(k, width)``."""
        index: IntArray | slice = leads
        if self.rows is not None:
            index = self.rows[leads]
        out = np.empty((_count(index, self.n_all), self.width), dtype=np.float64)
        part = out[:, : self.m]
        if self.dense is not None:
            part[...] = self.dense[index]
            if self.penalty is not None:
                part -= self.penalty[index]
            if self.eligible is not None:
                part[~self.eligible[index]] = -np.inf
        else:
            assert self.csr is not None
            sub = self.csr[index] if isinstance(index, np.ndarray) else self.csr[index, :]
            part.fill(-np.inf)
            sub_rows = csr_row_of(sub)
            part[sub_rows, sub.indices] = sub.data
        if self.pool:
            out[:, self.m] = 0.0
        return out

    @property
    def plain(self) -> bool:
        """Whether rows can be read as views: dense float64, all eligible, nothing added."""
        return (
            self.dense is not None
            and self.dense.dtype == np.float64
            and self.eligible is None
            and self.penalty is None
            and self.rows is None
            and not self.pool
        )

    def blocks(self) -> Iterator[tuple[int, int, FloatArray]]:
        """``(start, stop, values)`` over all leads, ``BLOCK_ROWS`` at a time.

        The values may be a read-only view of the matrix: callers must not write.
        """
        plain = self.plain
        for start in range(0, self.n, BLOCK_ROWS):
            stop = min(self.n, start + BLOCK_ROWS)
            if plain:
                assert self.dense is not None
                view: FloatArray = self.dense[start:stop]  # type: ignore[assignment]
                yield start, stop, view
            else:
                yield start, stop, self.take(slice(start, stop))

    def largest_magnitude(self) -> float:
        """Largest ``|net value|`` over the stored matrix (as ``min_cost_flow`` scales)."""
        if self.csr is not None:
            data = self.csr.data
            return float(np.max(np.abs(data))) if data.size else 0.0
        assert self.dense is not None
        if self.penalty is None:
            return float(max(self.dense.max(), -self.dense.min()))
        top = 0.0
        for start in range(0, self.n_all, BLOCK_ROWS):
            stop = min(self.n_all, start + BLOCK_ROWS)
            chunk = self.dense[start:stop] - self.penalty[start:stop]
            top = max(top, float(np.max(np.abs(chunk))))
        return top


def _count(index: IntArray | slice, n: int) -> int:
    if isinstance(index, slice):
        return len(range(*index.indices(n)))
    return int(index.size)
