"""Render a Profile in the terminal: a statistics table, one plain-words reading per dimension, drift and advice."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from longtail.profile.dimensions import days_without_interactions
from longtail.profile.profiler import DimensionProfile, Profile
from longtail.profile.wording import GROUP_NOUNS, percent, skew_words, top_phrase

TITLES = {
    "event": "event labels",
    "category": "category (leaf)",
    "category_top": "category (top level)",
    "item": "item popularity",
    "user": "user activity",
    "region": "region",
    "hour": "hour of day (UTC)",
    "day": "day (UTC)",
    "query": "query",
    "label": "relevance label",
}


def _largest_and_smallest(dim: DimensionProfile) -> tuple[int, int]:
    counts = dim.group_counts.counts
    return int(counts.argmax()), int(counts.argmin())


def _event_reading(dim: DimensionProfile) -> str:
    labels = dim.group_counts.groups.to_list()
    most, least = _largest_and_smallest(dim)
    top = len(labels) - 1
    text = f"{labels[top]} (the highest event) is {percent(dim.share(top))} of events"
    if most != top:
        text += f"; the most common, {labels[most]}, {percent(dim.share(most))}"
    if least not in (top, most):
        text += f"; the rarest, {labels[least]}, {percent(dim.share(least))}"
    return text


def _hour_reading(dim: DimensionProfile) -> str:
    hours = dim.group_counts.groups.to_list()
    most, least = _largest_and_smallest(dim)
    return (
        f"busiest hour {hours[most]:02d}:00 UTC has {percent(dim.share(most))} of {dim.unit}, "
        f"quietest {hours[least]:02d}:00 {percent(dim.share(least))}"
    )


def _day_reading(dim: DimensionProfile) -> str:
    counts = dim.group_counts.counts
    most, _ = _largest_and_smallest(dim)
    busiest = dim.group_counts.groups[most]
    text = f"busiest day {busiest.isoformat()} has {counts[most] / counts.mean():.1f}x the daily mean"
    gaps = days_without_interactions(dim.group_counts)
    if gaps:
        text += f"; {gaps} of {gaps + dim.n_groups} days in the range have none (not counted as groups)"
    return text


def _largest_group_reading(dim: DimensionProfile) -> str:
    most, least = _largest_and_smallest(dim)
    groups = dim.group_counts.groups
    return (
        f"largest {groups[most]!s} has {percent(dim.share(most))} of {dim.unit}, "
        f"smallest {groups[least]!s} {percent(dim.share(least))}"
    )


def _tail_reading(dim: DimensionProfile) -> str:
    text = f"{top_phrase(dim.name, dim.top20_share, dim.unit)} — {skew_words(dim.gini)}"
    zero = dim.group_counts.zero_groups
    if zero:
        text += f"; {percent(zero / dim.n_groups)} of {GROUP_NOUNS.get(dim.name, dim.name)} have none"
    return text


_READINGS = {
    "event": _event_reading,
    "hour": _hour_reading,
    "day": _day_reading,
    "region": _largest_group_reading,
    "label": _largest_group_reading,
}


def reading(dim: DimensionProfile) -> str:
    """One line in plain words, e.g. ``'item popularity: top 20 % of items take 83 % of interactions — a steep long tail'``."""
    describe = _READINGS.get(dim.name, _tail_reading)
    return f"{TITLES.get(dim.name, dim.name)}: {describe(dim)}"


def _statistics_table(profile: Profile) -> Table:
    table = Table(
        title=f"imbalance profile of {escape(profile.name)}",
        title_justify="left",
        caption="H/ln n: normalized entropy; exp H: effective number of groups; units in the readings below",
        caption_justify="left",
    )
    table.add_column("dimension", no_wrap=True)
    for header in ("groups", "gini", "max/min", "H/ln n", "exp H", "top 20%"):
        table.add_column(header, justify="right", no_wrap=True)
    for dim in profile.dimensions.values():
        table.add_row(
            dim.name,
            f"{dim.n_groups:,}",
            f"{dim.gini:.3f}",
            f"{dim.imbalance_ratio:,.1f}",
            f"{dim.normalized_entropy:.3f}",
            f"{dim.effective_classes:,.1f}",
            percent(dim.top20_share),
        )
    return table


def _drift_table(profile: Profile) -> Table | None:
    if profile.drift is None:
        return None
    drift = profile.drift
    span = f"{drift.first_window[0]:%Y-%m-%d %H:%M} .. {drift.first_window[1]:%Y-%m-%d %H:%M}"
    last = f"{drift.last_window[0]:%Y-%m-%d %H:%M} .. {drift.last_window[1]:%Y-%m-%d %H:%M}"
    table = Table(
        title="drift: first vs last fifth of the time range",
        title_justify="left",
        caption=f"first {span}; last {last} (UTC)",
        caption_justify="left",
    )
    table.add_column("mix", no_wrap=True)
    for header in ("JS (nats)", "rows first", "rows last"):
        table.add_column(header, justify="right", no_wrap=True)
    for name, mix in drift.mixes.items():
        table.add_row(name, f"{mix.js:.4f}", f"{int(mix.first_counts.sum()):,}", f"{int(mix.last_counts.sum()):,}")
    return table


def render(profile: Profile, console: Console | None = None) -> None:
    """Print the profile: counts, the statistics table, readings, drift and advice."""
    console = console or Console()
    facts = [
        f"{profile.n_interactions:,} interactions",
        f"{profile.n_users:,} users",
        f"{profile.n_items:,} items",
        f"{profile.unknown_item_rows:,} interactions on items missing from the catalogue",
    ]
    if profile.dropped_rows:
        facts.append(f"dropped rows while loading: {profile.dropped_rows}")
    console.print(f"[bold]{escape(profile.name)}[/bold]: " + ", ".join(facts), highlight=False)
    console.print(_statistics_table(profile))
    for dim in profile.dimensions.values():
        console.print(f"  {reading(dim)}", highlight=False, markup=False)
    drift = _drift_table(profile)
    if drift is not None:
        console.print(drift)
    if profile.advice:
        console.print("[bold]advice[/bold]")
        for item in profile.advice:
            console.print(f"  - {item.text}", highlight=False, markup=False)
    else:
        console.print("advice: no imbalance crosses the thresholds in docs/profile.md")
