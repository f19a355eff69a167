"""Encoders and models are layer 2: they take numpy arrays and lists, never polars frames, and never import polars.

The tasks are the one place that turns tables into arrays, so model code must
run where polars is not installed (a bare GPU machine). Two checks: no module
under ``longtail.encoders`` or ``longtail.models`` imports polars or a package
built on it (statically, every import statement, function-level ones
included), and every model fits and predicts in a process where polars
cannot be imported at all.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "longtail"
LAYER_2 = ("encoders", "models")
# polars itself, the packages built on it (data, profile) and every higher layer
FORBIDDEN = ("polars", "longtail.data", "longtail.profile", "longtail.tasks", "longtail.bench", "longtail.cli", "longtail.serve")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import statement in a source file, relative imports resolved against longtail."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[: -node.level])
                found.append((node.lineno, f"{package}.{node.module}" if node.module else package))
            else:
                found.append((node.lineno, node.module))
    return found


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN)


def test_the_import_scan_sees_function_level_and_relative_imports(tmp_path, monkeypatch):
    fake_src = tmp_path / "longtail"
    (fake_src / "models").mkdir(parents=True)
    module = fake_src / "models" / "m.py"
    module.write_text("def f():\n    import polars as pl\n\nfrom ..data import columns\n")
    monkeypatch.setattr(sys.modules[__name__], "SRC", fake_src)
    assert sorted(name for _, name in _imports(module) if _forbidden(name)) == ["longtail.data", "polars"]


@pytest.mark.parametrize("package", LAYER_2)
def test_no_layer_2_module_imports_polars_or_a_higher_layer(package):
    offenders = [
        f"{path.relative_to(SRC.parent)}:{line} imports {name}"
        for path in sorted((SRC / package).rglob("*.py"))
        for line, name in _imports(path)
        if _forbidden(name)
    ]
    assert offenders == []


RUN_WITHOUT_POLARS = r"""
import sys

class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "polars":
            raise ModuleNotFoundError(f"No module named {name!r} (blocked)")

sys.meta_path.insert(0, Block())

import numpy as np
import torch

torch.set_num_threads(1)
rng = np.random.default_rng(0)
y = np.repeat([0, 1, 2], [40, 15, 5])
texts = [f"{('shirt', 'phone', 'kettle')[c]} new {i % 7}" for i, c in enumerate(y)]
X = rng.normal(size=(y.size, 8)).astype(np.float32) + y[:, None]

from longtail.encoders import TfidfEncoder, TransformerEncoder
tiny = {"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64}
assert TfidfEncoder().fit(texts).encode(texts).shape[0] == y.size
assert TransformerEncoder.from_config(tiny, device="cpu").encode(texts).shape == (y.size, 32)

from longtail.models.categorize import EmbeddingClassifier, FineTunedClassifier, TfidfLogReg
TfidfLogReg().fit(texts, y).predict(texts)
EmbeddingClassifier(epochs=2).fit(X, y).predict(X)
FineTunedClassifier(encoder_config=tiny, epochs=1, max_length=8, device="cpu").fit(texts, y).predict(texts)

from longtail.models.ctr import DeepFM, GBMClassifier
codes = rng.integers(1, 20, size=(300, 4))
clicks = (rng.random(300) < 0.2).astype(np.int64)
DeepFM(epochs=1, device="cpu").fit(codes, clicks).predict_proba(codes)
GBMClassifier(n_estimators=5, n_jobs=1).fit(codes, clicks).predict_proba(codes)

from longtail.models.recommend import BPRMF, ItemKNN, MostPopular, TwoTower
users, items = rng.integers(0, 30, 400), rng.integers(0, 25, 400)
for model in (MostPopular(), ItemKNN(), BPRMF(epochs=1, device="cpu"), TwoTower(epochs=1, batch_size=64, device="cpu")):
    model.fit(users, items, 30, 25).recommend(np.arange(30), 5)

from longtail.models.relevance import BiEncoderClassifier, CrossEncoder
BiEncoderClassifier(epochs=2).fit(X, X[::-1], y).predict(X, X[::-1])
CrossEncoder(encoder_config=tiny, epochs=1, max_length=8, device="cpu").fit(texts, texts[::-1], y).predict(texts, texts)

from longtail.models.ensemble import EasyEnsemble, SelfPacedEnsemble
EasyEnsemble(lambda seed: EmbeddingClassifier(epochs=1, seed=seed), n_estimators=2).fit(X, y).predict(X)
SelfPacedEnsemble(lambda seed: DeepFM(epochs=1, seed=seed, device="cpu"), n_estimators=2).fit(codes, clicks).predict(codes)

print("polars loaded:", "polars" in sys.modules)
"""


@pytest.mark.slow
@pytest.mark.lm
def test_every_model_fits_and_predicts_with_polars_unavailable():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC.parent), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([sys.executable, "-c", RUN_WITHOUT_POLARS], capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "polars loaded: False"
