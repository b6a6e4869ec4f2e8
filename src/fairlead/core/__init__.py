"""The numeric core: an assignment problem as flat numpy arrays, and its constraint check.

Everything downstream of the policy reads these: an :class:`AssignmentProblem` holds
no ids and no pydantic records, only arrays (the value matrix dense, float32 or
sparse), and :func:`violations` says in words which hard rule an assignment breaks.
"""

from fairlead.core._check import RTOL, penalty_of, violations
from fairlead.core._errors import InputError
from fairlead.core._matrix import ValueBlocks, csr_row_of
from fairlead.core._problem import (
    AssignmentProblem,
    BoolArray,
    FloatArray,
    IntArray,
    check_numeric_dtype,
    require_problem,
    to_array,
)

__all__ = [
    "RTOL",
    "AssignmentProblem",
    "BoolArray",
    "FloatArray",
    "InputError",
    "IntArray",
    "ValueBlocks",
    "check_numeric_dtype",
    "csr_row_of",
    "penalty_of",
    "require_problem",
    "to_array",
    "violations",
]
