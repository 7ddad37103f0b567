"""helpers.plots.reading: photos with what the network saw and said, lines with their boxes."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from helpers import plots  # noqa: E402
from helpers.reading import character_photo, classify, generate_lines, read  # noqa: E402


def test_reading_figures_draw_one_box_per_character_and_tables_list_the_guesses(
        glyph_recognizer, reading_glyphs):
    recognizer, glyphs = glyph_recognizer, reading_glyphs
    lines = generate_lines(glyphs, 2, seed=4)
    readings = [read(recognizer, line.image) for line in lines]
    fig = plots.line_readings([line.image for line in lines], readings,
                              [line.text for line in lines])
    assert [len(ax.patches) for ax in fig.axes] == [len(r.characters) for r in readings]
    assert lines[0].text in fig.axes[0].get_title(loc="left")
    rng = np.random.default_rng(0)
    photos = [character_photo(glyphs.x_test[i], rng) for i in range(3)]
    predictions = [classify(recognizer, p, top_k=3) for p in photos]
    fig = plots.photo_predictions(photos, predictions, ["A", "B", "C"], cols=2)
    assert sum(bool(ax.images) for ax in fig.axes) == 6
    table = plots.top_table(predictions, ["A", "B", "C"])
    assert list(table.columns) == ["true", "top 1", "top 2", "top 3"] and len(table) == 3
    assert list(table.index) == [1, 2, 3] and table.index.name == "image"
    both = plots.readings_table(lines, readings)
    assert list(both.columns) == ["truth", "first choices (no lexicon)", "with the lexicon"]
    assert list(both.index) == [1, 2] and both.index.name == "line"
    assert both["truth"].tolist() == [line.text for line in lines]
    assert "with the lexicon" not in plots.readings_table(lines, readings, lexicon=False)
    assert plots.readings_table([], []) is None
    plt.close("all")
