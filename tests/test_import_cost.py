"""`import fairlead` stays light: the scoring package (and scipy.stats) load on demand."""

import json
import subprocess
import sys


def modules_after(code: str) -> dict[str, bool]:
    probe = (
        f"{code}\n"
        "import json, sys\n"
        "names = ['scipy.stats', 'fairlead.scoring', 'fairlead.scoring._conversion']\n"
        "print(json.dumps({name: name in sys.modules for name in names}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    loaded: dict[str, bool] = json.loads(result.stdout.splitlines()[-1])
    return loaded


def test_import_fairlead_does_not_import_scipy_stats_or_scoring():
    loaded = modules_after("import fairlead")
    assert loaded == {
        "scipy.stats": False,
        "fairlead.scoring": False,
        "fairlead.scoring._conversion": False,
    }


def test_assign_without_a_model_does_not_import_scoring():
    loaded = modules_after(
        "import fairlead as fl\n"
        "plan = fl.assign([{'id': 'l-1', 'score': 0.5}], [{'id': 'm', 'max_active_leads': 1}])\n"
        "assert plan.assignments == {'l-1': 'm'}"
    )
    assert not loaded["scipy.stats"]
    assert not loaded["fairlead.scoring"]


def test_a_conversion_model_is_still_recognised():
    from fairlead.policy._value import is_conversion_model
    from fairlead.scoring import ConversionModel

    assert is_conversion_model(ConversionModel())
    assert not is_conversion_model(lambda leads, managers: None)
    assert not is_conversion_model([[0.5]])
