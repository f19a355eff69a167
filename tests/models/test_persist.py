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
