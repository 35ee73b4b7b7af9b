"""Turning free text into search terms: pure functions, shared by the PostgreSQL and SQLite paths.

The stop-word lists are PostgreSQL's own (`tsearch_data/{english,spanish}.stop`), so a term we
keep is never dropped by `to_tsquery`: a dropped word would turn an ``a & b`` pair into ``b``
alone and flood the candidates.
"""

import re
from collections import Counter
from functools import cache
from pathlib import Path

WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TITLE_TERMS = 6
MAX_TERMS = 9
MAX_CANDIDATE_TERMS = 4


@cache
def _stop_list(name: str) -> frozenset[str]:
    path = Path(__file__).with_name("stopwords") / f"{name}.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(word for word in (line.strip().lower() for line in lines) if word)


@cache
def stop_words() -> frozenset[str]:
    return _stop_list("english") | _stop_list("spanish")


def language_of(text: str) -> str:
    """'spanish' or 'english' (the PostgreSQL configuration), by which language's stop words
    (and Spanish letters) the text uses more; English when in doubt."""
    tokens = [match.group() for match in WORD.finditer(text.lower())]
    spanish = sum(token in _stop_list("spanish") for token in tokens)
    spanish += sum(any(letter in token for letter in "ñáéíóúü¿¡") for token in tokens)
    english = sum(token in _stop_list("english") for token in tokens)
    return "spanish" if spanish > english else "english"


def words(text: str) -> list[str]:
    """Content words in order: lower case, no stop words (English or Spanish), no 1-letter
    words, no bare numbers longer than 4 digits (ids, phone numbers)."""
    stops = stop_words()
    found = []
    for match in WORD.finditer(text.lower()):
        word = match.group()
        if len(word) < 2 or word in stops or (word.isdigit() and len(word) > 4):
            continue
        found.append(word[:40])
    return found


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def key_terms(*, title: str, description: str = "") -> tuple[list[str], list[str]]:
    """(title terms, description terms): the title's words first, then the description's most
    frequent words that are not already in the title, MAX_TERMS in all."""
    title_terms = _unique(words(title))[:MAX_TITLE_TERMS]
    counts = Counter(word for word in words(description) if word not in title_terms)
    room = MAX_TERMS - len(title_terms)
    extra = [word for word, _count in counts.most_common(room)] if room > 0 else []
    return title_terms, extra


def candidate_queries(*, title_terms: list[str], other_terms: list[str]) -> list[str]:
    """tsqueries (to_tsquery syntax) from strictest to loosest, for finding candidates: every
    title term; all but one; any two. Each is cheap for a GIN index (AND skips through the
    posting lists); the caller stops at the first that yields enough rows, so a near-duplicate
    is never crowded out by tickets that merely share two common words.

    Only title words reach the index: a description's words are mostly common ("error",
    "morning", "tried") and their long posting lists would make the scan slow; they count in
    the ranking. A one-word title pairs its word with the description's, then stands alone."""
    if not title_terms:
        title_terms, other_terms = other_terms, []
    # A title's first words name the thing and the fault; its tail is context ("after the
    # update", "for the whole team") whose common words would only slow the scan.
    title_terms = title_terms[:MAX_CANDIDATE_TERMS]
    if not title_terms:
        return []
    if len(title_terms) == 1:
        word = title_terms[0]
        if not other_terms:
            return [word]
        return [" | ".join(f"({word} & {other})" for other in other_terms), word]
    stages = [" & ".join(title_terms)]
    if len(title_terms) >= 3:
        stages.append(
            " | ".join(
                "(" + " & ".join(title_terms[:i] + title_terms[i + 1 :]) + ")"
                for i in range(len(title_terms))
            )
        )
        stages.append(
            " | ".join(
                f"({a} & {b})" for i, a in enumerate(title_terms) for b in title_terms[i + 1 :]
            )
        )
    return stages


def any_query(terms: list[str], *, prefix_last: bool = False) -> str:
    """A tsquery matching any of the terms (for ranking, and for as-you-type suggestions where
    the last word may be unfinished)."""
    if not terms:
        return ""
    parts = list(terms)
    if prefix_last:
        parts[-1] = f"{parts[-1]}:*"
    return " | ".join(parts)
