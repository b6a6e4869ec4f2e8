"""Exact assignment with OR-Tools CP-SAT: weighted leads, value bounds, soft bands, max-min.

The model has one Boolean ``x[k]`` per *eligible* pair ``k = (i, j)`` and

* per lead: ``sum_j x[i, j] == 1`` (``<= 1`` with ``allow_unassigned``);
* per manager: workload ``sum_i weight[i, j] x[i, j]`` within
  ``[min_load[j], hard upper]`` -- weights ``(n,)`` or ``(n, m)``, i.e. the
  generalized assignment problem; with ``load_penalty`` only ``capacity`` is hard
  and integer shortfall / excess variables price the band;
* per manager: total value within ``[min_value[j], max_value[j]]``, hard, or priced
  by ``value_penalty`` with shortfall / excess variables;
* objective: ``value - pair_penalty`` minus the band penalties.

Lexicographic stages, each fixing the optimum of the previous one: with
``allow_unassigned`` first the number of placed leads (as many as possible), with
``objective="maxmin"`` then the smallest normalized share
``min_j load_j / target_load_j`` (over managers with a target > 0), and last the
value.

Integer scaling
---------------
CP-SAT works on integers, so each family of float numbers -- values (objective),
weights, value-bound coefficients, targets -- gets its own scale, reported by
:func:`model_scales`, by the one scheme of :func:`fairlead.formulation.pick_scale`
(the conflict finder scales the same rows the same way). A scale is *round* when
one exists: the smallest
``2**a * 5**b <= 10**6`` that makes every number of the family an integer, so
integer data (the GAP benchmarks) and decimals up to six digits are exact.
Otherwise it is a power of two: values map the largest magnitude to ``2**30``,
constraint coefficients (weights, value-bound coefficients) to ``2**40`` (or as
high as int64 sums allow).

* Hard bounds get just under the relative slack of
  :func:`fairlead.core._check.violations` (``0.9e-9 * max(1, |bound|)``; the check allows
  ``1e-9``): float sums that equal a bound, such as ``1/3 + 1/3 + 1/3`` against
  ``1``, pass.
* A scaled weight within a relative ``1e-11`` of an integer counts as one: the
  rounding moves a workload by at most ``1e-11`` of itself, a tenth of the margin
  between the model's slack and the check's. Value-bound coefficients (signed,
  so their errors do not shrink with the sum) count only within ``1e-6`` absolute.
* Hard constraints whose scaled coefficients are still not integers are rounded
  conservatively (ceil on the side that must stay below a bound, floor on the
  other), so the returned assignment satisfies them in floats. That model is a
  restriction; a second solve with the opposite rounding (a relaxation) proves
  the bound. With exact scales both are one model and one solve.
* Objective rounding moves each value by at most ``Scales.value_rounding``; the
  reported ``bound`` adds that per lead, like ``min_cost_flow``.
* Soft bands are measured from below (shortfall and excess rounded down, prices
  rounded down), so the model never overcharges and the bound stays valid; the
  reported ``penalty`` is recomputed in floats. ``OPTIMAL`` means proven up to
  these roundings (``2 n value_rounding + band_slack``).
* The max-min share is kept to a resolution of about ``2**-30`` of a share unit
  (``Scales.share_resolution``), measured from below.

Modules
-------
``_scales`` (the scales and soft-band prices), ``_model`` (objectives and soft
bands on the shared model of :func:`fairlead.formulation.new_model`), ``_stages``
(lexicographic solves and the bound), ``_solver`` (the method), ``_explain``
(infeasibility in words).

Large models
------------
From ``_LARGE_MODEL`` eligible pairs CP-SAT's presolve (single-threaded) is kept to
one pass without probing. Should the time limit end before CP-SAT reports any
solution, a valid hint (``min_cost_flow`` or ``greedy``) is returned as ``FEASIBLE``
without a bound; with no valid hint the status is ``TIME_LIMIT``.
"""

from fairlead.solvers._cp_sat_scales import Objective, Scales, model_scales
from fairlead.solvers._cp_sat_solver import CpSatSolver

__all__ = ["CpSatSolver", "Objective", "Scales", "model_scales"]
