"""Colours as WCAG 2 measures them, for words drawn on an agency's colour (the tiles of a lobby screen and of a
kiosk) that must stay readable: the relative luminance of an sRGB colour and the contrast ratio of two."""

from __future__ import annotations

NEAR_BLACK = 0.0056  # the luminance of #111111, the dark ink of the pages
WHITE = 1.0


def channels(colour: str) -> tuple[float, float, float]:
    """ "#1f4e79" -> its red, green and blue as 0-1. ValueError for anything else."""
    if len(colour) != 7 or not colour.startswith("#"):
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    red, green, blue = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return red, green, blue


def luminance(rgb: tuple[float, float, float]) -> float:
    """The relative luminance of an sRGB colour (channels 0-1): 0 for black, 1 for white."""
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(one: float, other: float) -> float:
    """The contrast ratio of two luminances, 1 (none) to 21 (black on white); 4.5 is WCAG AA for small text."""
    high, low = max(one, other), min(one, other)
    return (high + 0.05) / (low + 0.05)
