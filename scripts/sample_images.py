"""Generate the sample illustrations used by the example content.

Every picture is an abstract, seeded drawing (skyline, chart, map, waves ...),
so running the script twice produces identical JPEG files. Usage::

    python scripts/sample_images.py [--content content]
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

Color = tuple[int, int, int]
Painter = Callable[[ImageDraw.ImageDraw, random.Random, int, int], None]

LANDSCAPE = (1600, 1067)
PORTRAIT = (1200, 1600)
SUPERSAMPLE = 2
QUALITY = 80


def hex_color(value: str) -> Color:
    """Turn ``"#rrggbb"`` into an RGB tuple."""
    value = value.lstrip("#")
    return (int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16))


def mix(a: Color, b: Color, t: float) -> Color:
    """Linear blend between two colours, ``t`` in [0, 1]."""
    t = max(0.0, min(1.0, t))
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def vertical_gradient(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], top: Color, bottom: Color
) -> None:
    """Fill ``box`` with a top-to-bottom gradient, one line at a time."""
    x0, y0, x1, y1 = box
    span = max(1, y1 - y0)
    for y in range(y0, y1):
        draw.line([(x0, y), (x1, y)], fill=mix(top, bottom, (y - y0) / span))


def ridge(
    rng: random.Random, w: int, base: float, rough: float, steps: int = 48
) -> list[tuple[float, float]]:
    """A jagged horizon line made from a smoothed random walk."""
    points: list[tuple[float, float]] = []
    y = base
    for i in range(steps + 1):
        y += rng.uniform(-rough, rough)
        y = 0.7 * y + 0.3 * base
        points.append((w * i / steps, y))
    return points


# --------------------------------------------------------------------------- painters


def paint_harbour(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Harbour at dawn: container cranes, stacked boxes and calm water."""
    water = int(h * 0.72)
    vertical_gradient(draw, (0, 0, w, water), hex_color("#f6c28b"), hex_color("#7d8fb3"))
    vertical_gradient(draw, (0, water, w, h), hex_color("#52648a"), hex_color("#1e2a44"))
    sun = (w * 0.72, h * 0.38, h * 0.09)
    draw.ellipse(
        [sun[0] - sun[2], sun[1] - sun[2], sun[0] + sun[2], sun[1] + sun[2]],
        fill=hex_color("#fde3b0"),
    )
    boxes = [hex_color(c) for c in ("#b5443b", "#2f6f8f", "#d99a2b", "#3d7d5a", "#6a4c93")]
    x = 0.0
    while x < w:
        cw = rng.uniform(w * 0.04, w * 0.07)
        for level in range(rng.randint(1, 4)):
            y1 = water - level * h * 0.035
            draw.rectangle(
                [x, y1 - h * 0.035, x + cw, y1], fill=rng.choice(boxes), outline=(30, 30, 40)
            )
        x += cw
    crane_color = hex_color("#2b2f3a")
    for i in range(4):
        cx = w * (0.12 + 0.22 * i) + rng.uniform(-30, 30) * SUPERSAMPLE
        top = h * rng.uniform(0.18, 0.3)
        leg = w * 0.03
        lw = 6 * SUPERSAMPLE
        draw.line([(cx, water), (cx, top)], fill=crane_color, width=lw)
        draw.line([(cx + leg, water), (cx + leg, top)], fill=crane_color, width=lw)
        draw.line([(cx - w * 0.08, top), (cx + w * 0.12, top)], fill=crane_color, width=lw)
        for k in range(6):
            yy = water - (water - top) * k / 6
            draw.line(
                [(cx, yy), (cx + leg, yy - (water - top) / 6)], fill=crane_color, width=lw // 2
            )
        draw.line(
            [(cx + w * 0.09, top), (cx + w * 0.09, top + h * 0.12)], fill=crane_color, width=lw // 3
        )
    for _ in range(60):
        y = rng.uniform(water + 10, h)
        x = rng.uniform(0, w)
        draw.line(
            [(x, y), (x + rng.uniform(40, 160) * SUPERSAMPLE, y)],
            fill=hex_color("#9fb0cf"),
            width=SUPERSAMPLE * 2,
        )


def paint_reef(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Deep water with branching coral and rising bubbles."""
    vertical_gradient(draw, (0, 0, w, h), hex_color("#1b6f8f"), hex_color("#061a2e"))
    for _ in range(9):
        x = rng.uniform(-w * 0.1, w)
        draw.polygon(
            [(x, 0), (x + w * 0.06, 0), (x + w * 0.2, h), (x + w * 0.12, h)],
            fill=mix(hex_color("#2a86a6"), hex_color("#0b2a45"), rng.random()),
        )
    floor = ridge(rng, w, h * 0.86, h * 0.02)
    draw.polygon([*floor, (w, h), (0, h)], fill=hex_color("#3a3a4f"))
    palette = [hex_color(c) for c in ("#f08a6c", "#f2c14e", "#c86fb0", "#7bd389", "#f26d85")]

    def branch(x: float, y: float, angle: float, length: float, width: int, color: Color) -> None:
        if length < 12 * SUPERSAMPLE or width < 1:
            draw.ellipse([x - width, y - width, x + width, y + width], fill=color)
            return
        x2 = x + math.cos(angle) * length
        y2 = y - math.sin(angle) * length
        draw.line([(x, y), (x2, y2)], fill=color, width=width)
        for delta in (-0.45, 0.4):
            branch(
                x2,
                y2,
                angle + delta + rng.uniform(-0.2, 0.2),
                length * 0.72,
                int(width * 0.75),
                color,
            )

    for i in range(7):
        x = w * (0.08 + i * 0.14) + rng.uniform(-40, 40)
        branch(
            x,
            h * 0.88,
            math.pi / 2 + rng.uniform(-0.2, 0.2),
            h * rng.uniform(0.12, 0.18),
            14 * SUPERSAMPLE,
            rng.choice(palette),
        )
    for _ in range(70):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h * 0.8), rng.uniform(3, 12) * SUPERSAMPLE
        draw.ellipse([x - r, y - r, x + r, y + r], outline=hex_color("#bfe6f2"), width=SUPERSAMPLE)


def paint_river_map(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """A stylised map: contour blobs, a braided river and gauge stations."""
    draw.rectangle([0, 0, w, h], fill=hex_color("#efe8d6"))
    greens = [hex_color(c) for c in ("#d3e0bf", "#bcd3a3", "#a5c48b", "#8db477")]
    for _ in range(14):
        cx, cy = rng.uniform(0, w), rng.uniform(0, h)
        for level, color in enumerate(greens):
            r = (220 - level * 45) * SUPERSAMPLE * rng.uniform(0.8, 1.2)
            draw.ellipse([cx - r * 1.4, cy - r, cx + r * 1.4, cy + r], fill=color)
    grid = hex_color("#c9bfa6")
    for i in range(1, 8):
        draw.line([(w * i / 8, 0), (w * i / 8, h)], fill=grid, width=SUPERSAMPLE)
        draw.line([(0, h * i / 8), (w, h * i / 8)], fill=grid, width=SUPERSAMPLE)
    river: list[tuple[float, float]] = []
    y = h * 0.15
    for i in range(41):
        x = w * i / 40
        y += rng.uniform(-h * 0.04, h * 0.05)
        y = min(max(y, h * 0.1), h * 0.9)
        river.append((x, y))
    draw.line(river, fill=hex_color("#4f8fc0"), width=26 * SUPERSAMPLE, joint="curve")
    draw.line(river, fill=hex_color("#7fb4dc"), width=12 * SUPERSAMPLE, joint="curve")
    for x, y in river[3::6]:
        r = 16 * SUPERSAMPLE
        draw.ellipse(
            [x - r, y - r - 60, x + r, y + r - 60],
            fill=hex_color("#d1495b"),
            outline=(255, 255, 255),
            width=4 * SUPERSAMPLE,
        )
        draw.line([(x, y - 60 + r), (x, y)], fill=hex_color("#d1495b"), width=4 * SUPERSAMPLE)


def paint_sensor(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Street blocks seen from above, with sensors radiating concentric rings."""
    vertical_gradient(draw, (0, 0, w, h), hex_color("#e9f1f7"), hex_color("#a9c6dd"))
    block = hex_color("#d6e2eb")
    for i in range(6):
        for j in range(4):
            x0, y0 = w * (0.02 + i * 0.165), h * (0.03 + j * 0.245)
            draw.rounded_rectangle(
                [x0, y0, x0 + w * 0.14, y0 + h * 0.2], radius=12 * SUPERSAMPLE, fill=block
            )
    s = SUPERSAMPLE
    for i in range(5):
        cx = w * (0.12 + i * 0.19) + rng.uniform(-0.04, 0.04) * w
        cy = rng.uniform(h * 0.2, h * 0.8)
        color = mix(hex_color("#2e6f9e"), hex_color("#5fb49c"), rng.random())
        for k in range(8, 0, -1):
            r = k * 36 * s
            draw.ellipse(
                [cx - r, cy - r, cx + r, cy + r],
                outline=mix(color, hex_color("#e9f1f7"), k / 9),
                width=3 * s,
            )
        draw.rounded_rectangle(
            [cx - 30 * s, cy - 45 * s, cx + 30 * s, cy + 45 * s],
            radius=10 * s,
            fill=hex_color("#243447"),
        )
        draw.ellipse([cx - 11 * s, cy - 28 * s, cx + 11 * s, cy - 6 * s], fill=hex_color("#7bd389"))


def paint_chart(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """A clean two-series line chart in which one line overtakes the other."""
    draw.rectangle([0, 0, w, h], fill=hex_color("#fbfaf7"))
    left, right, top, bottom = w * 0.09, w * 0.95, h * 0.1, h * 0.86
    for i in range(6):
        y = bottom - (bottom - top) * i / 5
        draw.line([(left, y), (right, y)], fill=hex_color("#dedad0"), width=2 * SUPERSAMPLE)
    draw.line([(left, bottom), (right, bottom)], fill=hex_color("#55514a"), width=3 * SUPERSAMPLE)
    years = 10
    falling = [0.82 - 0.045 * i + rng.uniform(-0.02, 0.02) for i in range(years)]
    rising = [
        0.12 + 0.003 * i * i * 2.4 + 0.025 * i + rng.uniform(-0.015, 0.015) for i in range(years)
    ]
    bar_w = (right - left) / years * 0.35
    for series, color in ((falling, hex_color("#8a8f99")), (rising, hex_color("#d1495b"))):
        pts = [
            (left + (right - left) * (i + 0.5) / years, bottom - (bottom - top) * v)
            for i, v in enumerate(series)
        ]
        draw.line(pts, fill=color, width=7 * SUPERSAMPLE, joint="curve")
        for x, y in pts:
            r = 9 * SUPERSAMPLE
            draw.ellipse(
                [x - r, y - r, x + r, y + r],
                fill=color,
                outline=(255, 255, 255),
                width=3 * SUPERSAMPLE,
            )
    for i in range(years):
        x = left + (right - left) * (i + 0.5) / years
        draw.rectangle(
            [x - bar_w / 2, bottom - 4 * SUPERSAMPLE, x + bar_w / 2, bottom + 14 * SUPERSAMPLE],
            fill=hex_color("#55514a"),
        )
    draw.rectangle(
        [left, h * 0.03, left + 40 * SUPERSAMPLE, h * 0.03 + 14 * SUPERSAMPLE],
        fill=hex_color("#d1495b"),
    )
    draw.rectangle(
        [left + w * 0.2, h * 0.03, left + w * 0.2 + 40 * SUPERSAMPLE, h * 0.03 + 14 * SUPERSAMPLE],
        fill=hex_color("#8a8f99"),
    )


def paint_rooftops(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """A winter street of pitched-roof houses with outdoor heat-pump units."""
    vertical_gradient(draw, (0, 0, w, h), hex_color("#cfe0ee"), hex_color("#f4f1ea"))
    ground = h * 0.8
    draw.rectangle([0, ground, w, h], fill=hex_color("#e9e6df"))
    walls = [
        hex_color(c) for c in ("#c65d3b", "#e0b04f", "#3f6e8c", "#7a9e7e", "#efe2c9", "#8c4a5b")
    ]
    x = -w * 0.02
    while x < w:
        hw = rng.uniform(w * 0.12, w * 0.18)
        hh = rng.uniform(h * 0.22, h * 0.34)
        wall = rng.choice(walls)
        draw.rectangle([x, ground - hh, x + hw, ground], fill=wall)
        draw.polygon(
            [
                (x - 10, ground - hh),
                (x + hw / 2, ground - hh - h * 0.14),
                (x + hw + 10, ground - hh),
            ],
            fill=hex_color("#3b3b46"),
        )
        draw.polygon(
            [
                (x - 10, ground - hh),
                (x + hw / 2, ground - hh - h * 0.14),
                (x + hw / 2, ground - hh - h * 0.12),
                (x + 6, ground - hh),
            ],
            fill=(255, 255, 255),
        )
        for row in range(2):
            for col in range(2):
                wx = x + hw * (0.18 + col * 0.45)
                wy = ground - hh + hh * (0.15 + row * 0.4)
                draw.rectangle(
                    [wx, wy, wx + hw * 0.2, wy + hh * 0.22],
                    fill=hex_color("#fdf0c4"),
                    outline=(50, 50, 60),
                    width=SUPERSAMPLE * 2,
                )
        ux, uy = x + hw * 0.62, ground - h * 0.07
        draw.rectangle(
            [ux, uy, ux + hw * 0.3, ground - 4],
            fill=hex_color("#f7f7f7"),
            outline=(90, 90, 100),
            width=SUPERSAMPLE * 2,
        )
        r = hw * 0.09
        cx, cy = ux + hw * 0.15, (uy + ground) / 2
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=(90, 90, 100), width=SUPERSAMPLE * 3)
        x += hw + rng.uniform(w * 0.01, w * 0.03)
    for _ in range(160):
        sx, sy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(2, 6) * SUPERSAMPLE
        draw.ellipse([sx - r, sy - r, sx + r, sy + r], fill=(255, 255, 255))


def paint_waves(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Layered bands of water rising over a low shoreline."""
    top = hex_color(rng.choice(["#dfe9e2", "#e8e1d3"]))
    vertical_gradient(draw, (0, 0, w, h), top, hex_color("#9fbfc4"))
    colors = ["#6d9c9f", "#4f8794", "#3d6f86", "#2e5873", "#20425c", "#15304a"]
    for i, color in enumerate(colors):
        base = h * (0.35 + i * 0.11)
        amp = h * rng.uniform(0.015, 0.04)
        freq = rng.uniform(1.5, 3.5)
        phase = rng.uniform(0, math.tau)
        pts = [
            (x, base + amp * math.sin(freq * math.tau * x / w + phase))
            for x in range(0, w + 20, 20)
        ]
        draw.polygon([*pts, (w, h), (0, h)], fill=hex_color(color))
    for _ in range(12):
        x = rng.uniform(0, w)
        y = rng.uniform(h * 0.25, h * 0.45)
        draw.line(
            [(x, y), (x, y - h * rng.uniform(0.05, 0.12))],
            fill=hex_color("#5c6b4e"),
            width=4 * SUPERSAMPLE,
        )
        draw.ellipse([x - 10, y - h * 0.13, x + 10, y - h * 0.09], fill=hex_color("#8a6d3b"))


def paint_flood(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Muddy water around the lower floors of a row of buildings."""
    vertical_gradient(draw, (0, 0, w, h), hex_color("#bcc3c9"), hex_color("#e3ddd1"))
    x = 0.0
    while x < w:
        bw = rng.uniform(w * 0.1, w * 0.16)
        bh = rng.uniform(h * 0.35, h * 0.6)
        color = mix(hex_color("#d9a86c"), hex_color("#c97b63"), rng.random())
        draw.rectangle([x, h * 0.75 - bh, x + bw, h], fill=color)
        for row in range(int(bh // (h * 0.09))):
            for col in range(3):
                wx = x + bw * (0.12 + col * 0.3)
                wy = h * 0.75 - bh + h * 0.03 + row * h * 0.09
                draw.rectangle([wx, wy, wx + bw * 0.18, wy + h * 0.05], fill=hex_color("#49535c"))
        x += bw + 6
    level = h * 0.68
    vertical_gradient(draw, (0, int(level), w, h), hex_color("#9a7f5a"), hex_color("#6e5a40"))
    for _ in range(40):
        y = rng.uniform(level + 8, h)
        x0 = rng.uniform(0, w)
        draw.line(
            [(x0, y), (x0 + rng.uniform(60, 200) * SUPERSAMPLE, y)],
            fill=hex_color("#b59c74"),
            width=2 * SUPERSAMPLE,
        )


def paint_launch(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Portrait: a rocket's curving exhaust trail across a dusk sky."""
    vertical_gradient(draw, (0, 0, w, h), hex_color("#0e1733"), hex_color("#e9875a"))
    for _ in range(120):
        x, y, r = rng.uniform(0, w), rng.uniform(0, h * 0.45), rng.uniform(1, 3) * SUPERSAMPLE
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 240))
    pts = []
    for i in range(60):
        t = i / 59
        pts.append((w * 0.3 + w * 0.35 * t * t, h * 0.9 - h * 0.75 * t))
    for width, color in ((60, "#f3d9c0"), (30, "#fff4e2"), (10, "#ffffff")):
        draw.line(pts, fill=hex_color(color), width=width * SUPERSAMPLE, joint="curve")
    x, y = pts[-1]
    draw.ellipse(
        [x - 22 * SUPERSAMPLE, y - 22 * SUPERSAMPLE, x + 22 * SUPERSAMPLE, y + 22 * SUPERSAMPLE],
        fill=hex_color("#fff1a8"),
    )
    horizon = ridge(rng, w, h * 0.9, h * 0.01)
    draw.polygon([*horizon, (w, h), (0, h)], fill=hex_color("#1c1a24"))


def paint_film(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Portrait: a strip of film frames with sprocket holes."""
    draw.rectangle([0, 0, w, h], fill=hex_color("#2a2522"))
    sx0, sx1 = w * 0.2, w * 0.8
    draw.rectangle([sx0, 0, sx1, h], fill=hex_color("#15110f"))
    hole = w * 0.035
    y = 10.0
    while y < h:
        for hx in (sx0 + w * 0.03, sx1 - w * 0.03 - hole):
            draw.rounded_rectangle(
                [hx, y, hx + hole, y + hole * 1.3], radius=6, fill=hex_color("#d8cfc0")
            )
        y += hole * 2.2
    fy = h * 0.03
    fh = h * 0.3
    while fy < h:
        fx0, fx1 = sx0 + w * 0.1, sx1 - w * 0.1
        tone = rng.uniform(0.2, 0.8)
        vertical_gradient(
            draw,
            (int(fx0), int(fy), int(fx1), int(fy + fh)),
            mix(hex_color("#f3e7d0"), hex_color("#8c7b66"), tone),
            hex_color("#3b332c"),
        )
        cx = rng.uniform(fx0 + 60, fx1 - 60)
        draw.ellipse(
            [
                cx - 40 * SUPERSAMPLE,
                fy + fh * 0.3,
                cx + 40 * SUPERSAMPLE,
                fy + fh * 0.3 + 80 * SUPERSAMPLE,
            ],
            fill=hex_color("#1f1a16"),
        )
        draw.rectangle(
            [
                cx - 60 * SUPERSAMPLE,
                fy + fh * 0.3 + 80 * SUPERSAMPLE,
                cx + 60 * SUPERSAMPLE,
                fy + fh,
            ],
            fill=hex_color("#1f1a16"),
        )
        fy += fh + h * 0.035


def paint_mountains(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Snow peaks above a milky turquoise glacial lake."""
    vertical_gradient(draw, (0, 0, w, h), hex_color("#9cc3e6"), hex_color("#eef3f7"))
    layers = [
        ("#f4f7fa", 0.38, 0.09),
        ("#9aa7b8", 0.5, 0.06),
        ("#6c7a8c", 0.6, 0.05),
        ("#4e5a66", 0.68, 0.03),
    ]
    for color, base, rough in layers:
        line = ridge(rng, w, h * base, h * rough, steps=30)
        draw.polygon([*line, (w, h), (0, h)], fill=hex_color(color))
    lake = [
        (w * 0.1, h * 0.78),
        (w * 0.35, h * 0.71),
        (w * 0.7, h * 0.72),
        (w * 0.92, h * 0.8),
        (w * 0.6, h * 0.9),
        (w * 0.25, h * 0.88),
    ]
    draw.polygon(lake, fill=hex_color("#7fc8c6"))
    draw.line(
        [(w * 0.8, h * 0.79), (w * 0.98, h * 0.98)],
        fill=hex_color("#5a7d8c"),
        width=14 * SUPERSAMPLE,
    )
    draw.rectangle([0, h * 0.95, w, h], fill=hex_color("#4a4f45"))


def paint_boxes(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Warehouse shelving packed with colourful cartons, some gaps showing."""
    draw.rectangle([0, 0, w, h], fill=hex_color("#e8e2d6"))
    shelf = hex_color("#3e4a61")
    cartons = [
        hex_color(c) for c in ("#e07a5f", "#f2cc8f", "#81b29a", "#3d405b", "#f4a259", "#5b8e7d")
    ]
    rows = 4
    for r in range(rows):
        y1 = h * (0.24 + r * 0.22)
        draw.rectangle([0, y1, w, y1 + 12 * SUPERSAMPLE], fill=shelf)
        x = w * 0.02
        while x < w * 0.98:
            bw = rng.uniform(w * 0.05, w * 0.1)
            bh = rng.uniform(h * 0.1, h * 0.18)
            if rng.random() > 0.25:
                draw.rectangle(
                    [x, y1 - bh, x + bw, y1],
                    fill=rng.choice(cartons),
                    outline=(60, 50, 40),
                    width=SUPERSAMPLE * 2,
                )
                draw.line(
                    [(x + bw / 2, y1 - bh), (x + bw / 2, y1 - bh * 0.7)],
                    fill=(250, 245, 235),
                    width=SUPERSAMPLE * 4,
                )
            x += bw + w * 0.01
    for i in range(6):
        draw.rectangle([w * i / 5 - 8, 0, w * i / 5 + 8, h], fill=shelf)


def paint_grains(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Charred seeds scattered on a sieve, seen from above."""
    draw.rectangle([0, 0, w, h], fill=hex_color("#c9b08a"))
    for i in range(0, w, 24 * SUPERSAMPLE):
        draw.line([(i, 0), (i, h)], fill=hex_color("#b89e78"), width=SUPERSAMPLE)
    for j in range(0, h, 24 * SUPERSAMPLE):
        draw.line([(0, j), (w, j)], fill=hex_color("#b89e78"), width=SUPERSAMPLE)
    for _ in range(260):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        a = rng.uniform(10, 22) * SUPERSAMPLE
        b = a * rng.uniform(0.45, 0.65)
        angle = rng.uniform(0, math.pi)
        pts = [
            (
                x + a * math.cos(t) * math.cos(angle) - b * math.sin(t) * math.sin(angle),
                y + a * math.cos(t) * math.sin(angle) + b * math.sin(t) * math.cos(angle),
            )
            for t in (k * math.tau / 20 for k in range(20))
        ]
        draw.polygon(pts, fill=mix(hex_color("#2b1d14"), hex_color("#6b4a2e"), rng.random()))
    r = h * 0.16
    draw.ellipse(
        [w * 0.7 - r, h * 0.3 - r, w * 0.7 + r, h * 0.3 + r],
        outline=hex_color("#f2efe8"),
        width=8 * SUPERSAMPLE,
    )


def paint_records(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """A dashboard of record cards, some of them highlighted as offline copies."""
    draw.rectangle([0, 0, w, h], fill=hex_color("#eaf0f4"))
    cols, rows = 5, 4
    pad = w * 0.02
    cw = (w - pad * (cols + 1)) / cols
    ch = (h - pad * (rows + 1)) / rows
    for r in range(rows):
        for c in range(cols):
            x0, y0 = pad + c * (cw + pad), pad + r * (ch + pad)
            offline = rng.random() < 0.35
            draw.rounded_rectangle(
                [x0, y0, x0 + cw, y0 + ch],
                radius=18 * SUPERSAMPLE,
                fill=hex_color("#ffffff"),
                outline=hex_color("#2a9d8f") if offline else hex_color("#c5d0d8"),
                width=5 * SUPERSAMPLE if offline else 2 * SUPERSAMPLE,
            )
            draw.rectangle(
                [x0 + cw * 0.08, y0 + ch * 0.15, x0 + cw * 0.5, y0 + ch * 0.25],
                fill=hex_color("#264653"),
            )
            for k in range(3):
                lw = cw * rng.uniform(0.4, 0.82)
                yy = y0 + ch * (0.4 + 0.16 * k)
                draw.rectangle(
                    [x0 + cw * 0.08, yy, x0 + cw * 0.08 + lw, yy + ch * 0.06],
                    fill=hex_color("#b8c4cc"),
                )
            if offline:
                r_ = ch * 0.1
                cx, cy = x0 + cw * 0.85, y0 + ch * 0.2
                draw.ellipse([cx - r_, cy - r_, cx + r_, cy + r_], fill=hex_color("#2a9d8f"))


def paint_night_sky(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Portrait: a starfield with a bright comet above a desert ridge."""
    vertical_gradient(draw, (0, 0, w, h), hex_color("#050814"), hex_color("#24365c"))
    for _ in range(700):
        x, y = rng.uniform(0, w), rng.uniform(0, h * 0.85)
        r: float = rng.choice([1, 1, 1, 2, 3]) * SUPERSAMPLE
        draw.ellipse(
            [x - r, y - r, x + r, y + r],
            fill=mix((255, 255, 255), hex_color("#a8c5ff"), rng.random()),
        )
    hx, hy = w * 0.62, h * 0.3
    for i in range(40, 0, -1):
        t = i / 40
        tx, ty = hx - w * 0.5 * t, hy - h * 0.22 * t
        r = (8 + 70 * t) * SUPERSAMPLE
        draw.ellipse(
            [tx - r, ty - r * 0.5, tx + r, ty + r * 0.5],
            fill=mix(hex_color("#cfe9ff"), hex_color("#0b1228"), 0.35 + 0.6 * t),
        )
    r = 16 * SUPERSAMPLE
    draw.ellipse([hx - r, hy - r, hx + r, hy + r], fill=hex_color("#ffffff"))
    line = ridge(rng, w, h * 0.86, h * 0.03, steps=24)
    draw.polygon([*line, (w, h), (0, h)], fill=hex_color("#0d0a10"))
    draw.rectangle(
        [w * 0.15, h * 0.86 - 60 * SUPERSAMPLE, w * 0.15 + 8 * SUPERSAMPLE, h * 0.9],
        fill=hex_color("#0d0a10"),
    )
    draw.polygon(
        [
            (w * 0.15 - 30 * SUPERSAMPLE, h * 0.86 - 60 * SUPERSAMPLE),
            (w * 0.15 + 40 * SUPERSAMPLE, h * 0.86 - 110 * SUPERSAMPLE),
            (w * 0.15 + 50 * SUPERSAMPLE, h * 0.86 - 70 * SUPERSAMPLE),
        ],
        fill=hex_color("#0d0a10"),
    )


def paint_bookshop(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Tall shelves of book spines in warm lamplight."""
    draw.rectangle([0, 0, w, h], fill=hex_color("#4a2f22"))
    spines = [
        hex_color(c)
        for c in (
            "#8c2f39",
            "#b23a48",
            "#fcb9b2",
            "#461220",
            "#2c5f2d",
            "#97bc62",
            "#1d3557",
            "#e9c46a",
            "#f4f1de",
        )
    ]
    shelves = 5
    for s in range(shelves):
        y1 = h * (s + 1) / shelves - 10
        draw.rectangle([0, y1, w, y1 + 18 * SUPERSAMPLE], fill=hex_color("#2b1a12"))
        x = 8.0
        while x < w - 8:
            bw = rng.uniform(18, 46) * SUPERSAMPLE
            bh = rng.uniform(0.65, 0.92) * (h / shelves - 30)
            lean = rng.random() < 0.06
            color = rng.choice(spines)
            if lean:
                draw.polygon(
                    [
                        (x, y1),
                        (x + bw, y1),
                        (x + bw + bh * 0.25, y1 - bh),
                        (x + bh * 0.25, y1 - bh),
                    ],
                    fill=color,
                )
                x += bw + bh * 0.25
            else:
                draw.rectangle([x, y1 - bh, x + bw, y1], fill=color)
                draw.rectangle(
                    [x + bw * 0.2, y1 - bh * 0.8, x + bw * 0.8, y1 - bh * 0.74],
                    fill=mix(color, (255, 240, 200), 0.5),
                )
            x += bw + rng.uniform(1, 4) * SUPERSAMPLE
    for k in range(12, 0, -1):
        r = k * 50 * SUPERSAMPLE
        draw.ellipse(
            [w * 0.5 - r, -r, w * 0.5 + r, r],
            outline=mix(hex_color("#ffd58a"), hex_color("#4a2f22"), k / 12),
            width=3 * SUPERSAMPLE,
        )


def paint_rails(draw: ImageDraw.ImageDraw, rng: random.Random, w: int, h: int) -> None:
    """Rails converging towards a lit sleeper carriage at dusk."""
    vertical_gradient(draw, (0, 0, w, int(h * 0.55)), hex_color("#1f2a4d"), hex_color("#e6a57e"))
    vertical_gradient(draw, (0, int(h * 0.55), w, h), hex_color("#3b3a40"), hex_color("#1a191d"))
    hills = ridge(rng, w, h * 0.52, h * 0.03, steps=20)
    draw.polygon([*hills, (w, h * 0.56), (0, h * 0.56)], fill=hex_color("#2e2f45"))
    vx, vy = w * 0.5, h * 0.55
    for i in range(18):
        t = (i / 18) ** 2
        y = vy + (h - vy) * t
        half = w * 0.05 + w * 0.5 * t
        draw.line(
            [(vx - half, y), (vx + half, y)],
            fill=hex_color("#5a4a3a"),
            width=max(2, int(12 * t * SUPERSAMPLE)),
        )
    for side in (-1, 1):
        draw.line(
            [(vx + side * w * 0.02, vy), (vx + side * w * 0.32, h)],
            fill=hex_color("#c9c3b8"),
            width=6 * SUPERSAMPLE,
        )
    cx0, cx1 = w * 0.58, w * 0.98
    draw.rectangle([cx0, h * 0.36, cx1, h * 0.56], fill=hex_color("#274060"))
    for k in range(7):
        wx = cx0 + (cx1 - cx0) * (0.05 + k * 0.135)
        draw.rectangle([wx, h * 0.4, wx + (cx1 - cx0) * 0.09, h * 0.47], fill=hex_color("#ffd98e"))
    draw.line([(cx0, h * 0.5), (cx1, h * 0.5)], fill=hex_color("#c9a227"), width=4 * SUPERSAMPLE)


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class Picture:
    """One sample image: where it goes, how it is drawn and its seed."""

    path: str
    painter: Painter
    seed: int
    size: tuple[int, int] = LANDSCAPE


PICTURES: tuple[Picture, ...] = (
    Picture("shared/harbour-cranes.jpg", paint_harbour, 101),
    Picture("2026-11-23/coral-survey.jpg", paint_reef, 231),
    Picture("2026-11-23/mekong-gauges.jpg", paint_river_map, 232),
    Picture("2026-11-23/library-sensors.jpg", paint_sensor, 233),
    Picture("2026-11-24/heat-pump-street.jpg", paint_rooftops, 241),
    Picture("2026-11-24/heat-pump-chart.jpg", paint_chart, 242),
    Picture("2026-11-24/flood-cleanup.jpg", paint_flood, 243),
    Picture("2026-11-24/satellite-launch.jpg", paint_launch, 244, PORTRAIT),
    Picture("2026-11-24/silent-film.jpg", paint_film, 245, PORTRAIT),
    Picture("2026-11-25/glacial-lake.jpg", paint_mountains, 251),
    Picture("2026-11-25/toy-warehouse.jpg", paint_boxes, 252),
    Picture("2026-11-25/charred-grain.jpg", paint_grains, 253),
    Picture("2026-11-25/offline-records.jpg", paint_records, 254),
    Picture("2026-11-26/marsh-streets.jpg", paint_waves, 261),
    Picture("2026-11-26/comet-outburst.jpg", paint_night_sky, 262, PORTRAIT),
    Picture("2026-11-26/bookshop-shelves.jpg", paint_bookshop, 263, PORTRAIT),
    Picture("2026-11-26/night-train.jpg", paint_rails, 264),
)


def render(picture: Picture) -> Image.Image:
    """Draw a picture at twice its size, then downsample for smooth edges."""
    w, h = picture.size[0] * SUPERSAMPLE, picture.size[1] * SUPERSAMPLE
    image = Image.new("RGB", (w, h), (255, 255, 255))
    picture.painter(ImageDraw.Draw(image), random.Random(picture.seed), w, h)
    image = image.resize(picture.size, Image.Resampling.LANCZOS)
    return image.filter(ImageFilter.SMOOTH)


def main(argv: list[str] | None = None) -> int:
    """Write every sample image below the content folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parent.parent / "content"
    parser.add_argument(
        "--content", type=Path, default=default, help="content folder (default: %(default)s)"
    )
    args = parser.parse_args(argv)
    for picture in PICTURES:
        target = args.content / picture.path
        target.parent.mkdir(parents=True, exist_ok=True)
        render(picture).save(target, "JPEG", quality=QUALITY, optimize=True, progressive=True)
        print(f"{target}  {target.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
