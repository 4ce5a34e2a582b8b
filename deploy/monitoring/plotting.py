"""Pictures people can read at a glance, shared by the golden-signals report
(render_report.py, scripts/report.sh, the live view) and the resilience
drills (scripts/drill.py).

The rules every panel follows:
- the legend sits outside the plot area (right of it), never over the data;
- at most a handful of series per panel: the largest ones by peak, the rest
  summed into one "other" line where a sum means something (rates, lag), or
  named as not drawn where it does not (latencies, shares);
- a series is broken where Prometheus has no samples for it (a stopped
  component, a deleted consumer group): gaps are drawn as gaps, not as
  straight lines across them;
- every axis names its unit, time is UTC.

Pure functions over `Line`s; matplotlib is imported only to draw.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

# Legends longer than this push the plot area too narrow; the full label
# stays in the report's tables.
MAX_LABEL_CHARS = 48
DEFAULT_TOP = 6
# Shaded intervals in order (e.g. a cut link, then the catch-up after it).
SHADE_COLORS = ("orangered", "limegreen", "royalblue", "gold")


@dataclass
class Line:
    label: str
    times: list[float]          # epoch seconds, ascending
    values: list[float]
    style: dict = field(default_factory=dict)

    def peak(self) -> float:
        finite = [v for v in self.values if not math.isnan(v)]
        return max(finite) if finite else float("-inf")


def lines_from_range(result: list[dict], label) -> list[Line]:
    """A Prometheus range query's result as Lines; `label(metric_labels)`
    names each. NaN samples (histogram_quantile with no events) are dropped,
    so they become gaps too."""
    lines = []
    for series in result:
        points = [(float(ts), float(v)) for ts, v in series["values"] if not math.isnan(float(v))]
        if points:
            lines.append(Line(label(series["metric"]), [t for t, _ in points], [v for _, v in points]))
    return lines


def with_gaps(times: list[float], values: list[float], step: float) -> tuple[list[float], list[float]]:
    """Inserts a NaN wherever two samples are further apart than 2.5 steps,
    so that matplotlib breaks the line there instead of bridging the gap."""
    if not times:
        return [], []
    out_t, out_v = [times[0]], [values[0]]
    for previous, t, v in zip(times, times[1:], values[1:]):
        if t - previous > 2.5 * step:
            out_t.append((previous + t) / 2)
            out_v.append(math.nan)
        out_t.append(t)
        out_v.append(v)
    return out_t, out_v


def top_n(lines: list[Line], n: int = DEFAULT_TOP, additive: bool = True,
          other: str = "other") -> list[Line]:
    """The n-1 largest lines by peak, and one line for the rest: their sum
    at each time (where summing is meaningful, `additive`), or an empty line
    whose label says how many were left out. With n or fewer, all of them."""
    if len(lines) <= n:
        return list(lines)
    ranked = sorted(lines, key=Line.peak, reverse=True)
    kept, rest = ranked[:n - 1], ranked[n - 1:]
    if not additive:
        return kept + [Line(f"{len(rest)} more not drawn", [], [])]
    total: dict[float, float] = {}
    for line in rest:
        for t, v in zip(line.times, line.values):
            if not math.isnan(v):
                total[t] = total.get(t, 0.0) + v
    times = sorted(total)
    return kept + [Line(f"{other}: {len(rest)} more, summed", times, [total[t] for t in times],
                        {"color": "gray", "linestyle": ":"})]


def short(label: str) -> str:
    return label if len(label) <= MAX_LABEL_CHARS else label[:MAX_LABEL_CHARS - 1] + "…"


def _to_datetimes(times: list[float]) -> list[dt.datetime]:
    return [dt.datetime.fromtimestamp(t, dt.timezone.utc) for t in times]


def draw_panel(ax, lines: list[Line], *, title: str, unit: str, step: float,
               start: float, end: float, log: bool = False, top: int = DEFAULT_TOP,
               additive: bool = True, shade: list[tuple[float, float, str]] = (),
               right: list[Line] | None = None, right_unit: str = "", right_additive: bool = True,
               right_limits: tuple[float, float] | None = None, hlines: list[tuple[float, str]] = ()) -> None:
    """One readable panel: top-N lines with gaps, optional right-hand axis,
    shaded intervals (e.g. a cut link), horizontal reference lines (e.g. a
    bound a criterion checks), the legend outside on the right."""
    import matplotlib.dates as mdates

    ax.set_title(title, fontsize=11, loc="left")
    ax.set_ylabel(unit)
    ax.set_xlabel("time (UTC)")
    ax.grid(True, alpha=0.3)
    handles, labels = [], []
    for line in top_n(lines, top, additive):
        t, v = with_gaps(line.times, line.values, step)
        (handle,) = ax.plot(_to_datetimes(t), v, **{"linewidth": 1.3, **line.style})
        handles.append(handle)
        labels.append(short(line.label))
    if log and any(v > 0 for line in lines for v in line.values):
        ax.set_yscale("log")
    for value, label in hlines:
        handle = ax.axhline(value, color="crimson", linestyle="--", linewidth=1)
        handles.append(handle)
        labels.append(short(label))
    for (begin, finish, label), color in zip(shade, SHADE_COLORS):
        handle = ax.axvspan(_to_datetimes([begin])[0], _to_datetimes([finish])[0], color=color, alpha=0.15)
        handles.append(handle)
        labels.append(short(label))
    if right:
        twin = ax.twinx()
        twin.set_ylabel(right_unit)
        if right_limits:
            twin.set_ylim(*right_limits)
        for line in top_n(right, max(2, top // 2), right_additive):
            t, v = with_gaps(line.times, line.values, step)
            (handle,) = twin.plot(_to_datetimes(t), v, **{"linewidth": 1.3, "linestyle": "--", **line.style})
            handles.append(handle)
            labels.append(short(line.label) + " (right axis)")
    ax.set_xlim(_to_datetimes([start])[0], _to_datetimes([end])[0])
    # Seconds on the ticks of short ranges, where minutes alone would repeat.
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S" if end - start <= 900 else "%H:%M",
                                                      tz=dt.timezone.utc))
    if handles:
        # Outside the plot area, right of it (and right of a twin axis' labels).
        ax.legend(handles, labels, fontsize=8, loc="upper left", frameon=False,
                  bbox_to_anchor=(1.16 if right else 1.01, 1.0), borderaxespad=0)
    else:
        ax.text(0.5, 0.5, "no data", transform=ax.transAxes, ha="center", va="center", color="gray")


def figure(rows: int, cols: int, title: str, height_per_row: float = 3.2, width: float = 15):
    import matplotlib
    matplotlib.use("Agg")  # headless: no display needed
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=(width, height_per_row * rows + 0.8), squeeze=False,
                             constrained_layout=True)
    fig.suptitle(title, fontsize=13)
    return fig, axes


def save(fig, path) -> None:
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=100)
    plt.close(fig)
