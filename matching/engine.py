"""``match()``: validate, pin, score, prune, solve, certify, explain, and say why anyone is left out.

The pipeline (each stage timed in ``MatchStats.seconds``):

1. features: validate the people and the configuration, keep pinned pairs aside, derive every factor's features
   (``matching.features``) and fuse them with the weights into one float32 vector per person.
2. candidates: one chunked GEMM pass keeps each mentee's top-K and each mentor's top-R allowed pairs
   (``matching.candidates``), or every allowed pair when the program is small.
3. assignment: ``"optimal"`` solves the capacitated maximum-score (or maximum-coverage) matching on the candidate
   graph (``matching.assignment.solve_optimal``); ``"stable"`` runs mentee-proposing deferred acceptance
   (``matching.assignment.solve_stable``) with candidate lists lengthened on demand.
4. certify: for ``"optimal"`` on a pruned graph, LP-dual prices prove how far the result is from the optimum
   over all pairs and bring in any missing pair that could improve it (``matching.certify.refine``).
5. explain: per-factor contributions and evidence for every match, and a reason for every unmatched mentee.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np

from matching import assignment, certify
from matching.candidates import (
    Scorer,
    as_scores,
    assemble,
    chunk_rows,
    is_full,
    left_out_bounds,
    make_extender,
    score_rows,
)
from matching.data import (
    Match,
    MatchConfig,
    MatchResult,
    MatchStats,
    Mentee,
    Mentor,
    Unmatched,
)
from matching.errors import InvalidInputError
from matching.explain import explain
from matching.features import (
    FORBIDDEN_BELOW,
    PRODUCT_BITS,
    FusedFeatures,
    Profiles,
    build_profiles,
    fuse,
    quantise,
)
from matching.graph import CandidateGraph
from matching.prices import estimate_prices

__all__ = ["PREFERENCE_BONUS", "Problem", "combine", "match", "prepare", "score_chunk"]

#: Bonus added to the solver's score (never to the reported score) of a mentee's first-ranked mentor under the
#: optimal strategy; the k-th of p ranked mentors gets ``PREFERENCE_BONUS * (p - k + 1) / p``. It is small, so it
#: acts as a tie-break between near-equal options: the total score given up for preferences is at most
#: ``PREFERENCE_BONUS`` per mentee.
PREFERENCE_BONUS = 1e-3
#: Dense width of the fused GEMM for large programs (the anchors' 576-wide product ran at the machine's sgemm
#: rate); small programs can afford more exact text columns.
DENSE_WIDTH_LARGE = 512
DENSE_WIDTH_SMALL = 1024
#: Pair entries the sparse aspiration columns may add per scoring pass: this share of all pairs, and at least
#: RESIDUAL_BUDGET. On the 100k x 10k benchmark program every aspiration term that two people share then counts
#: (84M entries a pass, +0.33 s); the earlier budget of 2M + 20 per mentee kept 458 of those 1945 terms, and the
#: matching it gave was 99.62 % of the optimum with every term counted, a quarter of mentees with another mentor.
RESIDUAL_SHARE = 0.1
RESIDUAL_BUDGET = 2_000_000


def residual_budget(n_mentees: int, n_mentors: int) -> float:
    """How many pair entries the sparse aspiration columns may add to a scoring pass of this size."""
    return max(float(RESIDUAL_BUDGET), RESIDUAL_SHARE * n_mentees * n_mentors)


#: Choose a pruned program's candidates by reduced score with sampled mentor prices (see ``matching.prices``).
PRICE_GUIDED = True
#: Certification stops adding edges once the total is proven within this share of the optimum over all pairs: a
#: millionth, ten times closer than the closest quality issue 7 asks for (99.999 %). Chasing the last parts per
#: billion cost 100k x 10k three more rounds of a full scoring pass and a re-solve each (about 35 s here).
CERTIFIED_GAP = 1e-6

_STAGES = ("features", "candidates", "assignment", "certify", "explain")


@contextmanager
def _timed(seconds: dict[str, float], stage: str):
    start = time.perf_counter()
    try:
        yield
    finally:
        seconds[stage] += time.perf_counter() - start


@contextmanager
def _no_gc():
    """Pause the cyclic garbage collector while building many small objects that hold no cycles.

    Explaining 100k matches creates about a million immutable objects; each allocation burst would otherwise
    trigger full collections that walk every object alive, doubling the time. The previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _people(values: Iterable, kind: type, name: str) -> tuple:
    people = tuple(values)
    seen: set[str] = set()
    for person in people:
        if not isinstance(person, kind):
            raise InvalidInputError(None, name, f"expected {kind.__name__} objects, got {type(person).__name__}")
        if person.id in seen:
            raise InvalidInputError(person.id, "id", f"duplicate {kind.__name__.lower()} id")
        seen.add(person.id)
    return people


def _pins(
    config: MatchConfig, mentee_of: Mapping[str, int], mentor_of: Mapping[str, int], mentors: tuple[Mentor, ...]
) -> tuple[list[tuple[int, int]], np.ndarray]:
    """Validate pinned pairs; return them as indices and each mentor's capacity left for the engine."""
    pins: list[tuple[int, int]] = []
    pinned_mentees: set[int] = set()
    for mentee_id, mentor_id in config.pinned:
        if mentee_id not in mentee_of:
            raise InvalidInputError(mentee_id, "pinned", "is not a mentee of this program")
        if mentor_id not in mentor_of:
            raise InvalidInputError(mentor_id, "pinned", "is not a mentor of this program")
        if mentee_id == mentor_id:
            raise InvalidInputError(mentee_id, "pinned", "cannot be pinned to themself")
        if (mentee_id, mentor_id) in config.excluded:
            raise InvalidInputError(mentee_id, "pinned", f"the pair with {mentor_id!r} is both pinned and excluded")
        i = mentee_of[mentee_id]
        if i in pinned_mentees:
            raise InvalidInputError(mentee_id, "pinned", "is pinned to more than one mentor")
        pinned_mentees.add(i)
        pins.append((i, mentor_of[mentor_id]))
    remaining = np.array([m.capacity for m in mentors], dtype=np.int64).reshape(len(mentors))
    if pins:
        np.subtract.at(remaining, [j for _, j in pins], 1)
    for j in np.flatnonzero(remaining < 0).tolist():
        raise InvalidInputError(
            mentors[j].id, "capacity", f"{mentors[j].capacity - int(remaining[j])} pinned mentees exceed it"
        )
    return pins, remaining


def _pairs_to_rows(
    pairs: Iterable[tuple[str, str]], row_of: Mapping[str, int], col_of: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Map (mentee id, mentor id) pairs to sorted (row, column) arrays, ignoring pairs outside the problem."""
    rows, cols = [], []
    for mentee_id, mentor_id in pairs:
        i, j = row_of.get(mentee_id), col_of.get(mentor_id)
        if i is not None and j is not None:
            rows.append(i)
            cols.append(j)
    rows_a = np.array(rows, dtype=np.int64)
    cols_a = np.array(cols, dtype=np.int64)
    order = np.lexsort((cols_a, rows_a))
    return rows_a[order], cols_a[order]


def _forbidden(
    config: MatchConfig, mentees: tuple[Mentee, ...], free: np.ndarray, mentor_col: Mapping[str, int]
) -> tuple[np.ndarray, np.ndarray]:
    """Excluded pairs plus self pairs (a person on both sides), as sorted (free row, column) arrays."""
    row_of = {mentees[i].id: r for r, i in enumerate(free.tolist())}
    pairs = set(config.excluded)
    pairs.update((pid, pid) for pid in row_of if pid in mentor_col)
    rows, cols = _pairs_to_rows(sorted(pairs), row_of, mentor_col)
    keep = np.r_[True, (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])] if rows.size else np.zeros(0, bool)
    return rows[keep], cols[keep]


def _preferences(
    mentees: tuple[Mentee, ...], free: np.ndarray, mentor_col: Mapping[str, int], bonus: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each free mentee's ranked mentors (known, available, first mention) as (row, column, bonus), by row."""
    rows, cols, vals = [], [], []
    for r, i in enumerate(free.tolist()):
        ranked = mentees[i].preferences
        if not ranked:  # most mentees rank nobody: 41 -> 6 ms for 100k mentees without preferences
            continue
        prefs = [mentor_col[p] for p in dict.fromkeys(ranked) if p in mentor_col]
        for k, j in enumerate(prefs):
            rows.append(r)
            cols.append(j)
            vals.append(float(quantise(bonus * (len(prefs) - k) / len(prefs), PRODUCT_BITS)))
    order = np.lexsort((np.array(cols, dtype=np.int64), np.array(rows, dtype=np.int64)))
    return (
        np.array(rows, dtype=np.int64)[order],
        np.array(cols, dtype=np.int64)[order],
        np.array(vals, dtype=np.float64)[order],
    )


def _preference_order(
    graph: CandidateGraph, mentor_scores: np.ndarray, rows: np.ndarray, cols: np.ndarray
) -> tuple[CandidateGraph, np.ndarray]:
    """Reorder each row so the mentee's ranked mentors come first, in its order, then the rest by score.

    The stable solver proposes in row order, so this makes a mentee's own ranking its preference order where
    it gave one, and the score elsewhere.
    """
    if rows.size == 0 or graph.n_edges == 0:
        return graph, mentor_scores
    m = graph.n_mentors
    edge_rows = graph.mentee_of_edge().astype(np.int64)
    pref_key = rows * m + cols
    rank_in_prefs = np.arange(rows.size) - np.searchsorted(rows, rows)
    order = np.argsort(pref_key)
    edge_key = edge_rows * m + graph.mentor
    pos = np.minimum(np.searchsorted(pref_key[order], edge_key), rows.size - 1)
    hit = pref_key[order][pos] == edge_key
    key = np.where(hit, rank_in_prefs[order][pos], m + np.arange(graph.n_edges) - graph.indptr[edge_rows])
    new = np.lexsort((key, edge_rows))
    reordered = CandidateGraph(graph.n_mentees, m, graph.indptr, graph.mentor[new], graph.score[new])
    return reordered, mentor_scores[new]


def _reasons(
    config: MatchConfig,
    profiles: Profiles,
    mentees: tuple[Mentee, ...],
    *,
    mentors: tuple[Mentor, ...],
    rows: np.ndarray,
    room: np.ndarray,
) -> list[Unmatched]:
    """Say why each of the given mentees (indices into ``mentees``) has no mentor, from the data.

    The first reason that applies, in :data:`~matching.data.UNMATCHED_REASONS` order: no mentors at all; every
    mentor excluded; no shared language with any remaining mentor (when required); every remaining pair below
    the minimum score; every compatible mentor full; otherwise the solver chose other pairs.
    """
    m = len(mentors)
    if rows.size == 0:
        return []
    if m == 0:
        return [Unmatched(mentees[i].id, "no_mentors", "The program has no mentors.") for i in rows.tolist()]
    all_cols = np.arange(m)
    fused = fuse(
        profiles,
        [config.mentee_weights],
        rows,
        all_cols,
        language_penalty=config.language_required,
        dense_width=DENSE_WIDTH_LARGE,
        residual_budget=residual_budget(rows.size, m),
    )[0]
    ex_rows, ex_cols = _forbidden(config, mentees, rows, {p.id: j for j, p in enumerate(mentors)})
    out: list[Unmatched] = []
    step = chunk_rows(m)
    has_room = room > 0
    for lo in range(0, rows.size, step):
        hi = min(rows.size, lo + step)
        raw = fused.scores(lo, hi)
        open_ = np.ones(raw.shape, dtype=bool)
        a, b = np.searchsorted(ex_rows, [lo, hi])
        open_[ex_rows[a:b] - lo, ex_cols[a:b]] = False
        speaks = open_ & (raw >= FORBIDDEN_BELOW)
        rounded = as_scores(raw)
        fits = speaks & (rounded >= config.min_score)
        with_room = fits & has_room
        n_open, n_speaks = open_.sum(axis=1).tolist(), speaks.sum(axis=1).tolist()
        n_fits, n_room = fits.sum(axis=1).tolist(), with_room.sum(axis=1).tolist()
        best = np.where(speaks, rounded, -np.inf).max(axis=1).tolist()
        for k, i in enumerate(rows[lo:hi].tolist()):
            if not n_open[k]:
                reason, detail = "all_excluded", f"All {m} mentors are excluded for this mentee."
            elif not n_speaks[k]:
                reason = "no_shared_language"
                detail = f"None of the {n_open[k]} mentors who are not excluded shares a language with this mentee."
            elif not n_fits[k]:
                reason = "below_min_score"
                detail = f"The best possible score, {best[k]:.3f}, is below the minimum score {config.min_score:.3f}."
            elif not n_room[k]:
                reason, detail = "mentors_at_capacity", f"All {n_fits[k]} compatible mentors are at capacity."
            else:
                reason = "not_chosen"
                detail = (
                    f"{n_room[k]} compatible mentors have room, but the {config.strategy} assignment gave them to "
                    "other mentees or left this one unmatched."
                )
            out.append(Unmatched(mentees[i].id, reason, detail))
    return out


@dataclass(frozen=True, eq=False)
class Problem:
    """A prepared program: validated people, pinned pairs set aside, features fused, constraints compiled.

    Built by :func:`prepare`; deterministic, so workers that prepare the same inputs hold the same problem and
    can each score a range of its rows (:func:`score_chunk`) for :func:`combine` to finish.

    Attributes:
        n_rows: the mentees to score (all but the pinned ones); chunks split ``0..n_rows``.
    """

    mentees: tuple[Mentee, ...]
    mentors: tuple[Mentor, ...]
    config: MatchConfig
    profiles: Profiles
    fused: tuple[FusedFeatures, ...]
    scorer: Scorer
    pins: tuple[tuple[int, int], ...]
    remaining: np.ndarray
    free: np.ndarray
    active: np.ndarray
    full: bool
    pref_rows: np.ndarray
    pref_cols: np.ndarray
    seconds: dict[str, float]

    @property
    def n_rows(self) -> int:
        """How many mentee rows scoring covers."""
        return int(self.free.size)

    @property
    def reverse_r(self) -> int:
        """Each mentor's best mentees kept as extra candidates (``reverse_top_r``), or 0 where they must not be.

        The stable strategy on a pruned graph extends each mentee's list on demand with its next best mentors, so
        a list must be a prefix of the mentee's preference order: an extra edge far down a row would be proposed
        to before the better mentors not handed out yet, and deferred acceptance would then stop short of the
        mentee-optimal matching. Extension already leaves no mentor without the mentees that want it.
        """
        if self.config.strategy == "stable" and not self.full:
            return 0
        return self.config.reverse_top_r


def prepare(
    mentees: Iterable[Mentee],
    mentors: Iterable[Mentor],
    config: MatchConfig | None = None,
) -> Problem:
    """Validate the inputs and build everything scoring needs (the "features" stage of :func:`match`).

    Raises:
        InvalidInputError: as :func:`match`.
    """
    config = MatchConfig() if config is None else config
    if not isinstance(config, MatchConfig):
        raise InvalidInputError(None, "config", f"expected MatchConfig, got {type(config).__name__}")
    seconds = dict.fromkeys(_STAGES, 0.0)
    with _timed(seconds, "features"):
        mentees = _people(mentees, Mentee, "mentees")
        mentors = _people(mentors, Mentor, "mentors")
        mentee_of = {p.id: i for i, p in enumerate(mentees)}
        mentor_of = {p.id: j for j, p in enumerate(mentors)}
        pins, remaining = _pins(config, mentee_of, mentor_of, mentors)
        pinned_rows = {i for i, _ in pins}
        free = np.array([i for i in range(len(mentees)) if i not in pinned_rows], dtype=np.int64)
        active = np.flatnonzero(remaining > 0)
        active_col = {mentors[j].id: c for c, j in enumerate(active.tolist())}
        profiles = build_profiles(mentees, mentors)
        weights = config.mentee_weights
        stable = config.strategy == "stable"
        weight_sets = [weights]
        if stable and config.mentor_side_weights != weights:
            weight_sets.append(config.mentor_side_weights)
        n, m = free.size, active.size
        full = is_full(n, m, config.top_k)
        fused = fuse(
            profiles,
            weight_sets,
            free,
            active,
            language_penalty=config.language_required,
            dense_width=DENSE_WIDTH_SMALL if full else DENSE_WIDTH_LARGE,
            residual_budget=residual_budget(n, m),
        )
        ex_rows, ex_cols = _forbidden(config, mentees, free, active_col)
        pref_rows, pref_cols, bonus = _preferences(mentees, free, active_col, 0.0 if stable else PREFERENCE_BONUS)
        scorer = Scorer(
            fused[0],
            fused[1] if len(fused) > 1 else None,
            config.min_score,
            ex_rows,
            ex_cols,
            pref_rows,
            pref_cols,
            bonus,
        )
    if not full and not stable and PRICE_GUIDED:
        # Congested programs: choose candidates by reduced score with sampled mentor prices (matching.prices).
        with _timed(seconds, "candidates"):
            scorer = scorer.with_prices(estimate_prices(scorer, remaining[active]))
    return Problem(
        mentees=mentees,
        mentors=mentors,
        config=config,
        profiles=profiles,
        fused=tuple(fused),
        scorer=scorer,
        pins=tuple(pins),
        remaining=remaining,
        free=free,
        active=active,
        full=full,
        pref_rows=pref_rows,
        pref_cols=pref_cols,
        seconds=seconds,
    )


def score_chunk(problem: Problem, lo: int, hi: int) -> dict[str, np.ndarray]:
    """Score rows ``lo..hi-1`` of a prepared problem: their part of the candidate graph (plain numeric arrays).

    Any split of ``0..problem.n_rows`` into consecutive ranges, scored anywhere and given to :func:`combine` in
    row order, gives the same result as :func:`match`: scores are exact, so every worker computes the same
    numbers.
    """
    config = problem.config
    if problem.n_rows == 0 or problem.active.size == 0:
        return {}
    return score_rows(problem.scorer, config.top_k, problem.reverse_r, full=problem.full, lo=lo, hi=hi)


def combine(problem: Problem, partials: Sequence[Mapping[str, np.ndarray]]) -> MatchResult:
    """Merge the scored chunks (in row order), solve, certify, explain: the rest of :func:`match`."""
    return _combine(problem, [dict(p) for p in partials if p])


def _combine(problem: Problem, parts: list[dict[str, np.ndarray]]) -> MatchResult:
    """:func:`combine` on a list it owns: the list is emptied once the graph is built.

    Dropping the scored chunks before solving lowers the peak memory by their size (a 10k x 1k full graph: its
    ~3M edges as int32/float32, 24 MB) when nobody else holds them, as in :func:`match`.
    """
    config = problem.config
    seconds = dict(problem.seconds)
    mentees, mentors, scorer = problem.mentees, problem.mentors, problem.scorer
    free, active, remaining, pins = problem.free, problem.active, problem.remaining, problem.pins
    stable = config.strategy == "stable"
    full = problem.full
    with _timed(seconds, "candidates"):
        graph, mentor_scores = assemble(scorer, config.top_k, problem.reverse_r, parts, full=full)
        left_out = left_out_bounds(parts, problem.n_rows)
        parts.clear()
    capacities = remaining[active]
    certified_gap: float | None = None
    with _timed(seconds, "assignment"):
        if stable:
            graph, mentor_scores = _preference_order(graph, mentor_scores, problem.pref_rows, problem.pref_cols)
            extend = make_extender(scorer, graph, max(config.top_k, 1)) if not full else None
            chosen = assignment.solve_stable(graph, mentor_scores, capacities, extend=extend)
        else:
            solution = assignment.solve_optimal(graph, capacities, objective=config.objective)
            chosen = solution.assignment
            certified_gap = 0.0 if full else None
    if not stable and not full and config.certify:
        with _timed(seconds, "certify"):
            graph, solution, certified_gap = certify.refine(
                graph,
                capacities,
                solution,
                scorer.certify_block,
                score_rows=scorer.certify_rows,
                left_out=certify.LeftOut(
                    left_out,
                    np.zeros(scorer.n_mentors) if scorer.prices is None else scorer.prices,
                    lambda cols: scorer.for_mentors(cols).certify_block,
                ),
                objective=config.objective,
                good_enough=CERTIFIED_GAP,
            )
            chosen = solution.assignment
    with _timed(seconds, "explain"), _no_gc():
        chosen = np.asarray(chosen, dtype=np.int64)
        matched = np.flatnonzero(chosen >= 0)
        pin_rows = np.array([i for i, _ in pins], dtype=np.int64)
        pin_cols = np.array([j for _, j in pins], dtype=np.int64)
        mentee_idx = np.concatenate([pin_rows, free[matched]])
        mentor_idx = np.concatenate([pin_cols, active[chosen[matched]]])
        is_pinned = np.arange(mentee_idx.size) < len(pins)
        matches: list[Match] = explain(
            problem.profiles,
            config.mentee_weights,
            mentees,
            mentors,
            mentee_idx=mentee_idx,
            mentor_idx=mentor_idx,
            pinned=is_pinned,
            kept_terms=problem.fused[0].kept_terms,
        )
        room = remaining.copy()
        np.subtract.at(room, active[chosen[matched]], 1)
        unmatched = _reasons(config, problem.profiles, mentees, mentors=mentors, rows=free[chosen < 0], room=room)
    scores = [mt.score for mt in matches]
    total = float(sum(scores))
    stats = MatchStats(
        n_mentees=len(mentees),
        n_mentors=len(mentors),
        n_matched=len(matches),
        n_pinned=len(pins),
        total_score=total,
        mean_score=total / len(scores) if scores else 0.0,
        min_score=min(scores) if scores else 0.0,
        seconds=seconds,
        certified_gap=certified_gap,
    )
    return MatchResult(matches=tuple(matches), unmatched=tuple(unmatched), stats=stats)


def match(
    mentees: Iterable[Mentee],
    mentors: Iterable[Mentor],
    config: MatchConfig | None = None,
) -> MatchResult:
    """Pair mentees with mentors and explain every pair.

    Args:
        mentees: the mentees; ids must be unique.
        mentors: the mentors; ids must be unique (a mentor sharing a mentee's id is the same person and is never
            matched with themself).
        config: weights, strategy and constraints (default: :class:`~matching.data.MatchConfig()`).

    Returns:
        The :class:`~matching.data.MatchResult`: matches (pinned first, then in mentee input order) with their
        explanations, unmatched mentees with a reason, and statistics.

    Raises:
        InvalidInputError: a duplicate id, a pinned pair naming an unknown person, pinned twice, excluded, or
            exceeding a capacity (person data is validated when the ``Mentee``/``Mentor`` is built).
    """
    problem = prepare(mentees, mentors, config)
    started = time.perf_counter()
    partial = score_chunk(problem, 0, problem.n_rows)
    scoring = time.perf_counter() - started
    parts = [partial] if partial else []
    del partial  # the list is the only holder: _combine frees the chunks before solving
    result = _combine(problem, parts)
    seconds = dict(result.stats.seconds)
    seconds["candidates"] += scoring
    stats = replace(result.stats, seconds=seconds)
    return replace(result, stats=stats)
