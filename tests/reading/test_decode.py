"""Reading with context: the lexicon, the beam search with its case rules, canonical CER, and
lines of real words."""

import numpy as np
import pytest

from helpers.data import DataError, Dataset
from helpers.reading.decode import decode, words
from helpers.reading.lexicon import DEFAULT_WORDS, Lexicon, class_of

MERGED47 = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabdefghnqrt")  # EMNIST's 47 classes
GLYPHS36 = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
BYCLASS62 = list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def table(text: str, classes: list[str], sure: float = 0.9,
          doubts: dict[int, dict[str, float]] | None = None) -> np.ndarray:
    """Probabilities (one row per character of `text`, spaces skipped) whose first choice spells
    `text`, with `doubts[i]` = {class: probability} as the runners-up of character i."""
    chars = text.replace(" ", "")
    rows = np.full((len(chars), len(classes)), 1e-4)
    for i, char in enumerate(chars):
        rows[i, classes.index(char)] = sure
        for other, p in (doubts or {}).get(i, {}).items():
            rows[i, classes.index(other)] = p
    return rows / rows.sum(1, keepdims=True)


def spaces(text: str) -> list[bool]:
    """`segment.space_after` of a text: for each character but the last, whether a space follows."""
    flags = []
    for char in text:
        if char == " ":
            flags[-1] = True
        else:
            flags.append(False)
    return flags[:-1]


@pytest.fixture(scope="module")
def english():
    return Lexicon.default()


def test_the_default_lexicon_is_wordfreqs_english_top_words(english):
    assert len(english) == DEFAULT_WORDS and "wordfreq" in str(english)
    assert english.words[:3] == ("the", "to", "and")
    assert all(w.isascii() and w.isalpha() for w in english.words)
    assert np.exp(english.log_prior.astype(float)).sum() == pytest.approx(1, abs=1e-3)
    assert np.all(np.diff(english.log_prior) <= 0)  # most frequent first
    assert Lexicon.default() is english  # built once per process


def test_argmax_errors_are_mended_by_the_lexicon(english):
    hell0 = table("HELL0", MERGED47, 0.6, {4: {"O": 0.35}})
    assert decode(hell0, MERGED47, None, english).text == "HELLO"
    he11o = table("he11O", MERGED47, 0.6, {2: {"L": 0.3}, 3: {"L": 0.3}})
    decoded = decode(he11o, MERGED47, None, english)
    assert decoded.text == "hello" and [MERGED47[k] for k in decoded.chosen] == list("heLLO")
    line = "THF QUICK BR0WN F0X"
    doubts = {2: {"E": 0.3}, 10: {"O": 0.3}, 14: {"O": 0.3}}
    assert decode(table(line, MERGED47, 0.6, doubts), MERGED47, spaces(line),
                  english).text == "THE QUICK BROWN FOX"


def test_a_string_the_network_is_sure_of_stays_as_read(english):
    for text in ("XQZTV", "K7PW", "Q 9X"):
        assert decode(table(text, MERGED47), MERGED47, spaces(text), english).text == text
    # One letter from "cold", but the network gives O a thousandth of Q's probability.
    sure = table("CQLD", MERGED47, 0.999, {1: {"O": 0.001}})
    assert decode(sure, MERGED47, None, english).text == "CQLD"
    unsure = table("CQLD", MERGED47, 0.6, {1: {"O": 0.35}})
    assert decode(unsure, MERGED47, None, english).text == "COLD"


def test_merged_classes_reach_words_and_take_the_case_their_letters_show(english):
    # o, l and c are the classes O, L and C in EMNIST's 47: "cold" is reached from C, O, L, d.
    assert decode(table("COLd", MERGED47), MERGED47, None, english).text == "cold"
    assert decode(table("COLD", MERGED47), MERGED47, None, english).text == "COLD"
    assert decode(table("Hen", MERGED47), MERGED47, None, english).text == "Hen"
    # The glyphs have upper case only: words come out in upper case.
    assert decode(table("C0LD", GLYPHS36, 0.6, {1: {"O": 0.35}}), GLYPHS36, None,
                  english).text == "COLD"
    # A word the lexicon spells with a capital keeps it in lower-case text.
    names = Lexicon.from_counts([("Paris", 5), ("pans", 1)], "test")
    assert decode(table("paris", BYCLASS62), BYCLASS62, None, names).text == "Paris"


def test_case_rules_one_case_per_word():
    # Without a lexicon: a lower-case h inside an upper-case word becomes H when unsure ...
    doubt = table("ThE", MERGED47, 0.6, {1: {"H": 0.35}})
    assert decode(doubt, MERGED47).text == "THE"
    assert decode(doubt, MERGED47, lexicon=None).chars == ["T", "H", "E"]
    # ... and stays h when the network is sure; Capitalised words are in case.
    assert decode(table("ThE", MERGED47, 0.95, {1: {"H": 0.03}}), MERGED47).text == "ThE"
    assert decode(table("Then", MERGED47, 0.6, {1: {"H": 0.35}}), MERGED47).text == "Then"
    # Byclass: an upper-case letter inside a lower-case word.
    assert decode(table("woRd", BYCLASS62, 0.6, {2: {"r": 0.35}}), BYCLASS62).text == "word"
    # Merged letters of a word out of the lexicon follow the case of its other letters.
    assert decode(table("XYdb", MERGED47), MERGED47).text == "xydb"


def test_digits_among_digits_and_letters_among_letters():
    assert decode(table("2O19", MERGED47, 0.45, {1: {"0": 0.4}}), MERGED47).text == "2019"
    assert decode(table("XY0Z", MERGED47, 0.45, {2: {"O": 0.4}}), MERGED47).text == "XYOZ"
    assert decode(table("XY0Z", MERGED47, 0.9, {2: {"O": 0.05}}), MERGED47).text == "XY0Z"


def test_words_split_at_the_spaces():
    assert words(5, [False, True, False, False]) == [(0, 2), (2, 5)]
    assert words(3, []) == [(0, 3)] and words(1, None) == [(0, 1)]
    decoded = decode(table("AB C", GLYPHS36), GLYPHS36, [False, True])
    assert decoded.text == "AB C" and len(decoded.chars) == len(decoded.chosen) == 3
    with pytest.raises(DataError, match="shape"):
        decode(np.ones((2, 5)), GLYPHS36)


def test_a_word_list_file_is_read_with_or_without_counts(tmp_path):
    path = tmp_path / "words.txt"
    path.write_text("cold 30\nhello\t10\n\nHello 2\nzebra\n")
    lexicon = Lexicon.from_file(path)
    assert lexicon.words == ("cold", "hello", "zebra") and str(path) in str(lexicon)
    shares = np.exp(lexicon.log_prior.astype(float))
    assert shares == pytest.approx([30 / 43, 12 / 43, 1 / 43])
    assert decode(table("C0LD", GLYPHS36, 0.6, {1: {"O": 0.35}}), GLYPHS36, None,
                  lexicon).text == "COLD"


@pytest.mark.parametrize(("content", "message"), [
    ("", "words.txt: the word list is empty"),
    ("\n  \n", "words.txt: the word list is empty"),
    ("cold 3\nhot three\n", "words.txt, line 2: the count of 'hot' must be a positive number"),
    ("cold -1\n", "line 1: the count of 'cold' must be a positive number"),
    ("cold 3 4\n", "line 1: expected a word and optionally a count, got 3 fields"),
])
def test_a_bad_word_list_is_named_with_its_line(tmp_path, content, message):
    path = tmp_path / "words.txt"
    path.write_text(content)
    with pytest.raises(DataError, match=message):
        Lexicon.from_file(path)


def test_a_missing_or_binary_word_list_is_named(tmp_path):
    with pytest.raises(DataError, match="missing.txt: no such word list"):
        Lexicon.from_file(tmp_path / "missing.txt")
    binary = tmp_path / "words.bin"
    binary.write_bytes(b"\xff\xfe\x00cold")
    with pytest.raises(DataError, match="words.bin: not a UTF-8 text file"):
        Lexicon.from_file(binary)


def test_canonical_text_counts_only_the_case_a_model_can_see():
    from helpers.reading.cer import canonical, cer

    assert class_of("o", MERGED47) == "O" and class_of("d", MERGED47) == "d"
    assert class_of("o", GLYPHS36) == "O" and class_of("é", GLYPHS36) is None
    assert canonical("Cold day", MERGED47) == "COLd daY"
    assert canonical("Cold day", BYCLASS62) == "Cold day"
    # o/O and c/C are one class in the 47: no error; d/D are two: one error in 4.
    assert cer(["COLD"], ["cold"], MERGED47) == pytest.approx(1 / 4)
    assert cer(["cOLd"], ["Cold"], MERGED47) == 0
    assert cer(["cold"], ["COLD"], GLYPHS36) == 0 and cer(["cold"], ["COLD"]) == 1


def test_word_lines_spell_sampled_words_with_images_of_their_classes():
    from helpers.reading.lines import generate_word_lines

    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (2 * len(MERGED47), 28, 28), dtype=np.uint8)
    images[:, :4] = 0
    labels = np.tile(np.arange(len(MERGED47)), 2)
    dataset = Dataset(images, labels, images, labels, tuple(MERGED47), "fake47")
    lexicon = Lexicon.from_counts([("cold", 5), ("Day", 3), ("a", 50), ("jazz", 1),
                                   ("café", 9), ("x2", 4)], "test words")
    lines = generate_word_lines(dataset, 30, lexicon=lexicon, seed=1, words=(1, 3),
                                cases={"lower": 1, "upper": 1})
    written = [word for line in lines for word in line.text.split(" ")]
    assert {w.lower() for w in written} <= {"cold", "day", "jazz", "x2"}  # "a" and "café" can't
    assert {"cold", "COLD"} <= set(written) and written.count("cold") > written.count("jazz")
    for line in lines:
        chars = line.text.replace(" ", "")
        assert len(line.indices) == len(chars) == len(line.boxes)
        assert [MERGED47[labels[i]] for i in line.indices] == [class_of(c, MERGED47)
                                                                 for c in chars]
    with pytest.raises(DataError, match="no word"):
        generate_word_lines(dataset, 1, lexicon=Lexicon.from_counts([("é", 1)], "odd"))
