"""Sizes every figure keeps so that it reads on paper as on screen.

The report prints a notebook's PNG (matplotlib's default 100 dpi, which the inline backend
keeps) at its natural size, shrunk only where it is wider than the A4 body frame (17 cm,
482 pt). A figure at most `WIDTH` inches wide is never shrunk, so a font of `SMALL` points
prints at `SMALL` points or a little more; a wider figure would shrink every text in it.
"""

WIDTH = 6.4  # inches: the widest figure the A4 report prints without shrinking
SMALL = 7.5  # points: the smallest text in any figure (tick labels, cell numbers, names)
LABEL = 9  # points: axis labels, legends and panel titles of a crowded figure
