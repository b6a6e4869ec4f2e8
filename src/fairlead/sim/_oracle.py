"""The oracle's values: each lead's true chance with each manager, read off the world."""

from __future__ import annotations

import numpy as np

from fairlead.core import FloatArray
from fairlead.sim._world import World

#: Response-time draws used to average the delay multiplier for the oracle.
_ORACLE_DRAWS = 256


def oracle_values(world: World) -> FloatArray:
    """The true chance of each lead with each manager at a comfortable load.

    Uses the hidden lift and the expected delay multiplier of each manager's response
    time (contact on shift); waiting and overload are left out because they depend on the
    run. Ineligible pairs get 0.
    """
    config = world.config
    z = np.random.default_rng(0).standard_normal(_ORACLE_DRAWS)
    hours = world.team.response_median[:, None] * np.exp(config.response_sigma * z) / 60.0
    speed = config.delay.multiplier(hours).mean(axis=1)  # (m,)
    stream = world.stream
    lift = world.team.lift[:, stream.cell].T  # (n, m)
    value = np.minimum(stream.base[:, None] * lift * speed[None, :], config.max_probability)
    return np.where(world.eligible(np.arange(stream.size)), value, 0.0)
