"""Every public entry point on bad inputs: a ``fairlead.InputError`` naming field and value.

The catalogue of bad inputs is data, ``tests/data/bad_inputs.json``: one entry per
case, naming the entry point (``call``), its input, and the fragments the message must
hold (the field, the value, the record's id when it has one). For every entry:

- through the Python API, the call raises :class:`fairlead.InputError` (or a
  subclass such as ``fairlead.records.FileError``) whose message holds every fragment,
  never another exception type (pydantic's ``ValidationError``, ``KeyError``,
  ``TypeError``, a plain ``ValueError`` ...) and never a silent success;
- through the command line (``call: "cli"``, files written from the entry into a
  folder of their own), the exit code is 2 and stderr is exactly one line, without
  a traceback, holding every fragment (file, line, field, value); files listed in
  ``unchanged`` keep their bytes.

Entries with ``"ok": true`` are inside the documented domain and must succeed (ids
such as ``123``, ``123.0`` and ``" 123 "`` are one id ``'123'``).

A property test then mutates one field of a valid ``Lead``, ``Manager`` or
``Policy`` at a time: a value outside the documented domain must raise an
``InputError`` naming the field, a value inside it must be accepted.

An entry's keys: ``id``, ``call`` (``Lead``, ``assign``, ``solve``, ``Router.route``,
``scoring.rfm``, ``scoring.ConversionModel.fit``, ``records.read_leads``, ``cli`` ...),
``args`` / ``kwargs`` (over the call's defaults in ``defaults.calls``), ``expect``
(the fragments), and as the call needs: ``problem`` (over the default
``AssignmentProblem``; ``null``: ``args`` hold it), ``router`` and ``setup`` (the
router and the calls made before), ``init`` and ``fit_first`` (a scoring object),
``files`` (name -> text, or ``{"$latin1": text}`` for bytes that are no UTF-8),
``argv`` / ``argv_add``, ``unchanged`` and ``process`` (CLI), ``ok`` with
``then`` / ``equals`` (an attribute of the result and its expected value).

How a value is written in the catalogue (JSON has no NaN, dates or arrays): a
one-key object whose key starts with ``$``, decoded by :func:`decode`::

    {"$float": "nan"}            float("nan"); also "inf", "-inf"
    {"$np": ["int64", 7]}        numpy.int64(7) (any numpy scalar type)
    {"$array": [[1, 2]], "dtype": "float32"}   a numpy array
    {"$ones": [2, 2]}            numpy.ones((2, 2))
    {"$sparse": [[1, 0]]}        scipy.sparse.csr_array of the rows
    {"$frame": {"id": [...]}}    a pandas DataFrame of the columns
    {"$rows": [[...]], "columns": [...]}   a DataFrame of rows (columns may repeat)
    {"$datetime": "2026-01-05T10:00:00+00:00"}, {"$date": "2026-01-05"}
    {"$timedelta": 60}           seconds
    {"$bytes": "x"}, {"$tuple": [...]}, {"$repeat": ["x", 201]}, {"$object": null}
    {"$drop": null}              (in kwargs) leave the default argument out

Command-line entries run in one Python process driving ``fairlead.cli.main`` (each
in its own folder, stdout and stderr captured, an escaping exception printed as
the interpreter would); entries with ``"process": true`` run as their own
``python -m fairlead.cli`` process as well.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import math
import numbers
import os
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fairlead as fl
import fairlead.records

CATALOGUE_PATH = Path(__file__).parent / "data" / "bad_inputs.json"
CATALOGUE: dict[str, Any] = json.loads(CATALOGUE_PATH.read_text(encoding="utf-8"))
DEFAULTS: dict[str, Any] = CATALOGUE["defaults"]
CASES: list[dict[str, Any]] = CATALOGUE["cases"]
API_CASES = [c for c in CASES if c["call"] != "cli"]
CLI_CASES = [c for c in CASES if c["call"] == "cli"]

# ------------------------------------------------------------------------ decoding

_DROP = object()


def _special(tag: str, body: Any, whole: dict[str, Any]) -> Any:
    if tag == "$float":
        return float(body)
    if tag == "$np":
        kind, value = body
        return getattr(np, kind)(decode(value))
    if tag == "$array":
        return np.array(decode(body), dtype=whole.get("dtype"))
    if tag == "$ones":
        return np.ones(tuple(body))
    if tag == "$sparse":
        return sp.csr_array(np.array(decode(body), dtype=np.float64))
    if tag == "$frame":
        return pd.DataFrame({k: decode(v) for k, v in body.items()})
    if tag == "$rows":
        return pd.DataFrame(decode(body), columns=whole["columns"])
    if tag == "$datetime":
        return dt.datetime.fromisoformat(body)
    if tag == "$date":
        return dt.date.fromisoformat(body)
    if tag == "$timedelta":
        return dt.timedelta(seconds=body)
    if tag == "$bytes":
        return str(body).encode("utf-8")
    if tag == "$tuple":
        return tuple(decode(body))
    if tag == "$repeat":
        text, times = body
        return text * times
    if tag == "$object":
        return object()
    if tag == "$drop":
        return _DROP
    raise ValueError(f"unknown tag {tag!r} in {CATALOGUE_PATH.name}")


def decode(value: Any) -> Any:
    """A catalogue value as Python: tagged objects (``{"$float": "nan"}``) decoded."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        tags = [k for k in value if k.startswith("$")]
        if tags:
            return _special(tags[0], value[tags[0]], value)
        return {k: decode(v) for k, v in value.items()}
    return value


def merged(base: dict[str, Any] | None, override: dict[str, Any] | None) -> dict[str, Any]:
    """Keyword arguments: the defaults, then the entry's own; ``$drop`` removes one."""
    out = {k: decode(v) for k, v in (base or {}).items()}
    for key, value in (override or {}).items():
        out[key] = decode(value)
    return {k: v for k, v in out.items() if v is not _DROP}


# ------------------------------------------------------------------- entry points


def _defaults(call: str) -> dict[str, Any]:
    calls: dict[str, dict[str, Any]] = DEFAULTS["calls"]
    return calls.get(call, {})


def _problem(case: dict[str, Any]) -> fl.AssignmentProblem:
    return fl.AssignmentProblem(**merged(_defaults("AssignmentProblem"), case.get("problem")))


def _write_files(files: dict[str, Any], folder: Path) -> None:
    for name, content in files.items():
        if content is None:
            continue
        path = folder / name
        if isinstance(content, dict) and "$latin1" in content:
            path.write_bytes(str(content["$latin1"]).encode("latin-1"))
        else:
            path.write_bytes(str(content).encode("utf-8"))


def _router(case: dict[str, Any]) -> fl.Router:
    return fl.Router(**merged(_defaults("Router"), case.get("router")))


def _scoring_target(name: str, case: dict[str, Any]) -> Callable[..., Any]:
    """``rfm`` -> the function; ``ConversionModel.fit`` -> the method of a new instance."""
    owner, _, method = name.partition(".")
    target = getattr(fl.scoring, owner)
    if not method:
        return target  # type: ignore[no-any-return]
    instance = target(**merged(_defaults(f"scoring.{owner}"), case.get("init")))
    fit = case.get("fit_first")
    if fit:
        instance.fit(**merged(_defaults(f"scoring.{owner}.fit"), None))
    return getattr(instance, method)  # type: ignore[no-any-return]


def run_api(case: dict[str, Any], folder: Path) -> Any:
    """Call the entry point ``case["call"]`` with the case's input; return what it returns."""
    call: str = case["call"]
    args = decode(case.get("args", []))
    kwargs = merged(_defaults(call), case.get("kwargs"))
    if call in ("Lead", "Manager", "Policy", "WorkingHours", "Absence", "CatchUp"):
        return getattr(fl, call)(*args, **kwargs)
    if call in ("assign", "AssignmentProblem", "gini", "jain", "max_min_ratio"):
        return getattr(fl, call)(*args, **kwargs)
    if call in ("solve", "find_conflict", "dual_bound"):
        if "problem" in case and case["problem"] is None:  # args give the "problem"
            return getattr(fl, call)(*args, **kwargs)
        return getattr(fl, call)(_problem(case), *args, **kwargs)
    if call == "Plan.explain":
        return fl.assign(**merged(_defaults("assign"), None)).explain(*args, **kwargs)
    if call == "Router":
        router = fl.Router(*args, **kwargs)
        router.close()
        return router
    if call.startswith("Router."):
        router = _router(case)
        try:
            for step in case.get("setup", []):
                method = getattr(router, step["method"])
                method(*decode(step.get("args", [])), **merged(None, step.get("kwargs")))
            return getattr(router, call.removeprefix("Router."))(*args, **kwargs)
        finally:
            router.close()
    if call.startswith("scoring."):
        return _scoring_target(call.removeprefix("scoring."), case)(*args, **kwargs)
    if call.startswith("records."):
        _write_files(case.get("files", {}), folder)
        names = set(case.get("files", {}))
        args = [str(folder / a) if isinstance(a, str) and a in names else a for a in args]
        return getattr(fairlead.records, call.removeprefix("records."))(*args, **kwargs)
    raise ValueError(f"unknown entry point {call!r} in {CATALOGUE_PATH.name}")


# ------------------------------------------------------------------------- checks


def _is_input_warning(warning: warnings.WarningMessage) -> bool:
    # fairlead.InputWarning: input accepted, with a meaning worth a second look.
    return any(k.__name__ == "InputWarning" for k in type(warning.message).__mro__)


def _missing(message: str, fragments: list[str]) -> list[str]:
    lowered = message.lower()
    return [f for f in fragments if f.lower() not in lowered]


def _shown(result: Any) -> str:
    text = repr(result)
    return text if len(text) <= 200 else text[:200] + "..."


def _follow(result: Any, path: str) -> Any:
    for part in path.split("."):
        result = result[part] if isinstance(result, dict) else getattr(result, part)
    return result.tolist() if isinstance(result, np.ndarray) else result


def check_api_case(case: dict[str, Any], folder: Path) -> None:
    """The assertions of one API entry of the catalogue."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            result = run_api(case, folder)
        except fl.InputError as exc:
            error: BaseException | None = exc
        except Exception as exc:  # anything else is a finding, shown by its type
            kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
            pytest.fail(f"{kind} instead of fairlead.InputError: {str(exc)[:400]}")
        else:
            error = None
    others = [f"{w.category.__name__}: {w.message}" for w in seen if not _is_input_warning(w)]
    if case.get("ok"):
        assert error is None, f"refused an input inside the documented domain: {error}"
        assert not others, f"accepted, but with warnings: {others}"
        if "then" in case:
            assert _follow(result, case["then"]) == decode(case["equals"])
        return
    if error is None:
        extra = f" (warnings: {others})" if others else ""
        pytest.fail(f"accepted silently: returned {_shown(result)}{extra}")
    message = str(error)
    assert "pydantic.dev" not in message, f"a raw pydantic message: {message}"
    missing = _missing(message, case["expect"])
    assert not missing, f"message {message!r} does not name {missing}"


@pytest.mark.parametrize("case", API_CASES, ids=[c["id"] for c in API_CASES])
def test_api_entry_points_refuse_bad_inputs_with_an_input_error(
    case: dict[str, Any], tmp_path: Path
) -> None:
    check_api_case(case, tmp_path)


def test_the_catalogue_is_well_formed() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    for case in CASES:
        assert case.get("ok") or case.get("expect"), f"{case['id']}: no expected fragments"
        for key in ("kwargs", "args", "problem", "router", "init"):
            decode(case.get(key))


# --------------------------------------------------------------------------- CLI

_DRIVER = r"""
import contextlib, io, json, os, sys, traceback, warnings
from fairlead.cli import main

jobs = json.loads(open(sys.argv[1], encoding="utf-8").read())
results = []
for job in jobs:
    os.chdir(job["dir"])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            try:
                code = main(job["argv"])
            except SystemExit as exc:  # as the interpreter reads it
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            except BaseException:  # as the interpreter would print it
                traceback.print_exc()
                code = 1
    results.append({"code": code, "stdout": out.getvalue(), "stderr": err.getvalue()})
with open(sys.argv[2], "w", encoding="utf-8") as f:
    json.dump(results, f)
"""


def _cli_argv(case: dict[str, Any]) -> list[str]:
    base: list[str] = DEFAULTS["cli"]["argv"]
    argv: list[str] = case.get("argv", base)
    return [*argv, *case.get("argv_add", [])]


def _cli_folder(case: dict[str, Any], root: Path) -> Path:
    folder = root / case["id"]
    folder.mkdir(parents=True)
    files = {**DEFAULTS["cli"]["files"], **case.get("files", {})}
    _write_files(files, folder)
    return folder


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONWARNINGS"] = "default"
    env.pop("PYTHONSTARTUP", None)
    return env


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Every CLI entry run once: exit code, stdout, stderr and its folder, by case id."""
    root = tmp_path_factory.mktemp("cli")
    folders = {c["id"]: _cli_folder(c, root) for c in CLI_CASES}
    before = {
        cid: {p.name: p.read_bytes() for p in folder.iterdir()} for cid, folder in folders.items()
    }
    jobs = [{"dir": str(folders[c["id"]]), "argv": _cli_argv(c)} for c in CLI_CASES]
    (root / "jobs.json").write_text(json.dumps(jobs), encoding="utf-8")

    def driver() -> list[dict[str, Any]]:
        done = subprocess.run(
            [sys.executable, "-c", _DRIVER, str(root / "jobs.json"), str(root / "out.json")],
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(),
            cwd=root,
        )
        assert done.returncode == 0, f"the CLI driver failed: {done.stderr[-2000:]}"
        loaded: list[dict[str, Any]] = json.loads((root / "out.json").read_text("utf-8"))
        return loaded

    def own_process(case: dict[str, Any]) -> dict[str, Any]:
        folder = root / f"{case['id']}.process"
        folder.mkdir()
        _write_files({**DEFAULTS["cli"]["files"], **case.get("files", {})}, folder)
        before[f"{case['id']}.process"] = {p.name: p.read_bytes() for p in folder.iterdir()}
        done = subprocess.run(
            [sys.executable, "-m", "fairlead.cli", *_cli_argv(case)],
            capture_output=True,
            text=True,
            timeout=300,
            env=_env(),
            cwd=folder,
        )
        return {"code": done.returncode, "stdout": done.stdout, "stderr": done.stderr}

    processes = [c for c in CLI_CASES if c.get("process")]
    with concurrent.futures.ThreadPoolExecutor(max_workers=1 + len(processes)) as pool:
        batch = pool.submit(driver)
        alone = {c["id"]: pool.submit(own_process, c) for c in processes}
        runs = {
            c["id"]: {**r, "dir": folders[c["id"]]}
            for c, r in zip(CLI_CASES, batch.result(), strict=True)
        }
        for cid, future in alone.items():
            runs[f"{cid}.process"] = {**future.result(), "dir": root / f"{cid}.process"}
    for cid, run in runs.items():
        run["before"] = before[cid]
    return runs


def _cli_runs_of(case: dict[str, Any]) -> list[str]:
    return [case["id"], *([f"{case['id']}.process"] if case.get("process") else [])]


def check_cli_run(case: dict[str, Any], run: dict[str, Any], how: str) -> None:
    """The assertions of one CLI entry on one run (driver or own process)."""
    err: str = run["stderr"]
    lines = [line for line in err.splitlines() if line.strip()]
    if case.get("ok"):
        assert run["code"] == 0, f"{how}: exit {run['code']}, stderr: {err[-1500:]}"
        return
    assert "Traceback" not in err, f"{how}: a traceback on stderr:\n{err[-3000:]}"
    assert run["code"] == 2, f"{how}: exit code {run['code']} (want 2); stderr: {err[-1500:]}"
    assert len(lines) == 1, f"{how}: {len(lines)} lines on stderr (want 1):\n{err[-1500:]}"
    missing = _missing(lines[0], case["expect"])
    assert not missing, f"{how}: stderr {lines[0]!r} does not name {missing}"
    folder: Path = run["dir"]
    for name in case.get("unchanged", []):
        path = folder / name
        assert path.exists(), f"{how}: {name} was removed"
        assert path.read_bytes() == run["before"][name], f"{how}: {name} was changed"


@pytest.mark.parametrize("case", CLI_CASES, ids=[c["id"] for c in CLI_CASES])
def test_cli_refuses_bad_inputs_with_exit_2_and_one_line(
    case: dict[str, Any], cli_runs: dict[str, dict[str, Any]]
) -> None:
    for key in _cli_runs_of(case):
        how = "python -m fairlead.cli" if key.endswith(".process") else "fairlead.cli.main"
        check_cli_run(case, cli_runs[key], how)


# ------------------------------------------------------- property: one bad field

VALID: dict[str, dict[str, Any]] = {
    "Lead": {
        "id": "l-1",
        "score": 0.5,
        "tier": "warm",
        "product": "cards",
        "source": "website",
        "deal_value": 1200.0,
        "created_at": "2025-03-03T09:05",
        "effort": 1.0,
        "segment": "retail",
        "features": {"age": 30.0, "city": "Oslo"},
    },
    "Manager": {
        "id": "m-1",
        "name": "Anna",
        "skills": "cards;loans",
        "level": "senior",
        "max_active_leads": 20,
        "active_leads": 3,
        "portfolio_size": 10,
        "available": True,
        "planned_touches": 2,
        "performance": 1.1,
    },
    "Policy": {
        "target_share": "capacity",
        "performance_floor": 0.5,
        "balance_tolerance": 0.2,
        "qualification_required": True,
        "hot_min_level": "middle",
        "hot_threshold": 0.6,
        "warm_threshold": 0.3,
        "portfolio_load": 0.1,
        "touch_load": 0.25,
        "allow_unassigned": False,
        "seed": 7,
        "balance": "hard",
        "balance_penalty": 1.0,
        "hot_rule": "hard",
        "hot_penalty": 0.2,
        "value_tolerance": None,
        "effort_by_level": None,
        "objective": "value",
        "time_limit": None,
        "performance_cap": None,
        "rating_weights": {"plan": 0.4, "conversion": 0.3, "response": 0.15, "csat": 0.15},
    },
}

# Each field's kind: what the documentation says it holds.
KINDS: dict[str, dict[str, str]] = {
    "Lead": {
        "id": "id",
        "score": "probability",
        "tier": "tier?",
        "product": "text?",
        "source": "text?",
        "deal_value": "non-negative?",
        "created_at": "time?",
        "effort": "workload",
        "segment": "text?",
        "features": "features",
    },
    "Manager": {
        "id": "id",
        "name": "text?",
        "skills": "skills",
        "level": "level",
        "max_active_leads": "count",
        "active_leads": "count",
        "portfolio_size": "count",
        "available": "flag",
        "planned_touches": "count",
        "performance": "non-negative?",
    },
    "Policy": {
        "target_share": "choice:capacity,equal,performance",
        "performance_floor": "non-negative",
        "balance_tolerance": "non-negative?",
        "qualification_required": "flag",
        "hot_min_level": "level?",
        "hot_threshold": "probability>=0.3",
        "warm_threshold": "probability<=0.6",
        "portfolio_load": "non-negative",
        "touch_load": "non-negative",
        "allow_unassigned": "flag",
        "seed": "count?",
        "balance": "choice:hard,soft",
        "balance_penalty": "non-negative",
        "hot_rule": "choice:hard,soft",
        "hot_penalty": "non-negative",
        "value_tolerance": "non-negative?",
        "level_factors": "level-factors",
        "effort_by_level": "effort-by-level?",
        "objective": "choice:value,maxmin",
        "time_limit": "positive?",
        "performance_cap": "non-negative>=0.5?",
        "rating_weights": "rating-weights",
    },
}

LEVELS = ("trainee", "junior", "middle", "senior")
TIERS = ("hot", "warm", "cold")
# Text pydantic reads as a boolean: neither refused nor required (CSV cells are text).
FLAG_TEXT = {"0", "1", "y", "n", "yes", "no", "on", "off", "t", "f", "true", "false"}


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool | np.bool_)


def _real(value: Any) -> float | None:
    """``value`` as a float when it is a real number (not a boolean), else None."""
    if _is_bool(value) or not isinstance(value, numbers.Real):
        return None
    try:
        return float(value)
    except OverflowError:
        return math.inf


def _id_verdict(value: Any) -> bool:
    if isinstance(value, str):
        text = value.strip()
        return 0 < len(text) <= 200 and "\x00" not in text
    if _is_bool(value):
        return False
    if isinstance(value, int | np.integer):
        return len(str(int(value))) <= 200
    if isinstance(value, float | np.floating):
        x = float(value)
        return math.isfinite(x) and x.is_integer() and len(str(int(x))) <= 200
    return False


def _count_verdict(value: Any) -> bool | None:
    if isinstance(value, int | np.integer) and not _is_bool(value):
        return int(value) >= 0
    x = _real(value)
    if x is None or not math.isfinite(x) or not x.is_integer():
        return False
    if x < 0:
        return False
    return True if x < 2**53 else None  # a whole float beyond 2**53 is no exact count


def _number_verdict(value: Any, low: float, *, strict: bool, high: float = math.inf) -> bool:
    x = _real(value)
    if x is None or not math.isfinite(x):
        return False
    return (x > low if strict else x >= low) and x <= high


def verdict(kind: str, value: Any) -> bool | None:
    """Whether ``value`` is inside the documented domain of a field of ``kind``.

    ``True``: must be accepted; ``False``: must raise an InputError naming the
    field; ``None``: either (pydantic's lax reading, e.g. ``"yes"`` for a flag).
    """
    if kind.endswith("?"):
        if value is None:
            return True
        kind = kind[:-1]
    if kind == "id":
        return _id_verdict(value)
    if kind == "probability":
        return _number_verdict(value, 0.0, strict=False, high=1.0)
    if kind == "probability>=0.3":
        return _number_verdict(value, 0.3, strict=False, high=1.0)
    if kind == "probability<=0.6":
        return _number_verdict(value, 0.0, strict=False, high=0.6)
    if kind == "non-negative":
        return _number_verdict(value, 0.0, strict=False)
    if kind == "non-negative>=0.5":  # at least the valid policy's performance_floor
        return _number_verdict(value, 0.5, strict=False)
    if kind == "positive":
        return _number_verdict(value, 0.0, strict=True)
    if kind == "workload":  # a thousandth of an ordinary lead to a thousand
        return _number_verdict(value, 1e-3, strict=False, high=1e3)
    if kind == "count":
        return _count_verdict(value)
    if kind == "flag":
        if _is_bool(value):
            return True
        if isinstance(value, str) and value.strip().lower() in FLAG_TEXT:
            return None
        x = _real(value)
        return None if x in (0.0, 1.0) else False
    if kind in ("tier", "level") or kind.startswith("choice:"):
        options = {"tier": TIERS, "level": LEVELS}.get(kind) or kind[7:].split(",")
        return isinstance(value, str) and value in options
    if kind == "text":
        if isinstance(value, str | bytes):
            return None if "\x00" in str(value) or isinstance(value, bytes) else True
        x = _real(value)
        if x is not None:  # numbers read as text (a CSV or DataFrame column)
            return None if math.isfinite(x) else False
        return False
    if kind == "time":
        if isinstance(value, dt.date):
            return True
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                dt.datetime.fromisoformat(value.strip())
            except ValueError:
                return False
            return True
        return False  # a number is no moment by the time rule (datetime, date, ISO text)
    if kind == "skills":
        if isinstance(value, str):
            return True
        if isinstance(value, list | tuple | set | frozenset):
            return True if all(isinstance(s, str) for s in value) else None
        x = _real(value)
        return None if isinstance(value, bytes) or (x is not None and math.isfinite(x)) else False
    if kind == "features":
        if not isinstance(value, dict):
            return None if value is None else False
        for item in value.values():
            if isinstance(item, str):
                continue
            x = _real(item)
            if x is None or not math.isfinite(x):
                return False
        return True
    if kind == "level-factors":
        if value is None:
            return None
        if not isinstance(value, dict) or set(value) != set(TIERS):
            return False
        return all(
            isinstance(row, dict)
            and set(row) == set(LEVELS)
            and all(_number_verdict(f, 0.0, strict=False) for f in row.values())
            for row in value.values()
        )
    if kind == "rating-weights":
        if not isinstance(value, dict) or not value:
            return False
        parts = ("plan", "conversion", "response", "csat")
        if any(not isinstance(k, str) or k.strip().lower() not in parts for k in value):
            return False
        weights = [_real(w) for w in value.values()]
        if any(w is None or not math.isfinite(w) or w < 0 for w in weights):
            return False
        return sum(w for w in weights if w is not None) > 0
    if kind == "effort-by-level":
        if not isinstance(value, dict):
            return False
        return all(k in LEVELS and _number_verdict(v, 0.0, strict=True) for k, v in value.items())
    raise ValueError(kind)


TRICKY: list[Any] = [
    None,
    True,
    False,
    np.True_,
    math.nan,
    math.inf,
    -math.inf,
    np.float64("nan"),
    -1,
    -0.1,
    -0.0,
    0,
    0.0,
    1,
    1.0,
    1.5,
    2,
    0.3,
    0.6,
    1e-300,
    1e300,
    2**53 + 1,
    2**63,
    10**30,
    np.int64(3),
    np.float32(0.5),
    "",
    "   ",
    "abc",
    " l-7 ",
    "x\x00y",
    "yes",
    "maybe",
    "hot",
    "warm",
    "senior",
    "trainee",
    "capacity",
    "equal",
    "soft",
    "maxmin",
    [],
    [1],
    [[1, 2]],
    ["cards", "loans"],
    {},
    {"a": 1},
    {"a": math.nan},
    {"a": True},
    {"a": [1]},
    {"senior": 0.8},
    {"senior": 0.0},
    {"senior": True},
    {"boss": 1.0},
    {"plan": 1.0},
    {"csat": 0.0},
    {"Plan ": 0.5, "response": 2},
    {"conversion": -1.0},
    b"x",
    (1, 2),
    "2025-03-03T09:05",
    dt.datetime(2025, 3, 3, 9, 5),
    dt.date(2025, 3, 3),
]

# Random values beyond the tricky ones: every float (NaN, infinities, subnormals), large
# integers, text that is no number, short lists.
VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.text(alphabet="abxz -", max_size=6),
    st.lists(st.integers(-2, 2), max_size=2),
)

FIELDS = [(model, field) for model, kinds in KINDS.items() for field in kinds]
FIELD_IDS = [f"{m}.{f}" for m, f in FIELDS]


def _value_named(message: str, value: Any) -> bool:
    """Whether the message shows the value (checked for plain scalars only)."""
    if isinstance(value, str):  # as given, or as its repr shows it ('x\\x00y')
        return not value.strip() or value in message or repr(value)[1:-1] in message
    if _is_bool(value) or not isinstance(value, int | float):
        return True
    low = message.lower()
    if isinstance(value, int):
        return str(value) in message
    if not math.isfinite(value):
        return str(value).lower() in low
    return any(s.lower() in low for s in (repr(value), str(value), f"{value:g}"))


def problem_with(model: str, field: str, value: Any) -> str | None:
    """What is wrong with how ``model`` treats ``value`` in ``field`` (None: nothing)."""
    expected = verdict(KINDS[model][field], value)
    record = {**VALID[model], field: value}
    what = f"{model}.{field}={value!r}"
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            getattr(fl, model)(**record)
        except fl.InputError as exc:
            message = str(exc)
            if expected is True:
                return f"{what} refused inside the documented domain: {message}"
            if field not in message:
                return f"{what}: {message!r} does not name the field"
            if not _value_named(message, value):
                return f"{what}: {message!r} does not name the value"
            return None
        except Exception as exc:
            kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
            return f"{what}: {kind} instead of InputError: {str(exc)[:200]}"
    others = [f"{w.category.__name__}: {w.message}" for w in seen if not _is_input_warning(w)]
    if expected is False:
        return f"{what} accepted silently"
    if others:
        return f"{what} accepted with warnings {others}"
    return None


@pytest.mark.parametrize(("model", "field"), FIELDS, ids=FIELD_IDS)
def test_one_tricky_field_is_named_or_the_value_is_accepted(model: str, field: str) -> None:
    problems = [p for v in TRICKY if (p := problem_with(model, field, v)) is not None]
    assert not problems, "\n".join(problems)


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def _one_random_field(model: str, field: str, data: st.DataObject) -> None:
    value = data.draw(VALUES, label=f"{model}.{field}")
    problem = problem_with(model, field, value)
    assert problem is None, problem


@pytest.mark.parametrize(("model", "field"), FIELDS, ids=FIELD_IDS)
def test_one_random_field_is_named_or_the_value_is_accepted(model: str, field: str) -> None:
    _one_random_field(model, field)


def test_the_valid_records_are_valid() -> None:
    for model, record in VALID.items():
        getattr(fl, model)(**record)
    for model, kinds in KINDS.items():
        assert set(kinds) == set(getattr(fl, model).model_fields), model


def _iter_kinds() -> Iterator[str]:
    for kinds in KINDS.values():
        yield from kinds.values()


def test_every_kind_has_a_verdict() -> None:
    for kind in _iter_kinds():
        for value in TRICKY:
            verdict(kind, value)
