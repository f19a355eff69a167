"""Input kinds, output kinds, and interchangeability with imbalanced-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import polars as pl
import pytest
from imblearn import over_sampling as imb_over
from imblearn import under_sampling as imb_under
from imblearn.pipeline import make_pipeline
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

from longtail.errors import InputError
from longtail.sampling import ADASYN, SMOTE, BorderlineSMOTE, RandomOverSampler, RandomUnderSampler, TomekLinks


def _data():
    rng = np.random.default_rng(0)
    y = np.repeat([0, 1], [60, 15])
    X = rng.standard_normal((75, 3)) + y[:, None]
    return X, y


def balance(sampler, X, y):
    """Any sampler with the imbalanced-learn contract: returns the class counts after resampling."""
    _, y_res = sampler.fit_resample(X, y)
    return np.unique(np.asarray(y_res), return_counts=True)[1].tolist()


PAIRS = {
    "RandomOverSampler": (RandomOverSampler, imb_over.RandomOverSampler, {"random_state": 0}),
    "RandomUnderSampler": (RandomUnderSampler, imb_under.RandomUnderSampler, {"random_state": 0}),
    "SMOTE": (SMOTE, imb_over.SMOTE, {"random_state": 0, "k_neighbors": 3}),
    "BorderlineSMOTE": (BorderlineSMOTE, imb_over.BorderlineSMOTE, {"random_state": 0, "k_neighbors": 3}),
    "ADASYN": (ADASYN, imb_over.ADASYN, {"random_state": 0, "n_neighbors": 3}),
    "TomekLinks": (TomekLinks, imb_under.TomekLinks, {}),
}


def _both(name):
    ours, theirs, params = PAIRS[name]
    return ours(**params), theirs(**params)


@pytest.mark.parametrize("name", PAIRS)
@pytest.mark.parametrize("kind", ["numpy", "pandas"])
def test_a_function_taking_any_sampler_gives_the_same_counts_for_ours_and_imblearns(name, kind):
    X, y = _data()
    if kind == "pandas":
        X, y = pd.DataFrame(X, columns=["a", "b", "c"]), pd.Series(y, name="label")
    ours, theirs = _both(name)
    assert balance(ours, X, y) == balance(theirs, X, y)
    assert hasattr(ours, "sample_indices_") == hasattr(theirs, "sample_indices_")


@pytest.mark.parametrize("name", PAIRS)
def test_ours_and_imblearns_work_alike_in_a_pipeline_clone_and_set_params(name):
    X, y = _data()
    for sampler in _both(name):
        model = make_pipeline(sampler, LogisticRegression()).fit(X, y)
        assert model.predict(X).shape == (75,)
        copy = clone(sampler).set_params(sampling_strategy="all" if name == "TomekLinks" else "auto")
        assert copy.get_params() == {**sampler.get_params(), "sampling_strategy": copy.sampling_strategy}
        assert balance(copy, X, y) == balance(clone(copy), X, y)


def test_pandas_in_pandas_out_with_names_and_dtypes():
    X, y = _data()
    frame = pd.DataFrame(X.astype(np.float32), columns=["a", "b", "c"])
    labels = pd.Series(np.where(y == 1, "buy", "view"), name="event")
    X_res, y_res = SMOTE(random_state=0).fit_resample(frame, labels)
    assert isinstance(X_res, pd.DataFrame) and list(X_res.columns) == ["a", "b", "c"]
    assert (X_res.dtypes == np.float32).all()
    assert isinstance(y_res, pd.Series) and y_res.name == "event"
    assert y_res.value_counts().to_dict() == {"view": 60, "buy": 60}
    mixed = frame.assign(shop=["s%d" % (i % 3) for i in range(75)])
    X_mixed, _ = RandomUnderSampler(random_state=0).fit_resample(mixed, labels)
    assert X_mixed["shop"].dtype == mixed["shop"].dtype and len(X_mixed) == 30


def test_polars_in_polars_out_with_names_and_dtypes():
    X, y = _data()
    frame = pl.DataFrame({"a": X[:, 0], "b": X[:, 1].astype(np.float32), "n": np.arange(75)})
    labels = pl.Series("label", y)
    X_res, y_res = SMOTE(random_state=0).fit_resample(frame, labels)
    assert isinstance(X_res, pl.DataFrame) and X_res.columns == ["a", "b", "n"]
    assert X_res.schema["b"] == pl.Float32 and X_res.schema["n"] == pl.Float64
    assert isinstance(y_res, pl.Series) and y_res.name == "label" and y_res.dtype == pl.Int64
    text = frame.with_columns(pl.Series("city", ["x", "y", "z"] * 25))
    X_text, y_text = RandomOverSampler(random_state=0).fit_resample(text, labels)
    assert X_text.schema["city"] == pl.String and X_text.height == 120 and y_text.len() == 120


def test_lists_in_lists_out():
    X, y = _data()
    X_res, y_res = TomekLinks().fit_resample(X.tolist(), y.tolist())
    assert isinstance(X_res, list) and isinstance(y_res, list) and len(X_res) == len(y_res)


def test_non_numeric_columns_are_refused_by_distance_samplers():
    frame = pd.DataFrame({"a": np.arange(20.0), "shop": ["x"] * 20})
    with pytest.raises(ValueError, match="shop"):
        SMOTE(k_neighbors=2).fit_resample(frame, [0] * 15 + [1] * 5)


def test_bad_data_is_a_value_error_and_a_one_line_input_error():
    frame = pl.DataFrame({"price": [1.0, 2.0, float("nan"), 4.0], "views": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(InputError) as info:
        SMOTE(k_neighbors=1).fit_resample(frame, [0, 0, 1, 1])
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith("column 'price', row 2: NaN")
    with pytest.raises(InputError, match="missing label"):
        RandomOverSampler().fit_resample(np.zeros((3, 1)), [0, None, 1])


@pytest.mark.slow
def test_the_package_runs_with_polars_and_pandas_unavailable_and_without_torch():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('polars', 'pandas'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import numpy as np\n"
        "from longtail.sampling import SMOTE, TomekLinks, RandomOverSampler, kneighbors\n"
        "X = np.random.default_rng(0).standard_normal((40, 3)); y = np.r_[np.zeros(30), np.ones(10)]\n"
        "SMOTE(random_state=0).fit_resample(X, y); TomekLinks().fit_resample(X, y)\n"
        "RandomOverSampler(random_state=0).fit_resample(X, y)\n"
        "print(sorted(m for m in ('polars', 'pandas', 'torch') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_public_sampler_names_import_as_written():
    import longtail.sampling as sampling

    for name in ("RandomOverSampler", "RandomUnderSampler", "SMOTE", "BorderlineSMOTE", "ADASYN", "TomekLinks"):
        cls = getattr(sampling, name)
        assert name in sampling.__all__ and callable(cls().fit_resample)
        assert "sampling_strategy" in cls().get_params()
