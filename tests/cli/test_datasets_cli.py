"""`longtail datasets` and the shared dataset options, through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from longtail.cli import dataset_options as opt
from longtail.cli.main import LongtailGroup, app
from longtail.data import registry
from longtail.data.paths import ENV_VAR
from longtail.errors import LongtailError

runner = CliRunner()


def _one_error_line(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output
    return lines[0]


# ---------------------------------------------------------- longtail datasets
def test_table_lists_every_dataset() -> None:
    result = runner.invoke(app, ["datasets"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    for info in registry.list_datasets():
        assert info.name in result.stdout
    assert "generated" in result.stdout


def test_json_matches_the_registry(tmp_path: Path) -> None:
    result = runner.invoke(app, ["datasets", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["name"] for r in rows] == [i.name for i in registry.list_datasets()]
    for row, info in zip(rows, registry.list_datasets()):
        assert row["available"] == info.is_available()
        assert row["tasks"] == list(info.tasks)
        assert [f["sha256"] for f in row["files"]] == [f.sha256 for f in info.files]


def test_availability_follows_longtail_data(tmp_path: Path) -> None:
    result = runner.invoke(app, ["datasets", "--format", "json"], env={ENV_VAR: str(tmp_path)})
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["synthetic"]["available"] and rows["synthetic"]["location"] == "generated"
    assert not any(r["available"] for name, r in rows.items() if name != "synthetic")
    assert rows["instacart"]["location"] == str(tmp_path / "instacart")


def test_verify_reports_checksums() -> None:
    info = registry.info("esci_sample")
    if not info.is_available():
        pytest.skip(f"esci_sample: no local copy in {info.folder()}")
    result = runner.invoke(app, ["datasets", "--format", "json", "--verify"])
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert rows["esci_sample"]["checksums_ok"] is True
    assert "checksums_ok" not in rows["synthetic"]


def test_bad_format_is_one_error_line() -> None:
    line = _one_error_line(runner.invoke(app, ["datasets", "--format", "xml"]))
    assert "xml" in line and "table, json" in line


# ------------------------------------------------------ shared dataset options
def _options_app() -> typer.Typer:
    cli = typer.Typer(cls=LongtailGroup, add_completion=False, pretty_exceptions_enable=False)

    @cli.command()
    @opt.with_dataset_options
    def show(data: opt.DatasetOptions, prefix: str = "") -> None:
        ds = data.load()
        typer.echo(f"{prefix}{ds.name} {ds.interactions.height} {ds.items.height} {'<'.join(ds.event_order)}")

    @cli.command()
    def other() -> None:  # a second command keeps `show` a sub-command
        """Unused."""

    return cli


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    events = tmp_path / "events.csv"
    events.write_text("uid,sku,ts,action\n1,a,1700000000000,seen\n2,b,1700000360000,bought\n", encoding="utf-8")
    items = tmp_path / "items.csv"
    items.write_text("sku,name\na,Mug\nb,Cup\n", encoding="utf-8")
    return {"events": events, "items": items}


def test_own_files_with_mapping_order_and_unit(files: dict[str, Path]) -> None:
    args = [
        "show", "--interactions", str(files["events"]), "--items", str(files["items"]),
        "--columns", "user_id=uid, item_id=sku,timestamp=ts,event=action", "--item-columns", "item_id=sku,title=name",
        "--event-order", "seen,bought", "--time-unit", "ms", "--prefix", "loaded ",
    ]  # fmt: skip
    result = runner.invoke(_options_app(), args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "loaded events 2 2 seen<bought"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (["--columns", "user_iduid"], "--columns: 'user_iduid' is not NAME=COLUMN"),
        (["--columns", "user_id=uid,user_id=x"], "mapped twice"),
        (["--columns", "user_id=uid,item_id=product,timestamp=ts,event=action"], "column 'product'"),
        (["--columns", "user_id=uid,item_id=sku,timestamp=ts,event=action", "--time-unit", "ms"], "--event-order"),
        (["--columns", "user_id=uid,item_id=sku,timestamp=ts,event=action", "--event-order", "seen,,x"], "empty value"),
        (["--columns", "user_id=uid,item_id=sku,timestamp=ts,event=action", "--event-order", "seen,bought"],
         "--time-unit ms"),
        (["--time-unit", "minutes"], "--time-unit: 'minutes'"),
        (["--dataset", "esci_sample"], "not both"),
    ],
)
def test_bad_options_are_one_error_line(files: dict[str, Path], extra: list[str], expected: str) -> None:
    result = runner.invoke(_options_app(), ["show", "--interactions", str(files["events"]), *extra])
    assert expected in _one_error_line(result)


def test_named_dataset_options(tmp_path: Path) -> None:
    cli = _options_app()
    mapped = runner.invoke(cli, ["show", "--dataset", "taobao_userbehavior", "--columns", "a=b"])
    assert "--columns" in _one_error_line(mapped)
    assert "known datasets" in _one_error_line(runner.invoke(cli, ["show", "--dataset", "nope"]))
    absent = str(tmp_path / "absent")
    assert "not found" in _one_error_line(runner.invoke(cli, ["show", "-d", "esci_sample", "--dataset-path", absent]))
    assert "no esci_sample files" in _one_error_line(
        runner.invoke(cli, ["show", "-d", "esci_sample", "--dataset-path", str(tmp_path)])
    )
    assert "synthetic" in _one_error_line(runner.invoke(cli, ["show", "--dataset-path", str(tmp_path)]))
    if registry.info("esci_sample").is_available():
        result = runner.invoke(cli, ["show", "--dataset", "esci_sample"])
        assert result.stdout.strip().startswith("esci_sample 0 2866")


def test_options_object_and_decorator_contract() -> None:
    assert opt.DatasetOptions().time_unit == "s"
    with pytest.raises(LongtailError, match="--users needs"):
        opt.DatasetOptions(users=Path("u.csv")).load()
    with pytest.raises(TypeError, match="'data' parameter"):
        opt.with_dataset_options(lambda top=1: None)


def test_parsers() -> None:
    assert opt.parse_mapping(None) == {}
    assert opt.parse_mapping(" user_id = uid ,item_id=sku,") == {"user_id": "uid", "item_id": "sku"}
    assert opt.parse_list("view, click") == ["view", "click"]
    assert opt.parse_list(None) is None
    with pytest.raises(LongtailError, match="--item-columns"):
        opt.parse_mapping("=x", "--item-columns")
    with pytest.raises(LongtailError, match="more than once"):
        opt.parse_list("view,view")
