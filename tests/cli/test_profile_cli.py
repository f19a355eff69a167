"""``longtail profile`` end to end, checked against a direct numpy/pandas computation."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import jensenshannon
from typer.testing import CliRunner

from longtail.cli.main import app

EVENTS = ["view", "cart", "purchase"]
CATEGORIES = ["Home > Lamps", "Home > Rugs", "Toys > Dolls", "Toys > Cars", "Garden > Tools"]
N_ITEMS = 25  # items 20..24 are in the catalogue but never bought or viewed


@pytest.fixture(scope="module")
def shop_files(tmp_path_factory):
    """A shop log with its own column names, a catalogue with never-seen items, one unknown sku."""
    folder = tmp_path_factory.mktemp("shop")
    rng = np.random.default_rng(42)
    n = 400
    pop = 1.0 / np.arange(1, 21) ** 1.3
    log = pd.DataFrame(
        {
            "uid": rng.integers(100, 130, n),
            "sku": [f"SKU{i:03d}" for i in rng.choice(20, n, p=pop / pop.sum())],
            "ts": 1_700_000_000 + rng.integers(0, 20 * 86_400, n),
            "action": rng.choice(EVENTS, n, p=[0.85, 0.11, 0.04]),
            "country": rng.choice(["UK", "DE", "FR"], n, p=[0.8, 0.15, 0.05]),
        }
    )
    log.loc[7, "sku"] = "SKU999"  # missing from the catalogue
    catalogue = pd.DataFrame(
        {
            "sku": [f"SKU{i:03d}" for i in range(N_ITEMS)],
            "name": [f"product {i}" for i in range(N_ITEMS)],
            "cat": [CATEGORIES[i % len(CATEGORIES)] for i in range(N_ITEMS)],
        }
    )
    log.to_csv(folder / "log.csv", index=False)
    catalogue.to_csv(folder / "catalogue.csv", index=False)
    return folder, log, catalogue


def _args(folder) -> list[str]:
    return [
        "profile",
        "--interactions", str(folder / "log.csv"),
        "--items", str(folder / "catalogue.csv"),
        "--columns", "user_id=uid,item_id=sku,timestamp=ts,event=action,region=country",
        "--item-columns", "item_id=sku,title=name,category=cat",
        "--event-order", ",".join(EVENTS),
    ]  # fmt: skip


def _invoke(args: list[str]):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result


def _reference(counts: np.ndarray) -> dict[str, float]:
    """The definitions written out directly (quadratic Gini, entropy from p)."""
    x = np.asarray(counts, dtype=np.float64)
    n = x.size
    p = x[x > 0] / x.sum()
    h = -(p * np.log(p)).sum()
    return {
        "n_groups": n,
        "gini": np.abs(x[:, None] - x[None, :]).sum() / (2 * n * n * x.mean()),
        "imbalance_ratio": x.max() / x[x > 0].min(),
        "normalized_entropy": h / np.log(n) if n > 1 else 0.0,
        "effective_classes": np.exp(h),
        "top20_share": np.sort(x)[::-1][: math.ceil(0.2 * n - 1e-9)].sum() / x.sum(),
    }


def _assert_dimension(out: dict, name: str, counts: pd.Series) -> None:
    dim = out["dimensions"][name]
    assert {str(k): int(v) for k, v in counts.items() if v > 0} == {k: v for k, v in dim["counts"].items() if v > 0}
    assert dim["n_groups"] == len(counts), name
    for key, value in _reference(counts.to_numpy()).items():
        assert dim[key] == pytest.approx(value, rel=1e-9, abs=1e-12), f"{name}.{key}"


def test_json_statistics_match_a_direct_computation(shop_files):
    folder, log, catalogue = shop_files
    out = json.loads(_invoke([*_args(folder), "--format", "json"]).stdout)
    when = pd.to_datetime(log["ts"], unit="s", utc=True)

    assert out["n_interactions"] == len(log)
    assert out["n_items"] == N_ITEMS
    assert out["n_users"] == log["uid"].nunique()
    assert out["unknown_item_rows"] == 1

    _assert_dimension(out, "event", log["action"].value_counts().reindex(EVENTS, fill_value=0))
    every_item = pd.Index(catalogue["sku"]).union(log["sku"].unique())
    _assert_dimension(out, "item", log["sku"].value_counts().reindex(every_item, fill_value=0))
    assert out["dimensions"]["item"]["zero_groups"] == N_ITEMS - log["sku"][log["sku"].isin(catalogue["sku"])].nunique()
    _assert_dimension(out, "user", log["uid"].value_counts())
    _assert_dimension(out, "region", log["country"].value_counts())
    _assert_dimension(out, "hour", when.dt.hour.value_counts().reindex(range(24), fill_value=0))
    days = pd.date_range(when.dt.normalize().min(), when.dt.normalize().max(), freq="D")
    per_day = when.dt.normalize().value_counts().reindex(days, fill_value=0)
    _assert_dimension(out, "day", per_day.set_axis(days.strftime("%Y-%m-%d")))

    category = log["sku"].map(catalogue.set_index("sku")["cat"])
    _assert_dimension(out, "category", category.value_counts().reindex(CATEGORIES, fill_value=0))
    _assert_dimension(out, "category_top", category.str.split(" > ").str[0].value_counts())
    assert out["dimensions"]["category"]["rows_without_group"] == 1  # the unknown sku

    start, end = when.min(), when.max()
    first, last = category[when <= start + (end - start) / 5], category[when >= end - (end - start) / 5]
    both = pd.concat([first.value_counts(), last.value_counts()], axis=1).fillna(0).to_numpy()
    assert out["drift"]["category"]["js"] == pytest.approx(jensenshannon(both[:, 0], both[:, 1]) ** 2, abs=1e-12)
    assert out["drift"]["category"]["n_first"] == first.notna().sum()

    texts = [a["text"] for a in out["advice"]]
    share = out["dimensions"]["region"]["counts"]["UK"] / len(log)
    assert f"one region has {round(100 * share, 1):g} % of interactions: report per-region metrics; re-weight by region" in texts


def test_table_format_prints_statistics_and_readings(shop_files):
    folder, _, _ = shop_files
    text = " ".join(_invoke(_args(folder)).stdout.split())
    assert "imbalance profile of" in text
    assert "item popularity: top 20 % of items take" in text
    assert "region: largest UK has" in text
    assert "1 interactions on items missing from the catalogue" in text
    assert "advice" in text


@pytest.mark.slow  # draws a dozen PNGs with matplotlib
def test_out_writes_profile_json_and_plots(shop_files, tmp_path):
    folder, _, _ = shop_files
    result = _invoke([*_args(folder), "--format", "json", "--out", str(tmp_path / "report")])
    written = json.loads((tmp_path / "report" / "profile.json").read_text())
    assert written == json.loads(result.stdout)
    pngs = sorted(p.name for p in (tmp_path / "report").glob("*.png"))
    assert {"lorenz_item.png", "category_mix.png", "bars_item.png", "bars_category.png"} <= set(pngs)
    for name in pngs:
        assert (tmp_path / "report" / name).stat().st_size > 1000


def test_bad_format_is_a_user_error(shop_files):
    folder, _, _ = shop_files
    result = CliRunner().invoke(app, [*_args(folder), "--format", "xml"])
    assert result.exit_code == 2
    assert "error: --format: 'xml' is not one of table, json" in result.stderr


def test_out_must_be_a_folder(shop_files, tmp_path):
    folder, _, _ = shop_files
    (tmp_path / "taken").write_text("x")
    result = CliRunner().invoke(app, [*_args(folder), "--out", str(tmp_path / "taken")])
    assert result.exit_code == 2
    assert "is a file; give a folder" in result.stderr


def test_named_dataset_with_judgments():
    from longtail.data import registry

    if not registry.info("esci_sample").is_available():
        pytest.skip("esci_sample is not in the data folder")
    out = json.loads(_invoke(["profile", "--dataset", "esci_sample", "--format", "json"]).stdout)
    assert {"query", "label"} <= set(out["dimensions"])
    assert out["dimensions"]["label"]["unit"] == "judgments"
