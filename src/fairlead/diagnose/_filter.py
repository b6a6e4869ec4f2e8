"""The deletion filter: shrink an infeasible selection to a minimal one."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from fairlead.core import IntArray
from fairlead.diagnose._decide import _test
from fairlead.diagnose._selection import (
    _holds,
    _prune,
    _satisfies,
    _Sel,
    _Setup,
)
from fairlead.diagnose._verdict import _Clock, _Verdict
from fairlead.formulation import Bound


class _Filter:
    """Deletion filter over a selection known to be infeasible."""

    def __init__(self, setup: _Setup, sel: _Sel, clock: _Clock) -> None:
        self.setup = setup
        self.sel = _prune(setup, sel)
        self.clock = clock
        self.minimal = True
        self.certified: set[int] = set()  # classes whose count is shown minimal
        self.needed: set[int] = set()  # classes shown necessary (at some count)
        self.bound_ok: set[int] = set()  # bounds shown necessary

    def test(self, sel: _Sel) -> _Verdict:
        verdict = _test(self.setup, _prune(self.setup, sel), self.clock)
        if verdict.status == "unknown":
            self.minimal = False
        return verdict

    def run(self) -> tuple[_Sel, bool]:
        self._classes()
        self._bounds()
        self._counts()
        return self.sel, self.minimal

    def _order(self) -> list[int]:
        setup = self.setup
        constrained = np.zeros(setup.m, dtype=np.bool_)
        for k in self.sel.bounds:
            constrained[setup.bounds[k].manager] = True

        def key(c: int) -> tuple[int, float, int]:
            where = setup.Ec[c] & constrained
            light = float(np.min(setup.Wc[c][where], initial=np.inf)) if where.any() else 0.0
            return int(np.count_nonzero(where)), -light, c

        return sorted(self.sel.req, key=key)

    def _classes(self) -> None:
        """Prefix search: keep the earliest classes that are still infeasible."""
        nec: list[int] = []
        cand = self._order()
        bounds = self.sel.bounds
        full = dict(self.sel.req)

        def sel_of(prefix: Iterable[int]) -> _Sel:
            return _Sel({c: full[c] for c in [*nec, *prefix]}, bounds)

        while cand:
            if self.clock.left() <= 0:
                self.minimal = False
                nec.extend(cand)
                break
            lo, hi = 0, len(cand)
            witness: dict[int, IntArray] = {}
            while lo < hi:
                mid = (lo + hi) // 2
                verdict = self.test(sel_of(cand[:mid]))
                if verdict.status == "infeasible":
                    hi = mid
                else:
                    if verdict.witness is not None:
                        witness[mid] = verdict.witness
                    lo = mid + 1
            if hi == 0:
                cand = []
                break
            u = cand[hi - 1]
            nec.append(u)
            self.needed.add(u)
            rest = cand[: hi - 1]
            target = sel_of(cand[:hi])
            if hi - 1 in witness:
                if full[u] == 1:
                    self.certified.add(u)
                rotated = self._rotate(target, witness[hi - 1], rest)
                nec.extend(rotated)
                rest = [c for c in rest if c not in rotated]
            cand = rest
        self.sel = _prune(self.setup, _Sel({c: full[c] for c in nec}, bounds))

    def _rotate(self, target: _Sel, witness: IntArray, candidates: list[int]) -> list[int]:
        """Classes of ``candidates`` shown necessary by swapping a lead of the witness.

        ``witness`` satisfies ``target`` except for exactly one required lead ``a``.
        Unassigning one required lead ``b`` of class ``v`` and placing ``a`` instead
        (in ``b``'s manager, or any eligible one) gives an assignment that satisfies
        ``target`` with ``v``'s count lowered by one: ``v`` is needed at that count.
        """
        setup = self.setup
        missing = [
            int(i) for c, r in target.req.items() for i in setup.members[c][:r] if witness[i] < 0
        ]
        if len(missing) != 1:
            return []
        a = missing[0]
        assigned = np.flatnonzero(witness >= 0)
        chosen = witness[assigned]
        loads = np.bincount(chosen, weights=setup.W[assigned, chosen], minlength=setup.m).astype(
            np.float64
        )
        values = np.bincount(chosen, weights=setup.V[assigned, chosen], minlength=setup.m).astype(
            np.float64
        )
        # the witness answered a pruned selection: it must meet every bound of target
        if not all(_holds(setup.bounds[k], loads, values) for k in target.bounds):
            return []
        own: dict[int, list[Bound]] = {}
        for k in target.bounds:
            own.setdefault(setup.bounds[k].manager, []).append(setup.bounds[k])
        a_managers = np.flatnonzero(setup.E[a]).tolist()
        shown: list[int] = []

        def fine(j: int, dl: float, dv: float) -> bool:
            if j not in own:
                return True
            loads[j] += dl
            values[j] += dv
            ok = all(_holds(b, loads, values) for b in own[j])
            loads[j] -= dl
            values[j] -= dv
            return ok

        for v in candidates:
            r = target.req.get(v, 0)
            if r == 0:
                continue
            b = int(setup.members[v][r - 1])
            jb = int(witness[b])
            if jb < 0:
                continue
            for ja in sorted(a_managers, key=lambda j: j != jb):
                loads[jb] -= setup.W[b, jb]
                values[jb] -= setup.V[b, jb]
                ok = fine(ja, setup.W[a, ja], setup.V[a, ja]) and (ja == jb or fine(jb, 0.0, 0.0))
                loads[jb] += setup.W[b, jb]
                values[jb] += setup.V[b, jb]
                if ok:
                    shown.append(v)
                    self.certified.add(v)
                    self.needed.add(v)
                    break
        return shown

    def _reordered(self, c: int, witness: IntArray) -> IntArray:
        """The witness with class ``c``'s placed members moved to its first indices."""
        members = self.setup.members[c]
        managers = witness[members]
        out = witness.copy()
        out[members] = np.concatenate([managers[managers >= 0], managers[managers < 0]])
        return out

    def _bounds(self) -> None:
        for k in sorted(self.sel.bounds, key=lambda k: (self.setup.bounds[k].kind, k)):
            if k not in self.sel.bounds or k in self.bound_ok:
                continue
            if self.clock.left() <= 0:
                self.minimal = False
                return
            trial = self.sel.without_bound(k)
            verdict = self.test(trial)
            if verdict.status == "infeasible":
                self.sel = _prune(self.setup, trial)
            elif verdict.status == "feasible":
                self.bound_ok.add(k)

    def _counts(self) -> None:
        """Lower each needed class's count to the smallest that stays infeasible."""
        for c in sorted(self.sel.req):
            r = self.sel.req.get(c, 0)
            if r <= 1 or c in self.certified:
                continue
            if self.clock.left() <= 0:
                self.minimal = False
                return
            # invariant: count hi is infeasible; count lo is feasible (lo = 0: class needed)
            lo, hi, settled = 0, r, c in self.needed
            probe = r - 1  # most often the answer: one call
            while hi - lo > 1:
                verdict = self.test(self.sel.with_count(c, probe))
                if verdict.status == "infeasible":
                    hi = probe
                elif verdict.status == "feasible":
                    assert verdict.witness is not None
                    # members are interchangeable: every one the witness places counts
                    got = int(np.count_nonzero(verdict.witness[self.setup.members[c]] >= 0))
                    got = min(got, hi - 1)
                    if got > probe:
                        # as the witness may miss members of lower index, reorder them
                        witness = self._reordered(c, verdict.witness)
                        if not _satisfies(self.setup, self.sel.with_count(c, got), witness):
                            got = probe
                    lo, settled = max(probe, got), True
                else:
                    settled = False
                    break
                probe = (lo + hi) // 2
            if settled and hi - lo == 1:
                self.certified.add(c)
            self.sel = _prune(self.setup, self.sel.with_count(c, hi))
