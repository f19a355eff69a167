import json

import numpy as np
import pytest

from longtail.errors import LongtailError
from longtail.models.persist import load_model, register_model, save_model


@register_model
class _Affine:
    def __init__(self, w: np.ndarray, b: float):
        self.w, self.b = w, b

    def _export(self):
        return {"b": self.b}, {"w": self.w}

    @classmethod
    def _restore(cls, config, tensors):
        return cls(tensors["w"], config["b"])


class _Unregistered(_Affine):
    pass


def test_round_trip(tmp_path):
    w = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
    save_model(_Affine(w, 0.5), tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, _Affine)
    np.testing.assert_array_equal(loaded.w, w)
    assert loaded.b == 0.5


def test_refuses_unregistered_class_name(tmp_path):
    save_model(_Affine(np.zeros(2, np.float32), 0.0), tmp_path / "m")
    cfg = tmp_path / "m" / "config.json"
    payload = json.loads(cfg.read_text())
    payload["class"] = "os.system"
    cfg.write_text(json.dumps(payload))
    with pytest.raises(LongtailError, match="not an allowed"):
        load_model(tmp_path / "m")


def test_refuses_saving_unregistered(tmp_path):
    with pytest.raises(LongtailError, match="not a registered model"):
        save_model(_Unregistered(np.zeros(2, np.float32), 0.0), tmp_path / "m")


def test_missing_folder_is_clear(tmp_path):
    with pytest.raises(LongtailError, match="not a model folder"):
        load_model(tmp_path)


def _fitted_models():
    """One fitted model of each kind that stores arrays of its own (weights, vocabularies, a booster, members)."""
    import torch

    from longtail.models.categorize import EmbeddingClassifier, TfidfLogReg
    from longtail.models.ctr import DeepFM, GBMClassifier
    from longtail.models.ensemble import EasyEnsemble
    from longtail.models.recommend import ItemKNN, TwoTower

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1, 2], [30, 12, 6])
    X = (rng.normal(size=(y.size, 6)) + y[:, None]).astype(np.float32)
    texts = [f"{('shirt', 'phone', 'kettle')[c]} item {i % 5}" for i, c in enumerate(y)]
    codes, clicks = rng.integers(1, 15, size=(200, 3)), (rng.random(200) < 0.3).astype(np.int64)
    users, items = rng.integers(0, 20, 300), rng.integers(0, 15, 300)
    return [
        (TfidfLogReg().fit(texts, y), lambda m: m.predict_proba(texts)),
        (EmbeddingClassifier(epochs=2).fit(X, y), lambda m: m.predict_proba(X)),
        (DeepFM(epochs=1, device="cpu").fit(codes, clicks), lambda m: m.predict_proba(codes)),
        (GBMClassifier(n_estimators=5, n_jobs=1).fit(codes, clicks), lambda m: m.predict_proba(codes)),
        (EasyEnsemble(lambda s: DeepFM(epochs=1, seed=s, device="cpu"), n_estimators=2).fit(codes, clicks),
         lambda m: m.predict_proba(codes)),
        (TwoTower(epochs=1, batch_size=64, device="cpu").fit(users, items, 20, 15), lambda m: m.scores(np.arange(20))),
        (ItemKNN().fit(users, items, 20, 15), lambda m: m.scores(np.arange(20))),
    ]


def test_models_save_as_safetensors_and_json_and_load_without_pickle(tmp_path, monkeypatch):
    import pickle

    import torch

    saved = []
    for i, (model, predict) in enumerate(_fitted_models()):
        folder = model.save(tmp_path / str(i))
        assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
        assert json.loads((folder / "config.json").read_text())["class"].startswith("longtail.models.")
        saved.append((folder, predict(model), predict))

    def refuse(*args, **kwargs):
        raise AssertionError("a model folder was read with pickle")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    monkeypatch.setattr(torch, "load", refuse)
    for folder, expected, predict in saved:
        np.testing.assert_array_equal(predict(load_model(folder)), expected)


def _damage(folder, name, data):
    (folder / name).write_bytes(data)


@pytest.mark.parametrize(
    "damage, file, what",
    [
        (lambda f: _damage(f, "model.safetensors", b"not safetensors at all"), "model.safetensors", "unreadable weights"),
        (lambda f: _damage(f, "model.safetensors", (f / "model.safetensors").read_bytes()[:-3]), "model.safetensors",
         "unreadable weights"),
        (lambda f: _damage(f, "model.safetensors", b""), "model.safetensors", "unreadable weights"),
        (lambda f: _damage(f, "config.json", b"\xff\xfe binary"), "config.json", "unreadable model config"),
        (lambda f: _damage(f, "config.json", b'{"class": "x", '), "config.json", "unreadable model config"),
        (lambda f: _damage(f, "config.json", b'{"class": 3, "config": {}}'), "config.json", "unreadable model config"),
    ],
)
def test_damaged_files_are_one_clear_error_naming_the_file(tmp_path, damage, file, what):
    folder = save_model(_Affine(np.arange(4, dtype=np.float32), 1.0), tmp_path / "m")
    damage(folder)
    with pytest.raises(LongtailError) as error:
        load_model(folder)
    message = str(error.value)
    assert message.startswith(str(folder / file)) and what in message and "re-save the model" in message
    assert "\n" not in message


def test_weights_that_do_not_fit_the_config_name_the_folder(tmp_path):
    from safetensors.numpy import save

    folder = save_model(_Affine(np.arange(4, dtype=np.float32), 1.0), tmp_path / "m")
    (folder / "model.safetensors").write_bytes(save({"v": np.zeros(2, np.float32)}))  # another model's tensors
    expected = r"config.json and model.safetensors do not make a _Affine \('w'\).*save the model again"
    with pytest.raises(LongtailError, match=expected):
        load_model(folder)
