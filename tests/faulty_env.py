"""A test environment that breaks its worker once: aggregation whose rollout, the first time it
runs with ``fault`` set, kills its own process (``"die"``) or hangs (``"hang"``).

``fault_file`` marks that the fault has happened, so the chunk's retry runs normally. The id
names this module (``"faulty_env:FaultyAggregation-v0"``), so worker processes import it to
rebuild the environment, as they would a user's own.
"""

import os
import time
from dataclasses import dataclass
from pathlib import Path

from turinglearn.environments import register
from turinglearn.environments.aggregation import AggregationConfig, AggregationSim

ID = "faulty_env:FaultyAggregation-v0"


@dataclass(frozen=True)
class FaultyConfig(AggregationConfig):
    fault: str = ""  # "", "die" or "hang"
    fault_file: str = ""


class FaultyAggregation(AggregationSim):
    config_class = FaultyConfig

    def rollout(self, params, rng, *, record=False):
        cfg = self.config
        if cfg.fault and os.getpid() != int(os.environ.get("FAULTY_ENV_PARENT", "-1")):
            marker = Path(cfg.fault_file)
            if not marker.exists():
                marker.write_text(cfg.fault)
                if cfg.fault == "die":
                    os._exit(9)
                time.sleep(600)
        return super().rollout(params, rng, record=record)


register(ID, sim="faulty_env:FaultyAggregation", config="faulty_env:FaultyConfig", description="test only")
