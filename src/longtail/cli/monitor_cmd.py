"""``longtail monitor``: a live terminal view of a running service's imbalance statistics (GET /stats)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Optional

import typer

from longtail.errors import LongtailError

MIX_ROWS = 6


def register(app: typer.Typer) -> None:
    """Add the ``monitor`` command to ``app``."""
    app.command("monitor")(monitor)


def fetch_stats(url: str, token: str | None, timeout: float = 5.0) -> dict[str, Any]:
    """GET ``url``/stats as JSON; LongtailError saying what went wrong and what to do."""
    import httpx

    if not url.startswith(("http://", "https://")):
        raise LongtailError(f"{url}: not an http(s) URL; give the service's address, e.g. http://127.0.0.1:8000")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(url.rstrip("/") + "/stats", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise LongtailError(f"{url}: cannot reach the service ({type(exc).__name__}: {exc}); is `longtail serve` running?") from exc
    if response.status_code == 401:
        raise LongtailError(f"{url}: the service wants a bearer token; pass --token or set LONGTAIL_TOKEN")
    if response.status_code != 200:
        raise LongtailError(f"{url}/stats answered {response.status_code}: {response.text[:200]}")
    return response.json()


def _number(value: Any, percent: bool = False) -> str:
    if value is None:
        return "-"
    if percent:
        return f"{100 * value:.1f}%"
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def _mix_table(title: str, mixes: dict[str, dict[str, float]]) -> Any:
    from rich.table import Table

    table = Table(title=title, title_justify="left", expand=False)
    for name in mixes:
        table.add_column(name.removesuffix("_mix"), no_wrap=True)
        table.add_column("share", justify="right")
    columns = [list(mix.items())[:MIX_ROWS] for mix in mixes.values()]
    for row in range(max((len(c) for c in columns), default=0)):
        cells = []
        for column in columns:
            cells += [column[row][0], _number(column[row][1], percent=True)] if row < len(column) else ["", ""]
        table.add_row(*cells)
    return table


def render(stats: dict[str, Any], source: str = "") -> Any:
    """The rich view of one /stats snapshot: exposure, mixes, events per popularity bucket, training signals."""
    from rich.console import Group
    from rich.table import Table

    exposure, events, training, totals = stats["exposure"], stats["events"], stats["training"], stats["totals"]
    header = (f"[bold]longtail monitor[/bold] {source}  window {stats['window_seconds']:.0f} s  "
              f"uptime {stats['uptime_seconds']:.0f} s  items {stats['n_items']}")
    summary = Table(title="served exposure", title_justify="left")
    for name in ("lists", "slots", "gini", "tail share", "top-20% share", "item coverage"):
        summary.add_column(name, justify="right")
    summary.add_row(str(exposure["lists"]), str(exposure["slots"]), _number(exposure["gini"]),
                    _number(exposure["tail_share"], True), _number(exposure["top20_share"], True),
                    _number(exposure["item_coverage"], True))
    mixes = _mix_table("exposure mix", {k: exposure[k] for k in ("popularity_mix", "category_mix", "region_mix")})
    rates = Table(title="events by item popularity", title_justify="left")
    for name in ("bucket", "impressions", "clicks", "purchases", "click rate", "purchase rate"):
        rates.add_column(name, justify="right" if name != "bucket" else "left")
    for bucket, row in events["by_popularity"].items():
        rates.add_row(bucket, str(row["impressions"]), str(row["clicks"]), str(row["purchases"]),
                      _number(row["click_rate"], True), _number(row["purchase_rate"], True))
    rates.add_row("all", *(str(events["counts"][k]) for k in ("impression", "click", "purchase")),
                  _number(events["click_rate"], True), _number(events["purchase_rate"], True))
    weights = training["class_weights"]["weights"]
    heaviest = sorted(weights.items(), key=lambda kv: -kv[1])[:MIX_ROWS]
    signals = Table(title="online training signals", title_justify="left")
    signals.add_column("category (effective-number weight)")
    signals.add_column("weight", justify="right")
    for name, weight in heaviest:
        signals.add_row(name, f"{weight:.3f}")
    frequency = training["item_frequency"]
    footer = (f"item frequency: {frequency['items_seen']} items seen over {frequency['steps']} event batches  |  "
              f"since start: {totals['lists_served']} lists, events {totals['events'] or {}}, "
              f"cold starts {totals['cold_start'] or {}}, {events['not_in_catalogue']} events on unknown items in window")
    return Group(header, summary, mixes, rates, signals, footer)


def monitor(
    url: Annotated[str, typer.Argument(help="The service's address, e.g. http://127.0.0.1:8000.")],
    token: Annotated[Optional[str], typer.Option(envvar="LONGTAIL_TOKEN", show_envvar=True,
                                                 help="Bearer token of the service.")] = None,
    interval: Annotated[float, typer.Option(min=0.2, help="Seconds between refreshes.")] = 2.0,
    once: Annotated[bool, typer.Option("--once", help="Print one snapshot and exit.")] = False,
    count: Annotated[Optional[int], typer.Option(min=1, help="Stop after this many refreshes (default: until Ctrl-C).")] = None,
) -> None:
    """Watch a running `longtail serve`: exposure Gini, tail share, mixes, click/purchase rates, training signals."""
    from rich.console import Console
    from rich.live import Live

    console = Console()
    stats = fetch_stats(url, token)
    if once:
        console.print(render(stats, url))
        return
    refreshes = 1
    try:
        with Live(render(stats, url), console=console, refresh_per_second=4) as live:
            while count is None or refreshes < count:
                time.sleep(interval)
                live.update(render(fetch_stats(url, token), url))
                refreshes += 1
    except KeyboardInterrupt:
        pass
