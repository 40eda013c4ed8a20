"""The candidate graph: the sparse mentee x mentor edges the solvers work on.

Scoring (``matching.candidates``) produces it; the assignment solvers (``matching.assignment``) consume it.
Storing it row-compressed (CSR) keeps a 100k x 10k program with K=50 candidates at about 5M edges instead
of 10^9 dense pairs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class CandidateGraph:
    """Allowed mentee -> mentor edges with their scores, grouped by mentee (CSR layout).

    Row ``i`` (mentee ``i``) owns the edges ``indptr[i]:indptr[i + 1]``; ``mentor[e]`` is the mentor index of
    edge ``e`` and ``score[e]`` its suitability in [0, 1]. Within a row, edges are sorted by descending score,
    ties by ascending mentor index, and a mentor appears at most once. Forbidden pairs (excluded, below the
    minimum score, no shared language when required) are simply absent.

    Attributes:
        n_mentees: number of rows.
        n_mentors: number of mentor columns.
        indptr: int64 array of shape (n_mentees + 1,).
        mentor: int32 array of shape (n_edges,).
        score: float64 array of shape (n_edges,).
    """

    n_mentees: int
    n_mentors: int
    indptr: np.ndarray
    mentor: np.ndarray
    score: np.ndarray

    @property
    def n_edges(self) -> int:
        """How many edges the graph holds."""
        return int(self.mentor.shape[0])

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (mentor indices, scores) of mentee ``i``'s edges, best first."""
        lo, hi = self.indptr[i], self.indptr[i + 1]
        return self.mentor[lo:hi], self.score[lo:hi]

    def mentee_of_edge(self) -> np.ndarray:
        """Return the mentee (row) index of every edge, an int32 array of shape (n_edges,)."""
        return np.repeat(np.arange(self.n_mentees, dtype=np.int32), np.diff(self.indptr))

    @classmethod
    def from_dense(cls, scores: np.ndarray) -> CandidateGraph:
        """Build the graph of every finite entry of a dense (mentees x mentors) matrix; ``-inf`` is forbidden."""
        scores = np.asarray(scores, dtype=np.float64)
        if scores.ndim != 2:
            raise ValueError("scores must be a 2-D (mentees x mentors) matrix")
        n, m = scores.shape
        # Sort each row by descending score, ties by ascending mentor index (a stable sort on -score).
        order = np.argsort(-scores, axis=1, kind="stable")
        ranked = np.take_along_axis(scores, order, axis=1)
        keep = np.isfinite(ranked)
        counts = keep.sum(axis=1)
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(
            n_mentees=n,
            n_mentors=m,
            indptr=indptr,
            mentor=order[keep].astype(np.int32),
            score=ranked[keep],
        )
