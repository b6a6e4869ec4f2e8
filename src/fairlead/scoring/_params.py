"""scikit-learn style parameters: ``get_params`` / ``set_params`` and checks of their values.

An estimator stores each keyword-only ``__init__`` argument as an attribute of the
same name and does no work in ``__init__`` (as scikit-learn asks); :class:`ParamsMixin`
then reads the parameter names off the signature, so ``sklearn.base.clone``, grid
searches and pipelines work without fairlead depending on scikit-learn. Values are
checked at ``fit`` time, by the small ``check_*`` helpers below.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, Self

import numpy as np

from fairlead.records import InputError


class ParamsMixin:
    """``get_params`` and ``set_params`` derived from the keyword-only ``__init__`` signature.

    Examples
    --------
    >>> class Model(ParamsMixin):
    ...     def __init__(self, *, alpha: float = 1.0, name: str = "m") -> None:
    ...         self.alpha = alpha
    ...         self.name = name
    >>> Model(alpha=0.3).get_params()
    {'alpha': 0.3, 'name': 'm'}
    >>> Model().set_params(alpha=2.0).alpha
    2.0
    """

    @classmethod
    def _get_param_names(cls) -> list[str]:
        """The keyword-only parameters of ``__init__``, sorted (as scikit-learn lists them)."""
        init = cls.__init__
        if init is object.__init__:
            return []
        names = []
        for param in inspect.signature(init).parameters.values():
            if param.name == "self" or param.kind is param.VAR_KEYWORD:
                continue
            if param.kind is not param.KEYWORD_ONLY:
                raise TypeError(
                    f"{cls.__name__}.__init__ must take its parameters keyword-only, "
                    f"got {param.name!r} ({param.kind.description})"
                )
            names.append(param.name)
        return sorted(names)

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """Parameters of this estimator, by name.

        Parameters
        ----------
        deep : bool, default True
            Also list the parameters of parameters that are estimators themselves,
            as ``"<name>__<parameter>"``.

        Returns
        -------
        dict
        """
        params: dict[str, Any] = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update((f"{name}__{k}", v) for k, v in value.get_params().items())
            params[name] = value
        return params

    def set_params(self, **params: Any) -> Self:
        """Set parameters by name; ``"<name>__<parameter>"`` sets one of a nested estimator.

        Values are checked when the estimator is fitted.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For a name that is no parameter of this estimator.
        """
        if not params:
            return self
        names = self._get_param_names()
        nested: dict[str, dict[str, Any]] = {}
        for key, value in params.items():
            name, sep, sub = key.partition("__")
            if name not in names:
                raise InputError(
                    f"invalid parameter {name!r} for {type(self).__name__}; "
                    f"its parameters are {names}"
                )
            if sep:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, sub_params in nested.items():
            inner = getattr(self, name)
            if not hasattr(inner, "set_params"):
                raise InputError(
                    f"cannot set {sorted(sub_params)} on parameter {name!r} of "
                    f"{type(self).__name__}: it is {inner!r}, which has no set_params"
                )
            inner.set_params(**sub_params)
        return self


# ----------------------------------------------------------------------------- checks


def is_finite_real(value: object) -> bool:
    """A finite int or float (numpy's too), and not a bool.

    Examples
    --------
    >>> [is_finite_real(v) for v in (1, 0.5, float("inf"), True, "1", None)]
    [True, True, False, False, False, False]
    """
    return (
        isinstance(value, int | float | np.integer | np.floating)
        and not isinstance(value, bool | np.bool_)
        and math.isfinite(value)
    )


def check_number(name: str, value: object, *, low: float, inclusive: bool = True) -> None:
    """Raise unless ``value`` is a finite real number ``>= low`` (``> low`` if not inclusive).

    Examples
    --------
    >>> check_number("l2", 0.5, low=0.0)
    >>> check_number("l2", True, low=0.0)
    Traceback (most recent call last):
    ...
    fairlead.InputError: l2 must be a finite number >= 0, got True
    """
    ok = is_finite_real(value) and (
        float(value) >= low if inclusive else float(value) > low  # type: ignore[arg-type]
    )
    if not ok:
        sign = ">=" if inclusive else ">"
        raise InputError(f"{name} must be a finite number {sign} {low:g}, got {value!r}")


def check_int(name: str, value: object, *, low: int) -> None:
    """Raise unless ``value`` is an int (not a bool) ``>= low``."""
    if (
        isinstance(value, bool | np.bool_)
        or not isinstance(value, int | np.integer)
        or int(value) < low
    ):
        raise InputError(f"{name} must be an int >= {low}, got {value!r}")


def check_bool(name: str, value: object) -> None:
    """Raise unless ``value`` is True or False."""
    if not isinstance(value, bool | np.bool_):
        raise InputError(f"{name} must be True or False, got {value!r}")


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    if not isinstance(value, str) or value not in choices:
        listed = " or ".join(repr(c) for c in choices)
        raise InputError(f"{name} must be {listed}, got {value!r}")
