import json

from typer.testing import CliRunner

from longtail import strategies
from longtail.cli.main import app

runner = CliRunner()


def test_default_lists_each_strategy_on_one_line_whatever_the_width():
    for width in ("40", "250"):
        result = runner.invoke(app, ["strategies"], env={"COLUMNS": width})
        assert result.exit_code == 0, result.output
        header, *lines = result.output.splitlines()
        assert header.split() == ["name", "applies", "to", "description", "slots"]
        assert len(lines) == len(strategies.available())
        for line, strategy in zip(lines, strategies.available()):
            assert line.split("  ")[0] == strategy.name
            for text in (strategy.description, ", ".join(strategy.kinds), strategy.slots_text()):
                assert text in line
    assert "loss=class-balanced(beta=0.999, base='focal', gamma=2.0)" in result.output


def test_table_format_lists_every_strategy_with_its_slots():
    result = runner.invoke(app, ["strategies", "--format", "table"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for strategy in strategies.available():
        row = next(line for line in lines if line.strip("│ ").startswith(strategy.name + " "))
        assert strategy.description in row
        assert ", ".join(strategy.kinds) in row


def test_a_registered_strategy_is_listed():
    gentle = strategies.Strategy("my-gentle-focal", "focal with gamma 0.5", loss={"name": "focal", "params": {"gamma": 0.5}})
    mine = strategies.register(gentle)
    try:
        result = runner.invoke(app, ["strategies", "--kind", "binary"])
        line = next(line for line in result.output.splitlines() if line.startswith("my-gentle-focal "))
        assert mine.description in line and "loss=focal(gamma=0.5" in line
    finally:
        strategies.unregister("my-gentle-focal")


def test_json_round_trips_to_the_registry():
    result = runner.invoke(app, ["strategies", "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [row["name"] for row in rows] == strategies.names()
    for row in rows:
        kinds = row.pop("applies_to")
        strategy = strategies.Strategy.from_dict(row)
        assert strategy == strategies.get(row["name"]) and list(strategy.kinds) == kinds


def test_kind_filter():
    result = runner.invoke(app, ["strategies", "-f", "json", "--kind", "retrieval"])
    names = [row["name"] for row in json.loads(result.output)]
    assert names == [s.name for s in strategies.available() if s.applies_to("retrieval")]
    assert "logq" in names and "focal" not in names


def test_bad_option_values_exit_with_code_2():
    for args in (["strategies", "--format", "xml"], ["strategies", "--kind", "ranking"]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2
        assert "Invalid value" in result.output
