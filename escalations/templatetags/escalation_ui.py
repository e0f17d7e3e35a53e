"""Small presentation helpers for the escalation pages (durations, initials, assessment items)."""

from django import template

register = template.Library()


@register.filter
def duration(seconds):
    """Seconds → "45 s", "3 min 20 s", "2 h 5 min"; None → "—" (no sample yet)."""
    if seconds is None or seconds == "":
        return "—"
    try:
        total = int(round(float(seconds)))
    except (TypeError, ValueError):
        return "—"
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs and minutes < 10 else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@register.filter
def age(seconds):
    """A waiting time as the queue shows it (and static/js/queue.js recomputes live)."""
    try:
        total = int(seconds)
    except (TypeError, ValueError):
        return ""
    if total < 45:
        return "just now"
    minutes = max(1, round(total / 60))
    if minutes < 60:
        return f"{minutes} min ago"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min ago" if minutes else f"{hours} h ago"
    days = hours // 24
    return "1 day ago" if days == 1 else f"{days} days ago"


@register.filter
def initials(user):
    name = getattr(user, "display_name", None) or str(user or "")
    parts = [p for p in name.replace("@", " ").replace(".", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


@register.filter
def item_text(item):
    """An assessment list item: a string (the contract) or, defensively, a small object."""
    if isinstance(item, dict):
        for key in ("text", "action", "title", "summary", "step"):
            if item.get(key):
                return str(item[key])
        return ""
    return "" if item is None else str(item)


@register.filter
def percent(value):
    try:
        return f"{round(float(value) * 100)}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def ago(when):
    """A datetime as "just now", "4 min ago", "2 h 5 min ago" (like `age`, from a datetime)."""
    if not when:
        return ""
    from django.utils import timezone

    return age((timezone.now() - when).total_seconds())
