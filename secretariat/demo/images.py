"""Images of the demo's signatures and seals: a blue handwritten-looking signature on a
transparent background, and a red round seal with the unit's name around a star (DOMAIN.md §4).
Drawn with Pillow and the DejaVu font of the Debian package `fonts-dejavu-core`."""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
BLUE = (20, 40, 160, 255)
RED = (200, 20, 30, 235)


def signature_png(name: str) -> bytes:
    """Cursive loops (a prolate cycloid with varying amplitude) seeded by the name, so each
    official keeps the same signature, and an underline flourish."""
    rng = random.Random(name)  # noqa: S311  (a drawing, not a secret)
    width, height = 360, 140
    image = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    loops = rng.randint(4, 6)
    points = []
    steps = 240
    for i in range(steps + 1):
        t = i / steps * loops * 2 * math.pi
        amplitude = 26 + 14 * math.sin(t / loops + rng.uniform(0, 0.3))
        x = 40 + t / (loops * 2 * math.pi) * (width - 100) + 16 * math.cos(t)
        y = height / 2 - 8 + amplitude * math.sin(t) * (0.6 + 0.4 * math.cos(t / 3))
        points.append((x, y))
    draw.line(points, fill=BLUE, width=4, joint="curve")
    draw.arc([20, height - 70, width - 20, height - 10], start=15, end=165, fill=BLUE, width=3)
    return _png(image)


def seal_png(unit_name: str) -> bytes:
    """A round red seal: two rings, the unit's name along the upper arc, a star in the middle."""
    size = 320
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = size / 2
    draw.ellipse([6, 6, size - 6, size - 6], outline=RED, width=8)
    draw.ellipse([48, 48, size - 48, size - 48], outline=RED, width=3)
    _star(draw, centre, centre, 46, 19)
    font = ImageFont.truetype(FONT, 22)
    text = unit_name.upper()[:40]
    radius = centre - 28
    span = min(300.0, 9.0 * len(text))
    for index, char in enumerate(text):
        angle = math.radians(-90 - span / 2 + span * (index + 0.5) / max(len(text), 1))
        glyph = Image.new("RGBA", (30, 30), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((15, 15), char, font=font, fill=RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        x = centre + radius * math.cos(angle) - 15
        y = centre + radius * math.sin(angle) - 15
        image.alpha_composite(glyph, (round(x), round(y)))
    return _png(image)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, outer: float, inner: float) -> None:
    points = []
    for k in range(10):
        radius = outer if k % 2 == 0 else inner
        angle = math.radians(-90 + 36 * k)
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=RED)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
