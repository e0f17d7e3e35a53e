"""Geometry of the trend chart, an inline SVG drawn by the template (no JavaScript, no build step).

Two panels share the day axis: escalations per day (bars) above, median time to first action in
minutes (a line, broken on days without a sample) below. Separate panels rather than two y-axes
on one plot: each number is read against its own scale.
"""

from __future__ import annotations

import math

WIDTH = 720
LEFT, RIGHT = 52, 12
PANEL_HEIGHT = 110
TOP = 24  # room for the first panel's label
GAP = 44  # between the panels (the second panel's label)
AXIS = 26  # day labels under the second panel
HEIGHT = TOP + PANEL_HEIGHT + GAP + PANEL_HEIGHT + AXIS


def nice_ceiling(value: float) -> float:
    """The smallest 1/2/5 × 10^k at or above `value` (at least 1): a round top for an axis."""
    if value <= 1:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _fmt(value: float) -> str:
    return f"{value:g}"


def trend_chart(trend: list[dict]) -> dict:
    """Everything the template needs to draw `trend` (the API's trend rows)."""
    days = len(trend)
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / max(days, 1)
    bar_width = max(1.0, step * 0.7)

    max_escalations = nice_ceiling(max((p["escalations"] for p in trend), default=0))
    minutes = [None if p["median_time_to_first_action_seconds"] is None
               else p["median_time_to_first_action_seconds"] / 60 for p in trend]
    max_minutes = nice_ceiling(max((m for m in minutes if m is not None), default=0))

    bars_top = TOP
    line_top = TOP + PANEL_HEIGHT + GAP
    bars, points, segments, current = [], [], [], []
    for i, point in enumerate(trend):
        x = LEFT + i * step
        height = PANEL_HEIGHT * point["escalations"] / max_escalations
        bars.append({"x": round(x + (step - bar_width) / 2, 2), "y": round(bars_top + PANEL_HEIGHT - height, 2),
                     "width": round(bar_width, 2), "height": round(height, 2), "date": point["date"],
                     "value": point["escalations"]})
        if minutes[i] is None:
            if current:
                segments.append(current)
            current = []
            continue
        cx = round(x + step / 2, 2)
        cy = round(line_top + PANEL_HEIGHT - PANEL_HEIGHT * minutes[i] / max_minutes, 2)
        current.append((cx, cy))
        points.append({"x": cx, "y": cy, "date": point["date"], "minutes": round(minutes[i], 1)})
    if current:
        segments.append(current)
    path = " ".join("M" + " L".join(f"{x},{y}" for x, y in seg) for seg in segments)

    label_every = max(1, math.ceil(days / 7))
    labels = [{"x": round(LEFT + i * step + step / 2, 2), "text": p["date"].strftime("%b %-d")}
              for i, p in enumerate(trend) if i % label_every == 0]

    def ticks(top, maximum):
        return [{"y": round(top + PANEL_HEIGHT - PANEL_HEIGHT * f, 2), "text": _fmt(maximum * f)} for f in (0, .5, 1)]

    return {
        "width": WIDTH, "height": HEIGHT, "left": LEFT, "right": WIDTH - RIGHT,
        "bars_top": bars_top, "bars_bottom": bars_top + PANEL_HEIGHT,
        "line_top": line_top, "line_bottom": line_top + PANEL_HEIGHT,
        "labels_y": line_top + PANEL_HEIGHT + 18,
        "bars": bars, "points": points, "path": path, "labels": labels,
        "bar_ticks": ticks(bars_top, max_escalations), "line_ticks": ticks(line_top, max_minutes),
        "description": describe(trend),
    }


def describe(trend: list[dict]) -> str:
    """The chart's <desc>: what a sighted reader takes from it, in words."""
    if not trend:
        return "No days in this period."
    total = sum(p["escalations"] for p in trend)
    first, last = trend[0]["date"], trend[-1]["date"]
    text = f"{len(trend)} days from {first:%Y-%m-%d} to {last:%Y-%m-%d}: {total} escalations"
    if total:
        busiest = max(trend, key=lambda p: p["escalations"])
        text += f", the most on {busiest['date']:%Y-%m-%d} ({busiest['escalations']})"
    medians = [p["median_time_to_first_action_seconds"] for p in trend
               if p["median_time_to_first_action_seconds"] is not None]
    if medians:
        text += (f". The daily median time to first action ranged from {min(medians) / 60:.1f} to "
                 f"{max(medians) / 60:.1f} minutes over {len(medians)} days with a sample.")
    else:
        text += ". No time-to-first-action samples."
    return text
