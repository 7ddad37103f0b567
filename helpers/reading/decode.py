"""From per-character probabilities to text, using the context of words: a lexicon and case.

`decode` takes the probabilities a network gave each character of a line (N×K, one row per
character, in the order of `classes`) and where the word spaces are, and picks each word's
spelling by a beam search over the `TOP_K` likeliest classes of each of its characters. A
spelling scores

    sum of log p(class) of its characters
    + LEXICON_WEIGHT × log prior of the word       when it is a word of the lexicon,
      LEXICON_WEIGHT × (OOV_LOG_PRIOR − n log K)    when it is not (n characters, K classes)
    − CASE_PENALTY × letters out of case            (one case per word: lower, Capitalised, UPPER)
    − MIX_PENALTY × min(letters, digits)            (letters among letters, digits among digits).

A string out of the lexicon (a number, a name, a code) is priced as one of the K^n strings of
its length, sharing the probability e^OOV_LOG_PRIOR of all such strings; so a frequent word
beats the string next to it by many nats, a rare one by few, and a rare short "word" not at
all: short random strings are left alone, long ones that nearly spell a word are not.

The beam follows the lexicon's trie, so a prefix that starts no word is known to be out of the
vocabulary as soon as it is made, and a prefix that does is scored by the best word below it.
A class may stand for both cases of a letter (EMNIST's 47 classes fold o into O; the glyphs
have upper case only): "cold" is reached from the classes C, O, L, d, and a word of the
lexicon is spelled as the lexicon spells it, in the case its unambiguous letters show.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from helpers.errors import DataError
from helpers.reading.lexicon import Lexicon

# The weights are in nats, the unit of the characters' log probabilities, so each says how much
# evidence from the network it takes to overrule the rule. They were set on EMNIST (47 classes)
# and glyph lines of real words and of random strings, generated with other seeds than the
# benchmark's: a word the network nearly read wins, a string it is sure of stays as read, and
# random strings, full of mixed cases and of digits among letters, lose little.
TOP_K = 8  # classes tried per character: 5 mends fewer words, beyond 8 the network rules them out
BEAM = 24  # spellings kept per word while it is read letter by letter
LEXICON_WEIGHT = 0.4  # the share of the language model: a word's log prior (−3 for "the", −15
# for the rarest of 50,000) counts 0.4 of the network's log probabilities; 0.3 helps words
# less, 0.5 costs random strings more
OOV_LOG_PRIOR = -4.0  # e^-4 ≈ 2% of words are outside the lexicon (names, numbers, codes)
CASE_PENALTY = 1.0  # per letter out of its word's case: the network overrules it at odds of e:1
MIX_PENALTY = 0.25  # per digit among letters or letter among digits (0/O, 1/I, 5/S, 8/B): mild,
# because codes and random strings mix them; the lexicon already mends words like HELL0
FLOOR = 1e-12  # probabilities are clipped here before their log

UNKNOWN, UPPER, LOWER = 0, 1, 2  # the case a class shows: UNKNOWN for digits and merged letters
PATTERNS = ("lower", "upper", "capitalised")  # in this order where letters fit several


@dataclass(frozen=True)
class Decoded:
    """For each character (row of the probabilities), the class chosen and how it is spelled
    in `text`, which has a space wherever the line has one."""

    chosen: list[int]
    chars: list[str]
    text: str


@dataclass(frozen=True)
class _Classes:
    """What the decoder needs to know about each class, as arrays indexed by class."""

    names: tuple[str, ...]
    symbol: np.ndarray  # the class's letter in the lexicon's trie, or -1
    case: np.ndarray  # UNKNOWN, UPPER or LOWER
    letter: np.ndarray  # 1 for letters
    digit: np.ndarray  # 1 for digits


@functools.lru_cache(maxsize=16)
def _classes(names: tuple[str, ...], lexicon: Lexicon | None) -> _Classes:
    symbols = lexicon.trie.symbols if lexicon is not None else {}
    case = []
    for name in names:
        other = name.swapcase()
        distinct = name.isalpha() and other != name and other in names
        case.append(UNKNOWN if not distinct else UPPER if name.isupper() else LOWER)
    return _Classes(
        names,
        np.array([symbols.get(n.lower(), -1) if len(n) == 1 else -1 for n in names], np.int64),
        np.array(case, np.int8),
        np.array([n.isalpha() for n in names], np.int16),
        np.array([n.isdigit() for n in names], np.int16))


def words(count: int, space_after: Sequence[bool] | None) -> list[tuple[int, int]]:
    """(start, stop) of each word of `count` characters, split where `space_after` is true."""
    spaces = list(space_after or [])
    bounds, start = [], 0
    for i in range(count):
        if i == count - 1 or (i < len(spaces) and spaces[i]):
            bounds.append((start, i + 1))
            start = i + 1
    return bounds


def _case_violations(first, upper_rest, lower_rest) -> np.ndarray:
    """Letters out of case for each of the PATTERNS, stacked on axis 0."""
    return np.stack([upper_rest + (first == UPPER), lower_rest + (first == LOWER),
                     upper_rest + (first == LOWER)])


def _word(logp: np.ndarray, top: np.ndarray, table: _Classes, lexicon: Lexicon | None,
          beam: int) -> tuple[list[int], int]:
    """The best spelling of one word: the chosen classes and its trie node (-1 if none)."""
    trie = lexicon.trie if lexicon is not None else None
    prior = lexicon.log_prior if lexicon is not None else None
    score = np.zeros(1)
    node = np.zeros(1, np.int32) if trie is not None else np.full(1, -1, np.int32)
    first = np.zeros(1, np.int8)
    upper_rest = lower_rest = letters = digits = np.zeros(1, np.int16)
    history = []
    last = len(logp) - 1
    outside = LEXICON_WEIGHT * (OOV_LOG_PRIOR - len(logp) * np.log(len(table.names)))
    for i, candidates in enumerate(top):
        parent = np.repeat(np.arange(len(score)), len(candidates))
        chosen = np.tile(candidates, len(score))
        score = score[parent] + logp[i, chosen]
        case = table.case[chosen]
        first = case if i == 0 else first[parent]
        upper_rest = upper_rest[parent] + ((case == UPPER) & (i > 0))
        lower_rest = lower_rest[parent] + ((case == LOWER) & (i > 0))
        letters = letters[parent] + table.letter[chosen]
        digits = digits[parent] + table.digit[chosen]
        rules = (CASE_PENALTY * _case_violations(first, upper_rest, lower_rest).min(0)
                 + MIX_PENALTY * np.minimum(letters, digits))
        if trie is None:
            node = np.full(len(score), -1, np.int32)
            total = score - rules
        else:
            node = trie.step(node[parent], table.symbol[chosen])
            if i == last:
                word = np.where(node >= 0, trie.word[np.maximum(node, 0)], -1)
                known = LEXICON_WEIGHT * prior[np.maximum(word, 0)]
                total = score - rules + np.where(word >= 0, known, outside)
            else:
                below = np.where(node >= 0, LEXICON_WEIGHT * trie.best[np.maximum(node, 0)],
                                 -np.inf)
                total = score - rules + np.maximum(below, outside)
        keep = (np.argpartition(-total, beam)[:beam] if len(total) > beam
                else np.arange(len(total)))
        if i == last:
            keep = keep[[np.argmax(total[keep])]]
        history.append((parent[keep], chosen[keep]))
        score, node, first = score[keep], node[keep], first[keep]
        upper_rest, lower_rest = upper_rest[keep], lower_rest[keep]
        letters, digits = letters[keep], digits[keep]
    path, at = [], 0
    for parents, chosen in reversed(history):
        path.append(int(chosen[at]))
        at = int(parents[at])
    return path[::-1], int(node[0])


def _pattern(chosen: list[int], table: _Classes) -> str | None:
    """The case the unambiguous letters show (fewest out of case; ties go to lower, then
    upper: a word whose only such letter is its first upper-case one is in upper case, like the
    names of its other classes), or None when no letter shows its case."""
    case = table.case[chosen]
    if not case.any():
        return None
    violations = _case_violations(case[0], (case[1:] == UPPER).sum(), (case[1:] == LOWER).sum())
    return PATTERNS[int(np.argmin(violations))]


def _cased_char(char: str, pattern: str, position: int) -> str:
    if pattern == "upper" or (pattern == "capitalised" and position == 0):
        cased = char.upper()
    elif pattern == "lower" or pattern == "capitalised":
        cased = char.lower()
    else:
        cased = char
    return cased if len(cased) == 1 else char


def _spell(chosen: list[int], node: int, table: _Classes, lexicon: Lexicon | None) -> list[str]:
    """The characters of a decoded word: the lexicon's spelling of it, or the classes' names,
    in the case its unambiguous letters show."""
    names = [table.names[c] for c in chosen]
    pattern = _pattern(chosen, table)
    word = int(lexicon.trie.word[node]) if lexicon is not None and node >= 0 else -1
    if word >= 0:
        spelling = lexicon.words[word]
        if pattern is None:  # only merged classes: their names show the case
            letters = [n for n in names if n.isalpha()]
            pattern = "upper" if letters and all(n.isupper() for n in letters) else "lower"
        if pattern == "lower":  # as the lexicon spells it ("Paris" stays)
            return list(spelling)
        if pattern == "capitalised":
            return [_cased_char(spelling[0], "upper", 0), *spelling[1:]]
        return [_cased_char(c, "upper", 0) for c in spelling]
    if pattern is None:
        return names
    return [name if table.case[c] != UNKNOWN else _cased_char(name, pattern, i)
            for i, (c, name) in enumerate(zip(chosen, names, strict=True))]


def decode(probabilities: np.ndarray, classes: Sequence[str],
           space_after: Sequence[bool] | None = None, lexicon: Lexicon | None = None, *,
           top_k: int = TOP_K, beam: int = BEAM) -> Decoded:
    """The likeliest text of a line given each character's class probabilities (N×K), the
    classes, which characters a space follows, and a lexicon (None: only the case rules)."""
    probabilities = np.asarray(probabilities, dtype=np.float64)
    if probabilities.ndim != 2 or probabilities.shape[1] != len(classes):
        raise DataError(f"expected probabilities of shape (characters, {len(classes)}), got "
                        f"{probabilities.shape}")
    table = _classes(tuple(str(c) for c in classes), lexicon)
    logp = np.log(np.clip(probabilities, FLOOR, 1.0))
    top_k = max(1, min(int(top_k), len(classes)))
    top = np.argsort(-probabilities, axis=1, kind="stable")[:, :top_k]
    chosen, chars, text = [], [], []
    for start, stop in words(len(probabilities), space_after):
        path, node = _word(logp[start:stop], top[start:stop], table, lexicon, max(1, beam))
        spelled = _spell(path, node, table, lexicon)
        chosen += path
        chars += spelled
        text.append("".join(spelled))
    return Decoded(chosen, chars, " ".join(text))
