"""Words a line of characters is likely to spell, and how text maps onto a model's classes.

A `Lexicon` is a list of words, each with a log prior (the natural log of its share of all the
word counts), and a trie over their lower-case spellings so a decoder can follow a word letter
by letter (`decode`). `Lexicon.default()` is the 50,000 most frequent English words made
of the letters a-z in wordfreq 3.1.1 (Robyn Speer's word frequencies from Wikipedia, subtitles,
news, books, the web and Twitter; the data ship inside the wheel, so no download); its prior is
wordfreq's frequency. `Lexicon.from_file` reads your own list, one word per line, optionally
followed by a count.

`class_of` says which of a model's classes stands for a character: the class of that exact
character, or else the class of the other case (EMNIST's 47 classes fold o into O; the glyphs
have upper case only).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from helpers.errors import DataError

DEFAULT_WORDS = 50_000
DEFAULT_SOURCE = "wordfreq 3.1.1, English"


def class_of(char: str, classes: Collection[str]) -> str | None:
    """The class that represents `char` among `classes`: itself, else its other case, else
    None."""
    if char in classes:
        return char
    other = char.swapcase()
    return other if len(other) == 1 and other in classes else None


def lower(word: str) -> str:
    """Lower case, one character for one (a character whose lower case is longer stays)."""
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in word)


@dataclass(frozen=True)
class Trie:
    """The lower-case spellings of a lexicon's words as a trie in flat arrays.

    Node 0 is the empty prefix. `step(nodes, symbols)` follows one letter for many nodes at
    once: edges are keys `node * len(symbols) + symbol`, sorted, found with `searchsorted`.
    """

    symbols: dict[str, int]  # letter -> symbol number
    keys: np.ndarray  # int64, sorted: node * len(symbols) + symbol
    children: np.ndarray  # int32, the node each key leads to
    word: np.ndarray  # int32 per node: the index of the word ending there, or -1
    best: np.ndarray  # float32 per node: the highest log prior of a word at or below it

    @classmethod
    def build(cls, spellings: Sequence[str], log_prior: np.ndarray) -> Trie:
        symbols = {c: i for i, c in enumerate(sorted({c for w in spellings for c in w}))}
        size = len(symbols)
        prefixes: dict[str, int] = {"": 0}
        edges: dict[int, int] = {}
        word, best = [-1], [-math.inf]
        for index, spelling in enumerate(spellings):
            prior = float(log_prior[index])
            node = 0
            best[0] = max(best[0], prior)
            for end in range(1, len(spelling) + 1):
                prefix = spelling[:end]
                child = prefixes.get(prefix)
                if child is None:
                    child = prefixes[prefix] = len(word)
                    edges[node * size + symbols[spelling[end - 1]]] = child
                    word.append(-1)
                    best.append(prior)
                else:
                    best[child] = max(best[child], prior)
                node = child
            if word[node] < 0:
                word[node] = index
        keys = np.fromiter(edges.keys(), np.int64, len(edges))
        order = np.argsort(keys)
        children = np.fromiter(edges.values(), np.int32, len(edges))[order]
        return cls(symbols, keys[order], children, np.array(word, np.int32),
                   np.array(best, np.float32))

    def step(self, nodes: np.ndarray, symbols: np.ndarray) -> np.ndarray:
        """The node after each (node, symbol) pair; -1 where that prefix is no word's, or where
        the node or the symbol already is -1."""
        query = nodes.astype(np.int64) * len(self.symbols) + symbols
        if not len(self.keys):
            return np.full(query.shape, -1, np.int32)
        at = np.minimum(np.searchsorted(self.keys, query), len(self.keys) - 1)
        found = (self.keys[at] == query) & (nodes >= 0) & (symbols >= 0)
        return np.where(found, self.children[at], -1).astype(np.int32)


@dataclass(frozen=True, eq=False)
class Lexicon:
    """Words with the natural log of their prior probability (shares of the counts, summing to
    one); `source` says where they came from. Case does not matter for matching: "cold" is
    found from the classes C, O, L, d and spelled as the list spells it."""

    words: tuple[str, ...]
    log_prior: np.ndarray
    source: str

    def __post_init__(self):
        if not self.words:
            raise DataError(f"{self.source}: a lexicon needs at least one word")
        if len(self.log_prior) != len(self.words):
            raise DataError(f"{self.source}: {len(self.words)} words but "
                            f"{len(self.log_prior)} priors")

    def __len__(self) -> int:
        return len(self.words)

    def __str__(self) -> str:
        return f"{self.source}, {len(self):,} words"

    def __repr__(self) -> str:
        return f"Lexicon({self})"

    @classmethod
    def from_counts(cls, counts: Iterable[tuple[str, float]], source: str) -> Lexicon:
        """Words and their counts (any positive numbers); spellings that differ only in case
        are one word, spelled as its most frequent spelling, with the counts added up."""
        totals: dict[str, float] = {}
        spelling: dict[str, tuple[float, str]] = {}
        for word, count in counts:
            key = lower(word)
            totals[key] = totals.get(key, 0.0) + count
            if key not in spelling or count > spelling[key][0]:
                spelling[key] = (count, word)
        if not totals:
            raise DataError(f"{source}: no words in it; give one word per line, optionally "
                            "followed by a count")
        keys = sorted(totals, key=lambda k: -totals[k])  # most frequent first
        values = np.array([totals[k] for k in keys], np.float64)
        log_prior = np.log(values / values.sum()).astype(np.float32)
        return cls(tuple(spelling[k][1] for k in keys), log_prior, source)

    @classmethod
    def from_file(cls, path: str | Path) -> Lexicon:
        """One word per line, optionally followed by whitespace and a count (a positive number;
        a missing count is 1). Blank lines are skipped."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise DataError(f"{path}: no such word list") from None
        except UnicodeDecodeError as e:
            raise DataError(f"{path}: not a UTF-8 text file ({e.reason} at byte {e.start}); "
                            "save the word list as UTF-8") from None
        except OSError as e:
            raise DataError(f"{path}: cannot be read ({e.strerror or e})") from None
        counts = []
        for number, line in enumerate(text.splitlines(), 1):
            fields = line.split()
            if not fields:
                continue
            if len(fields) > 2:
                raise DataError(f"{path}, line {number}: expected a word and optionally a "
                                f"count, got {len(fields)} fields: {line.strip()!r}")
            count = 1.0
            if len(fields) == 2:
                try:
                    count = float(fields[1])
                except ValueError:
                    count = math.nan
                if not (math.isfinite(count) and count > 0):
                    raise DataError(f"{path}, line {number}: the count of {fields[0]!r} must "
                                    f"be a positive number, got {fields[1]!r}")
            counts.append((fields[0], count))
        if not counts:
            raise DataError(f"{path}: the word list is empty; give one word per line, "
                            "optionally followed by a count")
        return cls.from_counts(counts, str(path))

    @classmethod
    def default(cls, size: int = DEFAULT_WORDS) -> Lexicon:
        """The `size` most frequent English words of the letters a-z, from wordfreq 3.1.1 (its
        "best" English list), with wordfreq's frequencies as counts. Built once per process."""
        return _english(size)

    @functools.cached_property
    def spellings(self) -> tuple[str, ...]:
        """The words in lower case, as the trie holds them."""
        return tuple(lower(w) for w in self.words)

    @functools.cached_property
    def trie(self) -> Trie:
        return Trie.build(self.spellings, self.log_prior)


@functools.lru_cache(maxsize=2)
def _english(size: int) -> Lexicon:
    import wordfreq

    frequency = wordfreq.get_frequency_dict("en")
    # Twice as many as wanted: some of the most frequent are numbers or have apostrophes.
    words = [w for w in wordfreq.top_n_list("en", 2 * size) if w.isascii() and w.isalpha()]
    return Lexicon.from_counts(((w, frequency[w]) for w in words[:size]),
                               DEFAULT_SOURCE)
