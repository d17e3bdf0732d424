"""Small display filters for the messaging screens."""

from django import template

register = template.Library()


@register.filter
def thousands(value) -> str:
    """1600 -> "1,600"."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)


@register.filter
def plural_segments(value) -> str:
    """1 -> "1 segment", 3 -> "3 segments"."""
    count = int(value or 0)
    return f"{count} segment" if count == 1 else f"{count} segments"
