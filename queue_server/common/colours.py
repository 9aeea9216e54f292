"""Colours as WCAG 2 measures them, for words drawn on an agency's colour (the tiles of a lobby screen and of a
kiosk) that must stay readable: the relative luminance of an sRGB colour, the contrast ratio of two, and the pair
of background and ink both kinds of screen draw an agency in."""

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


FALLBACK = ("#1f4e79", "#ffffff")  # a colour that is not #rrggbb (the site file checks it; a page never fails on it)


def readable_pair(colour: str) -> tuple[str, str]:
    """An agency's background and text: its colour with near-black or white text, whichever reads better; a
    mid-tone on which neither reaches 4.5:1 (WCAG AA for small text: #00897b gives 4.37 and 4.32) is darkened,
    step by step, until white does, so the agency keeps its hue and every word on it stays readable."""
    try:
        r, g, b = channels(colour)
    except ValueError:
        return FALLBACK
    for step in range(20):
        shade = (r * (1 - step / 20), g * (1 - step / 20), b * (1 - step / 20))
        lum = luminance(shade)
        on_dark, on_white = contrast(lum, NEAR_BLACK), contrast(lum, WHITE)
        if step == 0 and on_dark >= 4.5 and on_dark > on_white:
            return colour, "#111111"
        if on_white >= 4.5:
            return "#" + "".join(f"{round(c * 255):02x}" for c in shade), "#ffffff"
    return "#000000", "#ffffff"
