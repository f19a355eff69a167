"""PNG plots of a Profile, drawn with matplotlib's Agg canvas (no display, no global pyplot state)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from longtail.profile.profiler import DimensionProfile, Profile
from longtail.profile.report import TITLES

BAR_GROUPS = 30
"""Bars drawn per dimension: every group of a naturally ordered dimension up to this many, else the largest."""
LORENZ_POINTS = 2000
"""The Lorenz curve is drawn through at most this many points, however many items there are."""
DPI = 110


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI, format="png")
    return path


def lorenz_curve(dim: DimensionProfile) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of groups (x, smallest first) against cumulative share of the total (y), both from 0 to 1."""
    counts = np.sort(dim.group_counts.counts.astype(np.float64))
    x = np.arange(counts.size + 1) / counts.size
    y = np.concatenate([[0.0], np.cumsum(counts) / counts.sum()])
    if x.size > LORENZ_POINTS:
        keep = np.unique(np.linspace(0, x.size - 1, LORENZ_POINTS).round().astype(int))
        x, y = x[keep], y[keep]
    return x, y


def plot_lorenz(dim: DimensionProfile, path: Path) -> Path:
    """Lorenz curve of a dimension (item popularity): how far it bends below the diagonal is the Gini."""
    x, y = lorenz_curve(dim)
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=1, label="every group equal")
    ax.plot(x, y, linewidth=2, label=f"{TITLES.get(dim.name, dim.name)} (Gini {dim.gini:.2f})")
    ax.fill_between(x, y, x, alpha=0.15)
    ax.set_xlabel(f"share of {dim.name}s, least {dim.unit} first")
    ax.set_ylabel(f"share of {dim.unit}")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left")
    return _save(fig, path)


def _bar_groups(dim: DimensionProfile) -> tuple[list[str], np.ndarray]:
    gc = dim.group_counts
    if gc.ordered and gc.counts.size <= BAR_GROUPS * 2:
        index = np.arange(gc.counts.size)
    else:
        index = np.argsort(-gc.counts, kind="stable")[:BAR_GROUPS]
    labels = [str(g) for g in gc.groups.gather(index).to_list()]
    return labels, gc.counts[index]


def plot_bars(dim: DimensionProfile, path: Path) -> Path:
    """Horizontal bars of a dimension's groups (all of a short ordered dimension, else the largest)."""
    labels, counts = _bar_groups(dim)
    fig = Figure(figsize=(7, max(2.5, 0.28 * len(labels) + 1.2)))
    ax = fig.add_subplot()
    positions = np.arange(len(labels))
    ax.barh(positions, counts)
    ax.set_yticks(positions, labels=[label[:40] for label in labels], fontsize=8)
    ax.invert_yaxis()
    shown = "all groups" if len(labels) == dim.n_groups else f"largest {len(labels)} of {dim.n_groups:,} groups"
    ax.set_title(f"{TITLES.get(dim.name, dim.name)}: {shown}", fontsize=10)
    ax.set_xlabel(dim.unit)
    return _save(fig, path)


def plot_category_mix(profile: Profile, path: Path) -> Path | None:
    """Stacked area of each top-level category's share of interactions per day or week; None without a timeline."""
    timeline = profile.category_timeline
    if timeline is None or timeline.height == 0:
        return None
    names = [c for c in timeline.columns if c != "bucket"]
    counts = timeline.select(names).to_numpy().astype(np.float64).T
    shares = counts / np.maximum(counts.sum(axis=0, keepdims=True), 1.0)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.add_subplot()
    ax.stackplot(timeline.get_column("bucket").to_numpy(), shares, labels=[n[:30] for n in names])
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of interactions")
    ax.set_title("category mix over time (top level)", fontsize=10)
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8)
    fig.autofmt_xdate()
    return _save(fig, path)


def write_plots(profile: Profile, out_dir: str | Path) -> list[Path]:
    """Write every plot that applies into ``out_dir`` (created if needed); returns the files written."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if "item" in profile.dimensions:
        written.append(plot_lorenz(profile.dimensions["item"], out / "lorenz_item.png"))
    for name, dim in profile.dimensions.items():
        written.append(plot_bars(dim, out / f"bars_{name}.png"))
    mix = plot_category_mix(profile, out / "category_mix.png")
    if mix is not None:
        written.append(mix)
    return written
