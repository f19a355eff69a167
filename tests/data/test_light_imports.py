"""Layer 0 stays light: importing longtail, its data and profile packages loads no deep-learning stack."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("torch", "transformers", "sentence_transformers", "ray")


def _loaded_after(statement: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    """Which of ``watched`` a fresh interpreter holds after running ``statement``.

    Fresh, because this test process may already hold torch from other tests.
    """
    code = f"import json, sys\n{statement}\nprint(json.dumps(sorted(m for m in {watched!r} if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_import_longtail_loads_no_torch() -> None:
    assert _loaded_after("import longtail") == []


def test_layer_zero_data_and_profile_load_no_torch() -> None:
    statement = (
        "import longtail.data, longtail.data.splits, longtail.data.registry, longtail.data.loaders, "
        "longtail.data.synthetic, longtail.profile, longtail.profile.report\n"
        "from longtail.data import load_dataset\n"
        "from longtail.profile import profile_dataset\n"
        "profile_dataset(load_dataset('synthetic', seed=0, n_users=50, n_items=100, n_events=500, n_queries=5))"
    )
    assert _loaded_after(statement) == []


def test_the_check_sees_an_import() -> None:
    # decimal stands in for torch, so an empty list above means "not imported", not "not looked for".
    assert _loaded_after("import decimal", ("decimal",)) == ["decimal"]
