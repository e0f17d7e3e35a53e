"""Template filters for the analytics pages."""

from django import template

register = template.Library()


@register.filter
def seconds(value):
    """212.5 → "3 min 33 s"; 4000 → "1 h 7 min"; None → "—"."""
    if value is None or value == "":
        return "—"
    total = round(float(value))
    negative, total = total < 0, abs(total)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        text = f"{hours} h {minutes} min" if minutes else f"{hours} h"
    elif minutes:
        text = f"{minutes} min {secs} s" if secs else f"{minutes} min"
    else:
        text = f"{secs} s"
    return f"−{text}" if negative else text


@register.filter
def percent(value):
    """0.8333 → "83%"; None → "—"."""
    return "—" if value is None else f"{value * 100:.0f}%"


@register.filter
def number(value, digits=2):
    """A float with fixed digits (and a real minus sign); None → "—"."""
    if value is None:
        return "—"
    return f"{float(value):.{int(digits)}f}".replace("-", "−")
