"""Reader for generalized assignment problem (GAP) benchmark files.

Two layouts of whitespace-separated integers are read, by tokens (line breaks carry
no meaning):

* OR-Library multi-instance files (``gap1.txt`` ... ``gap12.txt``, ``gapa.txt`` ...
  ``gapd.txt``): the number of instances ``P``, then ``P`` blocks;
* single-instance files (Chu & Beasley 1997 ``a05100`` ..., Yagiura ``c10400`` ...):
  one block.

A block is ``m n``, then the cost (or profit) of job ``j`` on agent ``i`` (``m x n``,
agent-major), the resource use of job ``j`` on agent ``i`` (``m x n``), and the
capacity of each agent (``m``).

In fairlead's terms a job is a lead and an agent a manager: ``value`` is the profit
(or the negated cost) transposed to ``(n, m)``, ``weight`` the resource use
transposed likewise, and ``capacity`` the agent capacities. Every job must be
assigned and every pair is eligible.
"""

from __future__ import annotations

import re
from os import PathLike
from pathlib import Path

import numpy as np

from fairlead.core import AssignmentProblem, IntArray

__all__ = ["ORLIB_OPTIMA", "gap_instances", "read_gap"]

#: Published optima of OR-Library's gap1 ... gap12, five instances each, solved as
#: maximisation problems (the library's own table).
ORLIB_OPTIMA: dict[int, list[int]] = {
    1: [336, 327, 339, 341, 326],
    2: [434, 436, 420, 419, 428],
    3: [580, 564, 573, 570, 564],
    4: [656, 644, 673, 647, 664],
    5: [563, 558, 564, 568, 559],
    6: [761, 759, 758, 752, 747],
    7: [942, 949, 968, 945, 951],
    8: [1133, 1134, 1141, 1117, 1127],
    9: [709, 717, 712, 723, 706],
    10: [958, 963, 960, 947, 947],
    11: [1139, 1178, 1195, 1171, 1171],
    12: [1451, 1449, 1433, 1447, 1446],
}

# OR-Library lists optima for gap1 ... gap12 "when solved as maximisation problems";
# every other GAP file (gapa-gapd, Chu & Beasley, Yagiura) is a minimisation problem.
_MAXIMISATION_FILE = re.compile(r"^gap(\d+)(\.txt)?$", re.IGNORECASE)


def _tokens(path: str | PathLike[str]) -> IntArray:
    text = Path(path).read_text()
    try:
        return np.array(text.split(), dtype=np.int64)
    except ValueError:
        bad = next(tok for tok in text.split() if not tok.lstrip("-").isdigit())
        raise ValueError(f"{path}: GAP files hold integers only, found {bad!r}") from None


def _block_size(tokens: IntArray, start: int) -> int:
    """Number of tokens of the instance block starting at ``start`` (0 if none fits)."""
    if start + 2 > tokens.size:
        return 0
    m, n = int(tokens[start]), int(tokens[start + 1])
    if m <= 0 or n <= 0:
        return 0
    return 2 + 2 * m * n + m


def _blocks(tokens: IntArray, path: str | PathLike[str]) -> list[int]:
    """Start offsets of the instance blocks of a file, whichever layout it has."""
    if _block_size(tokens, 0) == tokens.size:
        return [0]
    count = int(tokens[0]) if tokens.size else 0
    starts: list[int] = []
    offset = 1
    for _ in range(max(count, 0)):
        size = _block_size(tokens, offset)
        if size == 0 or offset + size > tokens.size:
            break
        starts.append(offset)
        offset += size
    if count <= 0 or len(starts) != count or offset != tokens.size:
        raise ValueError(
            f"{path}: not a GAP file: {tokens.size} tokens fit neither one instance "
            "('m n', costs, resource use, capacities) nor a count of instances followed "
            "by that many"
        )
    return starts


def gap_instances(path: str | PathLike[str]) -> int:
    """Number of instances a GAP file holds (1 for a single-instance file).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from fairlead.datasets._gap import gap_instances
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "two.txt").write_text("2  1 2  5 6  1 1  2   1 2  3 4  2 2  3")
    >>> gap_instances(folder / "two.txt")
    2
    """
    return len(_blocks(_tokens(path), path))


def read_gap(
    path: str | PathLike[str], *, index: int = 0, maximize: bool | None = None
) -> AssignmentProblem:
    r"""Read one GAP instance as an :class:`~fairlead.AssignmentProblem`.

    Parameters
    ----------
    path : str or path-like
        An OR-Library multi-instance file or a single-instance file.
    index : int, default 0
        Which instance of a multi-instance file (0-based).
    maximize : bool, optional
        Whether the file's numbers are profits to maximize (``value = profit``) or
        costs to minimize (``value = -cost``, so that maximizing value minimizes
        cost). Default: maximize for OR-Library ``gap1`` ... ``gap12`` (recognised by
        file name), minimize otherwise.

    Returns
    -------
    AssignmentProblem
        ``value`` and ``weight`` of shape ``(n, m)`` (jobs as leads, agents as
        managers), ``capacity`` of shape ``(m,)``; every job must be assigned.

    Raises
    ------
    ValueError
        If the file is not in either layout or ``index`` is out of range.

    Examples
    --------
    A file with one instance of 2 agents and 3 jobs, costs to minimize:

    >>> import tempfile, pathlib
    >>> from fairlead.datasets._gap import read_gap
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "tiny"
    >>> _ = path.write_text("2 3\n 4 5 6\n 1 2 3\n 2 2 2\n 1 1 1\n 4 2\n")
    >>> p = read_gap(path)
    >>> p.value.tolist()
    [[-4.0, -1.0], [-5.0, -2.0], [-6.0, -3.0]]
    >>> p.weight.tolist(), p.capacity.tolist()
    ([[2.0, 1.0], [2.0, 1.0], [2.0, 1.0]], [4.0, 2.0])
    >>> read_gap(path, maximize=True).value[0].tolist()
    [4.0, 1.0]
    """
    tokens = _tokens(path)
    starts = _blocks(tokens, path)
    if isinstance(index, bool) or not isinstance(index, int | np.integer):
        raise ValueError(f"index must be an int, got {index!r}")
    if not 0 <= index < len(starts):
        raise ValueError(
            f"{path} holds {len(starts)} instance(s); index must be in "
            f"[0, {len(starts) - 1}], got {index}"
        )
    if maximize is None:
        maximize = _MAXIMISATION_FILE.match(Path(path).name) is not None
    start = starts[index]
    m, n = int(tokens[start]), int(tokens[start + 1])
    body = tokens[start + 2 : start + 2 + 2 * m * n + m].astype(np.float64)
    cost = body[: m * n].reshape(m, n).T
    use = body[m * n : 2 * m * n].reshape(m, n).T
    capacity = body[2 * m * n :]
    value = cost if maximize else -cost
    return AssignmentProblem(value=value, capacity=capacity, weight=use)
