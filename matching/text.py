r"""Text handling: tag normalisation, tokenising any script, and TF-IDF term matrices.

Why these choices:

* Tags ("Machine-Learning", "machine learning", "MACHINE_LEARNING", "Résumé") are compared after folding
  case (``str.casefold``), removing Latin/Greek/Cyrillic accents (the combining marks U+0300-U+036F after
  NFKD decomposition; the marks of Indic, Arabic or Hebrew scripts are kept, since there they are letters, not
  decoration) and collapsing runs of spaces, hyphens and underscores to one space.
* Words are runs of Unicode letters and digits plus the combining marks of the major scripts (Python's ``\w``
  alone splits Devanagari words at every vowel sign). Scripts written without spaces (Chinese, Japanese kana,
  Thai, Lao, Khmer, Myanmar) have no word boundaries to find, so their runs become overlapping character
  bigrams ("机器学习" -> "机器", "器学", "学习"), the standard dictionary-free way to compare such text.
* A short English stop list drops function words; inverse document frequency discounts what remains common in
  any language, so no per-language list is needed for the similarity to work.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import count

import numpy as np
import scipy.sparse as sp

__all__ = ["TermMatrix", "fold", "normalise_tag", "term_matrix", "tokenize"]

_ACCENTS = re.compile("[\u0300-\u036f]+")
_TAG_SPACE = re.compile(r"[\s\-_]+")

# Scripts written without spaces between words: CJK ideographs, kana, Thai, Lao, Myanmar, Khmer (marks of those
# blocks included, so a Thai vowel sign stays inside its run).
_NO_SPACE_CHARS = (
    "\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035"
    "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    "\U00020000-\U0002fa1f"
)
_NO_SPACE_RUN = re.compile(f"[{_NO_SPACE_CHARS}]+")
# Combining marks of the major scripts, which ``\w`` does not count as word characters.
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed"
    "\u0711\u0730-\u074a\u0900-\u0dff\u0f18-\u0fbc\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
)
_WORD = re.compile(f"(?:[^\\W_]|[{_MARKS}])+")
# The same for folded ASCII text, as a byte translation: every byte that is not a lowercase letter, a digit or NUL
# (the document break) becomes a space, and bytes.split finds the words: several times faster than a regex.
_ASCII_SPLIT = bytes(c if chr(c) in "abcdefghijklmnopqrstuvwxyz0123456789\x00" else 32 for c in range(256))

#: Function words of English, the language most profiles are written in; other languages rely on IDF.
STOP_WORDS: frozenset[str] = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not now of
    off on once only or other our ours ourselves out over own same she should so some such than that the their
    theirs them themselves then there these they this those through to too under until up very was we were what
    when where which while who whom why will with would you your yours yourself yourselves want wants like would
    also get really""".split()  # noqa: SIM905 (a word list reads better as text)
)


def fold(text: str) -> str:
    """Fold case and Latin/Greek/Cyrillic accents, leaving every other script as written.

    Args:
        text: any Unicode text.

    Returns:
        The text in NFC form, case-folded, without the combining accents U+0300-U+036F.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    if not decomposed.isascii():
        decomposed = _ACCENTS.sub("", decomposed)
    return unicodedata.normalize("NFC", decomposed.casefold())


def normalise_tag(tag: str) -> str:
    """Return the comparison key of a tag: folded (see :func:`fold`) and with spacing collapsed.

    ``"Machine-Learning"``, ``" machine  learning "`` and ``"MACHINE_LEARNING"`` share the key
    ``"machine learning"``; ``"Résumé"`` and ``"resume"`` share ``"resume"``. Punctuation other than hyphens and
    underscores is kept, since it tells ``"C"``, ``"C++"`` and ``"C#"`` apart.
    """
    return _TAG_SPACE.sub(" ", fold(tag)).strip()


def _is_no_space(char: str) -> bool:
    return _NO_SPACE_RUN.match(char) is not None


def _terms_of_word(word: str) -> list[str]:
    """The terms one word contributes: itself, its character bigrams (unspaced scripts), or nothing."""
    first = word[0]
    if first >= "\u0e00" and _is_no_space(first):
        return [word] if len(word) == 1 else [word[k : k + 2] for k in range(len(word) - 1)]
    if len(word) >= 2 and word not in STOP_WORDS and not word.isdigit():
        return [word]
    return []


def tokenize(text: str) -> list[str]:
    """Split text into comparable terms in any script.

    Words (folded, at least two characters, not digits only, not an English stop word) are kept whole; runs of
    a script written without spaces become overlapping character bigrams (a lone character is kept as is).

    Args:
        text: any Unicode text.

    Returns:
        The terms in reading order, repeats included (the term frequency counts them).
    """
    if not text:
        return []
    folded = fold(text)
    if not folded.isascii():
        folded = _NO_SPACE_RUN.sub(r" \g<0> ", folded)
    return [term for word in _WORD.findall(folded) for term in _terms_of_word(word)]


# Joins folded documents so one regex pass tokenises them all. Folding maps U+01C5 (a titlecase digraph) to
# other characters, so it cannot occur in folded text and marks document boundaries unambiguously.
_DOC_BREAK = "\u01c5"


@dataclass(frozen=True, eq=False)
class TermMatrix:
    """TF-IDF weights of a set of documents.

    Attributes:
        matrix: CSR float64 (n_docs x n_terms); each row has unit Euclidean norm (or is empty), so the dot
            product of two rows is their cosine similarity, in [0, 1] since the weights are non-negative.
        terms: the term of each column.
        idf: the inverse document frequency of each column.
    """

    matrix: sp.csr_matrix
    terms: tuple[str, ...]
    idf: np.ndarray


def _concat_ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """``starts[k] .. starts[k] + lengths[k] - 1`` for every k, concatenated."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(lengths)
    return np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lengths), lengths)


#: Characters of text tokenised at once by :func:`term_matrix` (bounds its temporary word objects).
_TOKEN_CHARS = 1 << 20


def _word_ids(
    texts: Sequence[str], word_id: dict[str, int], exp_len: list[int], exp_terms: list[int], vocab: dict[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Split documents into words: (word id of each word, document of each word, 0-based in ``texts``).

    New distinct words get the next ids and their terms are appended to the expansion (``exp_len`` /
    ``exp_terms``, term ids from ``vocab``), in first-seen order. Folded ASCII text without NUL is split by a
    byte translation (several times faster than the regex, and the same words); other text by the regex. Words
    are numbered in one pass at C speed (a ``defaultdict`` whose factory counts: first seen, first numbered), and
    the word rules then run once per distinct word.
    """
    folded = [fold(t) if t else "" for t in texts]
    joined = " \x00 ".join(folded)
    if joined.isascii() and joined.count("\x00") == max(len(texts) - 1, 0):
        del folded
        words = joined.encode("ascii").translate(_ASCII_SPLIT).split()
        breaker = b"\x00"
    else:
        del joined
        words = _WORD.findall(_NO_SPACE_RUN.sub(r" \g<0> ", f" {_DOC_BREAK} ".join(folded)))
        breaker = _DOC_BREAK
    joined = folded = None
    local: defaultdict[str | bytes, int] = defaultdict(count().__next__)
    local_ids = np.fromiter(map(local.__getitem__, words), dtype=np.int64, count=len(words))
    del words
    remap = np.empty(len(local), dtype=np.int64)
    for k, raw in enumerate(local):  # distinct words, first seen first
        word = raw.decode("ascii") if isinstance(raw, bytes) else raw
        g = word_id.get(word)
        if g is None:
            g = word_id[word] = len(exp_len)
            terms = [vocab.setdefault(t, len(vocab)) for t in _terms_of_word(word)]
            exp_len.append(len(terms))
            exp_terms.extend(terms)
        remap[k] = g
    if len(texts) > 1:
        keep = local_ids != local.get(breaker, -1)
        return remap[local_ids[keep]], np.cumsum(~keep)[keep]
    return remap[local_ids], np.zeros(local_ids.size, dtype=np.int64)


def term_matrix(texts: Sequence[str]) -> TermMatrix:
    """Tokenise texts (as :func:`tokenize` does) and build their TF-IDF matrix.

    Weights are ``(1 + ln tf) * idf`` with the smoothed ``idf = ln((1 + n) / (1 + df)) + 1``, then each row is
    scaled to unit norm. The sublinear term frequency keeps a 10,000-character text that repeats a word from
    drowning out its other words. Columns are numbered by first appearance, so the result is deterministic.

    Texts are folded, joined and split a slice of about a million characters at a time (so the word objects
    never exist for the whole corpus at once), and the word rules run once per distinct word, not once per
    occurrence: 100k short profiles take a fraction of a second instead of seconds.

    Args:
        texts: one string per document.

    Returns:
        The :class:`TermMatrix` of the documents.
    """
    n_docs = len(texts)
    vocab: dict[str, int] = {}
    word_id: dict[str, int] = {}  # distinct word -> id, first seen first
    exp_len: list[int] = []  # terms of each distinct word (a CSR from word id to term ids)
    exp_terms: list[int] = []
    row_counts, indices, tfs = [], [], []
    # Documents are tokenised a slice at a time (about _TOKEN_CHARS characters), so the word objects and
    # joined copies of the text never exist for the whole corpus; words and terms keep first-seen order.
    sizes = np.cumsum(np.fromiter(map(len, texts), dtype=np.int64, count=n_docs))
    lo = 0
    while lo < n_docs:
        base = sizes[lo - 1] if lo else 0
        hi = max(lo + 1, int(np.searchsorted(sizes, base + _TOKEN_CHARS, side="right")))
        ids, docs = _word_ids(texts[lo:hi], word_id, exp_len, exp_terms, vocab)
        n_terms = np.asarray(exp_len, dtype=np.int64)
        starts = np.cumsum(n_terms) - n_terms
        lengths = n_terms[ids]
        term_ids = np.asarray(exp_terms, dtype=np.int64)[_concat_ranges(starts[ids], lengths)]
        # (document, term) pairs sorted, with their multiplicity: the term frequencies (a canonical CSR block).
        keys, tf = np.unique(np.repeat(docs, lengths) << 32 | term_ids, return_counts=True)
        row_counts.append(np.bincount(keys >> 32, minlength=hi - lo))
        indices.append((keys & 0xFFFFFFFF).astype(np.int32))
        tfs.append(tf)
        lo = hi
    indptr = np.zeros(n_docs + 1, dtype=np.int64)
    if n_docs:
        np.cumsum(np.concatenate(row_counts), out=indptr[1:])
    tf_all = np.concatenate(tfs).astype(np.float64) if tfs else np.zeros(0)
    idx_all = np.concatenate(indices) if indices else np.zeros(0, dtype=np.int32)
    del row_counts, indices, tfs
    counts = sp.csr_matrix((tf_all, idx_all, indptr), shape=(n_docs, len(vocab)))
    df = np.bincount(counts.indices, minlength=len(vocab)).astype(np.float64)
    # Logarithms through the C library, not np.log: numpy's vectorised log is not the same function in every
    # version and on every CPU (on AVX-512, numpy 1.26's differs from numpy 2's in the last bit of a quarter of
    # the values), and these weights decide the scores and the order shared terms are cited in, which must be the
    # same bits everywhere. Both logs are of whole numbers or of one value per term: a few thousand calls.
    idf = _logs((1.0 + n_docs) / (1.0 + df)) + 1.0
    data = (1.0 + _logs_of_counts(counts.data)) * idf[counts.indices]
    row_len = np.diff(counts.indptr)
    norms = np.sqrt(np.bincount(np.repeat(np.arange(n_docs), row_len), weights=data * data, minlength=n_docs))
    data /= np.repeat(np.where(norms > 0, norms, 1.0), row_len)
    matrix = sp.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)
    return TermMatrix(matrix=matrix, terms=tuple(vocab), idf=idf)


def _logs(values: np.ndarray) -> np.ndarray:
    """Natural logarithms of ``values``, one ``math.log`` call each (see :func:`term_matrix` for why)."""
    return np.fromiter(map(math.log, values.tolist()), dtype=np.float64, count=values.size)


def _logs_of_counts(counts: np.ndarray) -> np.ndarray:
    """Natural logarithms of positive whole numbers, from a table of ``math.log`` of 1 .. max(counts)."""
    table = _logs(np.arange(1, int(counts.max(initial=0)) + 1, dtype=np.float64))
    return table[counts.astype(np.int64) - 1]
