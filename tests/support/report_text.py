"""What a reader sees of a rendered report, and what must not be in it: Python's reprs, pandas'
truncation marks, counts printed as floats, paths of the machine that made it."""

from __future__ import annotations

import html
import re

# Code the report shows on purpose (the networks' listings) is not prose: left out of the scan.
CODE = re.compile(r"<(pre|code)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
STYLE = re.compile(r"<(style|script)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
TAG = re.compile(r"<[^>]+>")

DEFECTS = {
    "Python None": re.compile(r"\bNone\b"),
    "list repr": re.compile(r"\[\s*(?:'[^']*'|\"[^\"]*\")\s*[,\]]"
                           r"|\[\s*-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?){2,}\s*\]"),
    "empty list or dict": re.compile(r"(?<![\w\]])(?:\[\]|\{\})"),
    "dict repr": re.compile(r"\{\s*['\"][^'\"]+['\"]\s*:"),
    "pandas truncation": re.compile(r"\[\d+ rows x \d+ columns\]|(?<![.\w])\.\.\.(?![.\w])"),
    # A count printed by pandas as a float: 19200.0 (the bundle writes counts as 19,200).
    "count as a float": re.compile(r"(?<![\d.,])\d{4,}\.0(?![\d%])(?!\s*(?:s\b|ms\b))"),
    "machine path": re.compile(r"(?<![\w.])(?:/(?:tmp|home|root|work|usr|var|Users|private)/"
                               r"|[A-Z]:\\)"),
}


def visible_text(page: str) -> str:
    """The text of an HTML report as a reader sees it, without code listings and styles."""
    return html.unescape(TAG.sub(" ", CODE.sub(" ", STYLE.sub(" ", page))))


def defects(text: str) -> list[str]:
    """Each defect found, as "<kind>: …context…"."""
    found = []
    for kind, pattern in DEFECTS.items():
        for match in pattern.finditer(text):
            start, end = max(0, match.start() - 40), match.end() + 40
            found.append(f"{kind}: …{' '.join(text[start:end].split())}…")
    return found


def uncited(text: str) -> list[str]:
    """The entries of the report's reference list whose citation its text before the list
    does not contain (each entry is matched to its citation in `writeup.REFERENCES`), and
    entries the bundle does not know."""
    from helpers.report.writeup import REFERENCES

    body, _, listed = text.rpartition("References")
    listed = " ".join(listed.split("Appendix")[0].split())
    body = " ".join(body.split())  # a citation may break across lines
    by_entry = {" ".join(entry.replace("*", "").split()[:10]): citation
                for citation, entry in REFERENCES}
    missing = [start for start, citation in by_entry.items()
               if start in listed and citation not in body]
    count = len(re.findall(r"\((?:\d{4}[ab]?|n\.d\.)(?:–)?\)\.", listed))
    known = sum(start in listed for start in by_entry)
    return missing + ([f"{count - known} entries the bundle does not list"] if count > known
                      else [])
