"""A simulated ledger shared by the report tests: didit approves 80 % of its users, tencent 40 % (no
retries), 80 users on a 50/50 split, seed 1; a quarter ask for an ID card, which Tencent cannot take."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("sqlalchemy", reason="the report extra is not installed (pip install -e '.[dev]')")

from ekyc.cli.simulate import Mix, Outcomes, Simulation, run

TRUE = {"didit": 0.8, "tencent": 0.4}
#: Tencent's H5 flow takes no foreign ID card: those users fall out of the split to the default provider (didit)
MIXED_DOCUMENTS = {"PASSPORT": 3, "ID_CARD": 1}


def simulation(seed: int, rates: dict[str, float], users: int = 80,
               documents: dict[str, float] | None = None) -> Simulation:
    mixes = {p: Mix({"approved": 100 * r, "face_mismatch": 100 * (1 - r) / 2, "poor_capture": 100 * (1 - r) / 2})
             for p, r in rates.items()}
    return Simulation(users=users, split=dict.fromkeys(rates, 1.0), mixes=mixes, retry=0.0, seed=seed,
                      countries={"GBR": 3, "DEU": 1}, document_types=documents or {"PASSPORT": 1})


@pytest.fixture(scope="session")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Outcomes]:
    path = tmp_path_factory.mktemp("report") / "sim.db"
    return path, run(simulation(1, TRUE, documents=MIXED_DOCUMENTS), path)
