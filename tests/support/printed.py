"""How large a figure's text prints in the PDF report.

A notebook shows a figure as the PNG Jupyter's inline backend makes of it (`savefig` at the
figure's dpi with a tight bounding box); the report gives that PNG the width in points that
`helpers.report.pdf.figure_html` chooses (its natural size, or less where the A4 body frame
or the page height is smaller). A text of `fontsize` points is `fontsize × dpi / 72` pixels in
the PNG, and each pixel prints at (printed width ÷ PNG width) points.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from unittest import mock

import matplotlib.text
from PIL import Image

from helpers.report.pdf import figure_html


@dataclass(frozen=True)
class PrintedText:
    text: str
    points: float  # its font size on paper


def png_as_shown(fig) -> bytes:
    """The PNG of `fig` as the inline backend makes it."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, bbox_inches="tight")
    return buffer.getvalue()


def printed_width(png: bytes) -> float:
    """The width in points the report gives this PNG."""
    markup = figure_html(base64.b64encode(png).decode(), "image/png")
    return float(re.search(r"width: ([\d.]+)pt", markup).group(1))


def printed_texts(fig) -> list[PrintedText]:
    """Every non-empty text the figure draws (titles, labels, ticks, legends, annotations),
    with its printed size."""
    drawn: list[tuple[str, float]] = []
    draw = matplotlib.text.Text.draw

    def recording(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append((self.get_text(), self.get_fontsize()))
        return draw(self, renderer)

    with mock.patch.object(matplotlib.text.Text, "draw", recording):
        png = png_as_shown(fig)
    pixels_wide = Image.open(io.BytesIO(png)).size[0]
    points_per_pixel = printed_width(png) / pixels_wide
    # The tight bounding box draws the figure more than once; keep each text once.
    unique = dict.fromkeys(drawn)
    return [PrintedText(text, size * fig.dpi / 72 * points_per_pixel) for text, size in unique]


def smallest(fig) -> PrintedText:
    """The text that prints smallest."""
    return min(printed_texts(fig), key=lambda t: t.points)
