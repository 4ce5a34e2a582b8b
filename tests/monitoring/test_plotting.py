"""The readability rules of deploy/monitoring/plotting.py, on made-up series
(pure logic, no Prometheus): gaps stay gaps, crowded panels keep their top
series and sum or count the rest, legends sit outside the plot area."""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "monitoring"))
import plotting  # noqa: E402
from plotting import Line  # noqa: E402


def test_a_gap_in_the_samples_becomes_a_break_in_the_line():
    times = [0, 2, 4, 60, 62]
    values = [1, 1, 1, 5, 5]
    t, v = plotting.with_gaps(times, values, step=2)
    assert len(t) == 6 and math.isnan(v[3]) and 4 < t[3] < 60
    assert [x for x in v if not math.isnan(x)] == values


def test_regular_samples_are_left_alone():
    t, v = plotting.with_gaps([0, 2, 4, 6], [1, 2, 3, 4], step=2)
    assert (t, v) == ([0, 2, 4, 6], [1, 2, 3, 4])


def test_a_crowded_additive_panel_keeps_the_largest_and_sums_the_rest():
    lines = [Line(f"s{i}", [0, 10], [i, i + 1]) for i in range(10)]
    drawn = plotting.top_n(lines, n=4)
    assert [line.label for line in drawn[:3]] == ["s9", "s8", "s7"]
    other = drawn[3]
    assert "7 more" in other.label
    # s0..s6 summed at each time: 0+1+...+6 = 21, then each one higher: 28.
    assert other.times == [0, 10] and other.values == [21, 28]


def test_a_crowded_non_additive_panel_only_counts_what_it_leaves_out():
    lines = [Line(f"p{i}", [0], [float(i)]) for i in range(8)]
    drawn = plotting.top_n(lines, n=3, additive=False)
    assert [line.label for line in drawn] == ["p7", "p6", "6 more not drawn"]
    assert drawn[-1].values == []


def test_the_legend_is_outside_the_plot_area(tmp_path):
    fig, axes = plotting.figure(1, 1, "legend placement")
    ax = axes[0][0]
    lines = [Line(f"series {i}", [1_700_000_000 + 2 * k for k in range(30)], [float(i + k) for k in range(30)])
             for i in range(8)]
    plotting.draw_panel(ax, lines, title="t", unit="records per second", step=2,
                        start=1_700_000_000, end=1_700_000_060)
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    plot_area = ax.get_window_extent()
    assert legend.x0 >= plot_area.x1, "the legend overlaps the plot area"
    assert len(ax.get_legend().get_texts()) == plotting.DEFAULT_TOP
    assert ax.get_ylabel() == "records per second" and ax.get_xlabel() == "time (UTC)"
    plotting.save(fig, tmp_path / "p.png")
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_a_crowded_right_hand_axis_draws_its_summed_line(tmp_path):
    """Regression: the "other" line's own dotted style clashed with the
    right axis' dashed default (TypeError: multiple values for 'linestyle')."""
    fig, axes = plotting.figure(1, 1, "right axis")
    many = [Line(f"group {i}", [1_700_000_000, 1_700_000_002], [float(i), float(i)]) for i in range(9)]
    plotting.draw_panel(axes[0][0], [], title="t", unit="share", step=2, start=1_700_000_000,
                        end=1_700_000_010, right=many, right_unit="records")
    labels = [t.get_text() for t in axes[0][0].get_legend().get_texts()]
    assert any("summed" in label for label in labels), labels
    plotting.save(fig, tmp_path / "r.png")
