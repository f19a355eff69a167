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
    per_day = when.dt.strftime("%Y-%m-%d").value_counts()  # days have no reference: the observed ones
    _assert_dimension(out, "day", per_day)

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


# ------------------------------------------- a shop log nobody here has seen
# German column names with spaces and symbols, text ids (K0001, A-0001),
# a users table with customers who never came back, timestamps in mixed zones
# (CSV) or epoch milliseconds (Parquet), and a mix that drifts over time. The
# expected statistics are computed below from the generated arrays alone, with
# numpy and scipy, not with anything in longtail.
UNSEEN_SPAN_S = 45 * 86_400
UNSEEN_START_S = 1_704_067_200  # 2024-01-01T00:00:00Z
UNSEEN_CATEGORIES = [
    "Haushalt > Küche > Töpfe", "Haushalt > Küche > Messer", "Haushalt > Bad", "Garten > Werkzeug",
    "Garten > Teiche", "Technik > Audio > Kopfhörer", "Technik > Kabel",
]
UNSEEN_EVENTS = {  # the funnel as each file spells it, lowest step first
    "csv": ["Impression", "Click", "Add-To-Basket", "Order"],  # order inferred from the words
    "parquet": ["gesehen", "getippt", "bezahlt"],  # unknown words: order given with --event-order
}


def _unseen_shop(folder, kind: str) -> dict:
    rng = np.random.default_rng(20240101 if kind == "csv" else 7)
    n, n_items, n_users = 1_500, 40, 60
    users = np.array([f"K{u:04d}" for u in range(1, n_users + 1)])
    home = rng.choice(["DE", "AT", "CH", "FR"], n_users, p=[0.7, 0.15, 0.1, 0.05])
    home[-3:] = "LU"  # only customers who never bought anything live here: a region with no interactions
    active = users[: n_users - 10]  # the last ten customers never interact
    skus = np.array([f"A-{i:04d}" for i in range(n_items)])
    item_category = np.array([UNSEEN_CATEGORIES[i % 7] for i in range(n_items)], dtype=object)
    item_category[6] = None  # an item without a category that is bought anyway
    shown = [i for i in range(30) if item_category[i] != "Garten > Teiche"]  # 30..39 and the ponds: never seen

    t = np.sort(rng.integers(0, UNSEEN_SPAN_S, n)) + UNSEEN_START_S
    late = (t - UNSEEN_START_S) > UNSEEN_SPAN_S / 2
    head = 1.0 / np.arange(1, len(shown) + 1) ** 1.2
    tail = head[::-1].copy()  # popularity turns around half way: the category mix drifts
    picked = np.where(
        late, rng.choice(shown, n, p=tail / tail.sum()), rng.choice(shown, n, p=head / head.sum())
    )
    sku = skus[picked]
    sku[[11, 500, 1_200]] = "A-9999"  # not in the catalogue: kept, counted, reported
    who = rng.choice(active, n)
    who[42] = "K9999"  # a customer missing from the users table
    steps = UNSEEN_EVENTS[kind]
    early_p = [0.80, 0.12, 0.05, 0.03][: len(steps)]
    late_p = [0.70, 0.15, 0.09, 0.06][: len(steps)]
    early_p, late_p = np.array(early_p) / sum(early_p), np.array(late_p) / sum(late_p)
    event = np.where(late, rng.choice(steps, n, p=late_p), rng.choice(steps, n, p=early_p))
    region = home[np.searchsorted(users, who).clip(0, n_users - 1)]
    region[who == "K9999"] = "DE"

    log = {"Kunden Nr": who, "Artikel#": sku, "Aktion": event, "Land": region, "Bemerkung": ["-"] * n}
    catalogue = {
        "Artikel#": skus,
        "Bezeichnung": [f"Produkt {i}" for i in range(n_items)],
        "Warengruppe": item_category,
        "Preis €": np.round(rng.uniform(1, 99, n_items), 2),
    }
    customers = {"Kunden Nr": users, "Heimatland": home}
    names = {"interactions": folder / f"bewegungen.{kind}", "items": folder / f"artikel.{kind}",
             "users": folder / f"kunden.{kind}"}
    if kind == "csv":
        # The same instant written three ways: with an offset, with Z, and naive (read as UTC).
        stamp = pd.to_datetime(t, unit="s", utc=True)
        offset = rng.integers(-8, 10, n)
        local = stamp + pd.to_timedelta(offset, unit="h")
        styles = rng.integers(0, 3, n)
        log["Zeitpunkt"] = [
            loc.strftime("%Y-%m-%dT%H:%M:%S") + f"{o:+03d}:00" if s == 0
            else utc.strftime("%Y-%m-%dT%H:%M:%SZ") if s == 1
            else utc.strftime("%Y-%m-%d %H:%M:%S")
            for loc, utc, o, s in zip(local, stamp, offset, styles)
        ]
        for table, data in (("interactions", log), ("items", catalogue), ("users", customers)):
            pd.DataFrame(data).to_csv(names[table], sep=";", index=False)
    else:
        log["Zeitpunkt"] = t * 1_000 + rng.integers(0, 1_000, n)  # epoch milliseconds
        for table, data in (("interactions", log), ("items", catalogue), ("users", customers)):
            pd.DataFrame(data).to_parquet(names[table], index=False)
    millis = t * 1_000 if kind == "csv" else log["Zeitpunkt"]
    return {"files": names, "user": who, "sku": sku, "event": event, "region": region, "millis": np.asarray(millis),
            "users": users, "home": home, "skus": skus, "item_category": item_category, "steps": steps}


def _unseen_args(files: dict, kind: str) -> list[str]:
    args = [
        "profile", "--format", "json",
        "--interactions", str(files["interactions"]), "--items", str(files["items"]), "--users", str(files["users"]),
        "--columns", "user_id=Kunden Nr,item_id=Artikel#,timestamp=Zeitpunkt,event=Aktion,region=Land",
        "--item-columns", "item_id=Artikel#,title=Bezeichnung,category=Warengruppe",
        "--user-columns", "user_id=Kunden Nr,region=Heimatland",
    ]  # fmt: skip
    if kind == "parquet":
        args += ["--time-unit", "ms", "--event-order", ",".join(UNSEEN_EVENTS["parquet"])]
    return args


def _tally(values, groups=None) -> dict[str, int]:
    """How often each value occurs, over ``groups`` (zeros included) or over the values seen."""
    found, counts = np.unique(np.asarray(values, dtype=object).astype(str), return_counts=True)
    seen = dict(zip(found.tolist(), counts.tolist()))
    keys = sorted(seen) if groups is None else sorted({str(g) for g in groups} | set(seen))
    return {k: int(seen.get(k, 0)) for k in keys}


def _jsd(first: dict[str, int], last: dict[str, int]) -> float:
    keys = sorted(set(first) | set(last))
    return float(jensenshannon([first.get(k, 0) for k in keys], [last.get(k, 0) for k in keys]) ** 2)


@pytest.mark.parametrize("kind", ["csv", "parquet"])
def test_unseen_shop_log_matches_an_independent_computation(tmp_path, kind):
    shop = _unseen_shop(tmp_path, kind)
    out = json.loads(_invoke(_unseen_args(shop["files"], kind)).stdout)
    sku, millis, n = shop["sku"], shop["millis"], len(shop["sku"])
    known = np.isin(sku, shop["skus"])
    category_of = dict(zip(shop["skus"], shop["item_category"]))
    category = np.array([category_of.get(s) for s in sku], dtype=object)
    has_category = np.array([c is not None for c in category])
    top = np.array([c.split(" > ")[0] if c is not None else None for c in category], dtype=object)
    catalogue_categories = [c for c in shop["item_category"] if c is not None]
    hours = (millis // 3_600_000) % 24
    days = np.datetime_as_string((millis // 86_400_000).astype("datetime64[D]"))

    assert out["n_interactions"] == n
    assert out["n_items"] == len(shop["skus"])
    assert out["n_users"] == len(set(shop["users"]) | set(shop["user"]))
    assert out["unknown_item_rows"] == int((~known).sum()) == 3

    expected = {
        "event": _tally(shop["event"], shop["steps"]),
        "category": _tally(category[has_category], catalogue_categories),
        "category_top": _tally(top[has_category], [c.split(" > ")[0] for c in catalogue_categories]),
        "item": _tally(sku, shop["skus"]),  # every catalogue item, plus the unknown one that was interacted with
        "user": _tally(shop["user"], shop["users"]),  # every customer of the users table, plus K9999
        "region": _tally(shop["region"], shop["home"]),  # LU exists in the users table only
        "hour": _tally(hours, range(24)),
        "day": _tally(days),
    }
    assert list(out["dimensions"]) == list(expected)
    for name, counts in expected.items():
        dim = out["dimensions"][name]
        assert dim["counts_kind"] == "groups"
        assert dim["counts"] == counts, name
        assert dim["n_groups"] == len(counts), name
        for key, value in _reference(np.array(list(counts.values()))).items():
            assert dim[key] == pytest.approx(value, rel=1e-9, abs=1e-12), f"{name}.{key}"
    assert list(out["dimensions"]["event"]["counts"]) == shop["steps"]  # lowest first, inferred or given
    assert out["dimensions"]["item"]["zero_groups"] == len(set(shop["skus"]) - set(sku))
    assert out["dimensions"]["category"]["rows_without_group"] == int((~has_category).sum())
    assert out["dimensions"]["region"]["counts"]["LU"] == 0 and out["dimensions"]["user"]["zero_groups"] >= 10

    start, end = millis.min(), millis.max()
    width = (end - start) / 5
    first, last = millis <= start + width, millis >= end - width
    assert 0 < first.sum() and 0 < last.sum() and not (first & last).any()
    drift = out["drift"]
    assert drift["event"]["js"] == pytest.approx(_jsd(_tally(shop["event"][first]), _tally(shop["event"][last])),
                                                 abs=1e-12)
    assert (drift["event"]["n_first"], drift["event"]["n_last"]) == (first.sum(), last.sum())
    for name, labels in (("category", category), ("category_top", top)):
        a, b = first & has_category, last & has_category
        assert drift[name]["js"] == pytest.approx(_jsd(_tally(labels[a]), _tally(labels[b])), abs=1e-12), name
        assert (drift[name]["n_first"], drift[name]["n_last"]) == (a.sum(), b.sum())
    assert drift["category"]["js"] > 0.01  # the popularity flip shows, so the comparison is not of zeros


# ------------------------------------------------------------------ bad input
LOG_MAPPING = "user_id=uid,item_id=sku,timestamp=ts,event=action"
GOOD_LOG = "uid,sku,ts,action\n1,A,2024-01-01T10:00:00Z,view\n2,B,2024-01-01T11:00:00Z,purchase\n"
GOOD_ITEMS = "sku,name\nA,Mug\nB,Cup\n"


def _bad_input_case(folder, case: str) -> tuple[list[str], list[str]]:
    """Files for one bad input, the profile arguments, and what the one error line must say."""
    files = {"log.csv": GOOD_LOG, "items.csv": GOOD_ITEMS}
    args = ["--columns", LOG_MAPPING]
    if case == "missing required column":
        files["log.csv"] = "uid,sku,action\n1,A,view\n"
        args = ["--columns", "user_id=uid,item_id=sku,event=action"]
        expect = ["log.csv", "column 'timestamp'", "first row: uid=1, sku=A, action=view", "--columns timestamp="]
    elif case == "mapping to a column that does not exist":
        args = ["--columns", "user_id=uid,item_id=product,timestamp=ts,event=action"]
        expect = ["log.csv", "column 'product'", "uid, sku, ts, action", "first row: uid=1", "--columns item_id="]
    elif case == "catalogue column that does not exist":
        args += ["--item-columns", "item_id=sku,title=label"]
        expect = ["items.csv", "column 'label'", "first row: sku=A, name=Mug", "--item-columns title="]
    elif case == "null in a user id":
        files["log.csv"] = GOOD_LOG + ",C,2024-01-02T10:00:00Z,view\n"
        expect = ["log.csv", "column 'uid'", "row 2", "that row: uid=(empty), sku=C", "fill or drop"]
    elif case == "null in a catalogue id":
        files["items.csv"] = "sku,name\nA,Mug\n,Cup\n"
        expect = ["items.csv", "column 'sku'", "row 1", "that row: sku=(empty), name=Cup", "fill or drop"]
    elif case == "unparseable timestamp":
        files["log.csv"] = GOOD_LOG + "3,A,last tuesday,view\n"
        expect = ["log.csv", "column 'ts'", "row 2", "'last tuesday'", "--time-format"]
    elif case == "milliseconds read as seconds":
        files["log.csv"] = "uid,sku,ts,action\n1,A,1700000000,view\n1,B,1700000000123,view\n"
        expect = ["log.csv", "column 'ts'", "row 1", "--time-unit ms"]
    elif case == "empty file":
        files["log.csv"] = ""
        expect = ["log.csv", "empty", "point at a file"]
    elif case == "header without rows":
        files["items.csv"] = "sku,name\n"
        expect = ["items.csv", "no data rows", "point at a file with data"]
    elif case == "duplicate item ids":
        files["items.csv"] = GOOD_ITEMS + "A,Mug again\n"
        expect = ["items.csv", "column 'sku'", "row 2", "'A'", "keep one row per item"]
    elif case == "unknown event words":
        files["log.csv"] = GOOD_LOG + "3,A,2024-01-02T10:00:00Z,wiggle\n"
        expect = ["log.csv", "column 'action'", "row 2", "'wiggle'", "--event-order"]
    elif case == "event outside the given order":
        args += ["--event-order", "view,cart"]
        expect = ["log.csv", "column 'action'", "row 1", "'purchase'", "--event-order"]
    elif case == "users file without user ids":
        files["users.csv"] = "customer,country\n1,DE\n"
        args += ["--users", str(folder / "users.csv")]
        expect = ["users.csv", "column 'user_id'", "first row: customer=1, country=DE", "--user-columns user_id="]
    elif case == "corrupt parquet":
        files["log.parquet"] = "this is not parquet"
        expect = ["log.parquet", "cannot read the file", "re-export"]
    elif case == "line break in a header":
        files["log.csv"] = '"u\nid",sku,ts,action\n1,A,2024-01-01,view\n'
        expect = ["log.csv", "column 'uid'", "u\\nid"]
    else:  # pragma: no cover - a new case must say what it expects
        raise AssertionError(case)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    log = "log.parquet" if "log.parquet" in files else "log.csv"
    own = ["--interactions", str(folder / log), "--items", str(folder / "items.csv")]
    if "--item-columns" not in args:
        args += ["--item-columns", "item_id=sku,title=name"]
    return ["profile", *own, *args], expect


BAD_INPUTS = [
    "missing required column", "mapping to a column that does not exist", "catalogue column that does not exist",
    "null in a user id", "null in a catalogue id", "unparseable timestamp", "milliseconds read as seconds",
    "empty file", "header without rows", "duplicate item ids", "unknown event words",
    "event outside the given order", "users file without user ids", "corrupt parquet", "line break in a header",
]  # fmt: skip


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_input_is_one_clear_line_and_exit_code_2(tmp_path, case):
    args, expect = _bad_input_case(tmp_path, case)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit), result.exception  # a clean exit, nothing escaped
    assert "Traceback" not in result.output and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for part in expect:
        assert part in lines[0], f"{part!r} not in {lines[0]!r}"


def test_unknown_dataset_name_is_one_clear_line():
    result = CliRunner().invoke(app, ["profile", "--dataset", "amazon-reviews"])
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "unknown dataset 'amazon-reviews'" in lines[0]
    assert "known datasets: synthetic" in lines[0] and "longtail datasets" in lines[0]


def test_items_missing_from_the_catalogue_are_kept_counted_and_reported(tmp_path):
    (tmp_path / "log.csv").write_text(GOOD_LOG + "3,Z,2024-01-02T10:00:00Z,view\n3,Z,2024-01-02T11:00:00Z,view\n")
    (tmp_path / "items.csv").write_text(GOOD_ITEMS)
    args = ["profile", "--interactions", str(tmp_path / "log.csv"), "--items", str(tmp_path / "items.csv"),
            "--columns", LOG_MAPPING, "--item-columns", "item_id=sku,title=name"]  # fmt: skip
    out = json.loads(_invoke([*args, "--format", "json"]).stdout)
    assert out["n_interactions"] == 4 and out["unknown_item_rows"] == 2
    assert out["dimensions"]["item"]["counts"] == {"Z": 2, "A": 1, "B": 1}
    table = " ".join(_invoke(args).stdout.split())
    assert "2 interactions on items missing from the catalogue" in table
