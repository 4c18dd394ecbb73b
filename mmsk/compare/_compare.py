"""The main job as a function: cross-validate candidates, ensemble them, return the best.

:func:`compare_models` runs every candidate on the same folds, keeps each one's
out-of-fold predictions, builds a greedy ensemble from those predictions (no second
cross-validation), ranks everything in a leaderboard and refits the winner on all rows.
``mmsk compare`` is a thin command-line face of it.
"""

import tempfile
import time
from dataclasses import dataclass, field
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.utils.multiclass import type_of_target

from .._cache import FitCache, seconds_saved
from ..ensemble import EnsembleSelectionClassifier, EnsembleSelectionRegressor
from ..ensemble._selection import greedy_weights, score_predictions
from ..fusion._per_modality import BasePerModality
from ._space import PRESETS, search_space

TASKS = ("auto", "binary", "multiclass", "regression")
DEFAULT_SCORING = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "r2"}
ENSEMBLE_NAME = "ensemble"

#: A numeric target with more distinct values than this is a regression target, even
#: when every value is an integer (ratings from 80 to 100, counts, years).
MAX_CLASSES_FOR_INTEGERS = 10


def infer_task(y):
    """``"binary"``, ``"multiclass"`` or ``"regression"`` from the target's values.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target.

    Returns
    -------
    task : {"binary", "multiclass", "regression"}
        Two values make a binary task; strings or at most
        ``MAX_CLASSES_FOR_INTEGERS`` distinct integers a multiclass task; more distinct
        integers (such as review points from 80 to 100) or any fractional number a
        regression task.
    """
    values = pd.Series(np.asarray(y, dtype=object)).dropna()
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and len(values):
        values = numeric
    target_type = type_of_target(values.to_numpy())
    if target_type == "binary":
        return "binary"
    if target_type == "continuous":
        return "regression"
    if target_type == "multiclass":
        if pd.api.types.is_numeric_dtype(values.dtype):
            many = values.nunique() > MAX_CLASSES_FOR_INTEGERS
            return "regression" if many else "multiclass"
        return "multiclass"
    raise ValueError(
        f"Cannot tell the task from the target (scikit-learn type {target_type!r}); pass "
        "task='binary', 'multiclass' or 'regression'."
    )


def task_reason(y, task):
    """Why :func:`infer_task` chose ``task`` for ``y``, in words, with how to override it.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        The target.
    task : {"binary", "multiclass", "regression"}
        What :func:`infer_task` returned for it.

    Returns
    -------
    reason : str
        Such as ``"19 distinct numbers; pass task='multiclass' to treat them as
        classes"``.
    """
    values = pd.Series(np.asarray(y, dtype=object)).dropna()
    distinct = values.nunique()
    if task == "regression":
        return f"{distinct} distinct numbers; pass task='multiclass' to treat them as classes"
    other = "regression" if pd.to_numeric(values, errors="coerce").notna().all() else None
    hint = f"; pass task={other!r} to predict a number" if other and distinct > 2 else ""
    return f"{distinct} distinct labels{hint}"


def check_scoring_name(scoring, task):
    """The scorer name to use for ``task``; an unknown name is a short ValueError."""
    if scoring is None:
        return DEFAULT_SCORING[task]
    if callable(scoring):
        return scoring
    if scoring not in get_scorer_names():
        close = [name for name in get_scorer_names() if scoring.lower() in name][:8]
        hint = f"; close names: {', '.join(close)}" if close else ""
        raise ValueError(
            f"Unknown scoring {scoring!r}: expected a scikit-learn scorer name such as "
            f"{DEFAULT_SCORING[task]!r}{hint}."
        )
    return scoring


class EveryCandidateFailed(RuntimeError):
    """No candidate of :func:`compare_models` succeeded in any fold.

    Parameters
    ----------
    rows : list of dict
        The leaderboard rows of the failed candidates, in the order they ran.
    """

    def __init__(self, rows):
        self.rows = rows
        self.first_error = next((row["error"] for row in rows if row["error"]), "none")
        super().__init__(f"Every candidate failed; the first error: {self.first_error}")


@dataclass
class CandidateResult:
    """One candidate's cross-validation: per-fold scores and times, out-of-fold output."""

    name: str
    fold_scores: list = field(default_factory=list)
    fit_seconds: list = field(default_factory=list)
    fit_alone_seconds: list = field(default_factory=list)
    predict_seconds: list = field(default_factory=list)
    out_of_fold: np.ndarray | None = None
    errors: list = field(default_factory=list)
    members: dict | None = None

    @property
    def complete(self):
        """Whether every fold succeeded (the out-of-fold output is whole)."""
        return not self.errors and self.out_of_fold is not None

    def row(self):
        """The candidate's leaderboard row."""
        scores = np.asarray(self.fold_scores, dtype=float)
        return {
            "model": self.name,
            "score_mean": float(scores.mean()) if scores.size else np.nan,
            "score_std": float(scores.std()) if scores.size else np.nan,
            "fit_time": float(np.mean(self.fit_seconds)) if self.fit_seconds else np.nan,
            "fit_time_alone": (
                float(np.mean(self.fit_alone_seconds)) if self.fit_alone_seconds else np.nan
            ),
            "predict_time": (
                float(np.mean(self.predict_seconds)) if self.predict_seconds else np.nan
            ),
            "failed_folds": len(self.errors),
            "error": self.errors[0] if self.errors else None,
            "members": _describe_members(self.members),
        }


def _describe_members(members):
    if not members:
        return ""
    return ", ".join(f"{name} {weight:.2f}" for name, weight in members.items() if weight > 0)


class Comparison:
    """What :func:`compare_models` found: the leaderboard, the best model and the evidence.

    Attributes
    ----------
    leaderboard : pandas.DataFrame
        One row per candidate (and the ensemble), best first: ``model``,
        ``score_mean`` and ``score_std`` over the folds, ``fit_time`` (mean seconds
        per fold, as measured: work shared with an earlier candidate is not counted
        again), ``fit_time_alone`` (what a fold's fit would take without the shared
        work: the measured time plus the compute time of every cached fit it reused),
        ``predict_time`` (mean seconds per fold), ``failed_folds``, ``error`` (the
        first failure as ``"Type: message"``, or None) and ``members`` (the
        ensemble's weights). Candidates that succeeded in every fold come first,
        then those that failed in some folds, then those that failed in all.
    best_name : str
        The top row's name.
    best_model : estimator or None
        The best candidate refitted on every row (None with ``refit=False``).
    out_of_fold : dict
        Each candidate's out-of-fold predictions (probabilities for classification),
        for the candidates whose every fold succeeded.
    candidates : dict
        The unfitted candidates, by name.
    skipped : list of str
        Candidates not started because the time limit was reached.
    task, scoring : str
        The learning task and the metric.
    folds : list of tuple
        The ``(train, test)`` indices every candidate was scored on.
    seconds : float
        Wall time of the whole comparison, refit included.
    """

    def __init__(self, *, results, best_model, candidates, skipped, task, scoring, folds, seconds):
        self.leaderboard = _leaderboard(results)
        self.best_name = self.leaderboard["model"].iloc[0]
        self.best_model = best_model
        self.out_of_fold = {
            r.name: r.out_of_fold for r in results if r.complete and r.name != ENSEMBLE_NAME
        }
        self.candidates = candidates
        self.skipped = skipped
        self.task = task
        self.scoring = scoring
        self.folds = folds
        self.seconds = seconds

    def __repr__(self):
        return (
            f"Comparison(task={self.task!r}, scoring={self.scoring!r}, "
            f"best={self.best_name!r}, candidates={len(self.leaderboard)})"
        )

    def _repr_html_(self):
        caption = f"mmsk comparison: {self.task}, {self.scoring}, best {self.best_name}"
        return self.leaderboard.to_html(index=False, float_format="{:.4f}".format).replace(
            "<table", f"<table title='{caption}'", 1
        )


def rank(rows):
    """Leaderboard rows best first: complete candidates, then partly failed, then failed.

    Parameters
    ----------
    rows : list of dict
        Rows with ``score_mean`` and ``failed_folds``.

    Returns
    -------
    rows : list of dict
        The same rows, sorted (ties keep their order).
    """

    def key(row):
        scored = np.isfinite(row["score_mean"])
        standing = 0 if not row["failed_folds"] else 1 if scored else 2
        return standing, -row["score_mean"] if scored else 0.0

    return sorted(rows, key=key)


def _leaderboard(results):
    return pd.DataFrame(rank([result.row() for result in results]))


def compare_models(
    X,
    y,
    *,
    task="auto",
    preset="default",
    candidates=None,
    cv=5,
    scoring=None,
    time_limit=None,
    ensemble=True,
    refit=True,
    random_state=0,
    n_jobs=None,
    cache=True,
    on_start=None,
    on_result=None,
    on_fold=None,
):
    """Cross-validate fusion candidates on the same folds, ensemble them, refit the best.

    Parameters
    ----------
    X : pandas.DataFrame
        The input table.
    y : array-like of shape (n_samples,)
        The target.
    task : {"auto", "binary", "multiclass", "regression"}, default="auto"
        The learning task; "auto" infers it with :func:`infer_task`.
    preset : {"fast", "default", "best"}, default="default"
        The search space; see :func:`search_space`.
    candidates : list of str, dict or None, default=None
        Names from the ``"best"`` search space (to run only those), or a dict of
        your own name to unfitted estimator; None runs the preset.
    cv : int, default=5
        Number of folds, stratified for classification, shuffled with
        ``random_state``; every candidate is scored on the same folds.
    scoring : str, callable or None, default=None
        A scikit-learn scorer; None means roc_auc (binary), accuracy (multiclass) or
        r2 (regression).
    time_limit : float or None, default=None
        Seconds. After the first candidate, none is started once the time spent plus
        the predicted cost of the next one (the mean of those run so far) would pass
        the limit; the names not started are in ``skipped``. None runs every
        candidate.
    ensemble : bool, default=True
        Add a greedy ensemble of the candidates (Caruana's forward selection with
        replacement over their out-of-fold predictions) as a leaderboard row.
    refit : bool, default=True
        Refit the top row on every row (for the ensemble: the members it picked).
    random_state : int, default=0
        Seed of the folds and of every candidate.
    n_jobs : int or None, default=None
        Folds of one candidate run in parallel.
    cache : bool, default=True
        Share work between candidates through a temporary cache: each modality's
        transform, its fits on every fold and its out-of-fold predictions are
        computed once for every late, Bayesian-network and Markov-random-field
        candidate that uses the same modality model, and the final refit reuses
        them. False computes every candidate alone: the same scores, slower (for
        measuring what the sharing saves).
    on_start : callable or None, default=None
        Called as ``on_start(name, position, total)`` before each candidate.
    on_result : callable or None, default=None
        Called with each leaderboard row (a dict) as soon as its candidate is done,
        so a caller interrupted by Ctrl+C (``KeyboardInterrupt``, which is not caught)
        still holds the rows finished so far.
    on_fold : callable or None, default=None
        Called as ``on_fold(name, done, n_folds)`` each time one of the candidate's
        folds is done (``done`` counts them), for a progress bar over candidates and
        folds.

    Returns
    -------
    comparison : Comparison
        The leaderboard, the refitted best model and the out-of-fold predictions.

    Raises
    ------
    EveryCandidateFailed
        When no candidate succeeded in any fold.

    Examples
    --------
    >>> from mmsk.compare import compare_models
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, y = make_multimodal_classification(n_samples=120, random_state=0)
    >>> result = compare_models(X, y, preset="fast", cv=3)
    >>> list(result.leaderboard.columns[:3])
    ['model', 'score_mean', 'score_std']
    >>> result.best_model.predict(X[:2]).shape
    (2,)
    """
    start = time.perf_counter()
    y = pd.Series(np.asarray(y), name=getattr(y, "name", None))
    task = infer_task(y) if task == "auto" else _check_task(task)
    scoring = check_scoring_name(scoring, task)
    if preset not in PRESETS:
        raise ValueError(f"The 'preset' must be one of {list(PRESETS)}; got {preset!r}.")
    folds = _folds(X, y, task, cv, random_state)
    scorer = get_scorer(scoring) if isinstance(scoring, str) else scoring
    with tempfile.TemporaryDirectory(prefix="mmsk-compare-") as folder:
        memory = FitCache(folder) if cache else None
        models = _candidates(task, preset, candidates, len(X), memory, random_state)
        hooks = (on_start, on_result, on_fold)
        results, skipped = _run_candidates(
            models, X, y, folds, scorer, task, (time_limit, start), n_jobs, hooks
        )
        selection = None
        if ensemble:
            selection = _ensemble_result(results, models, y, folds, scorer, task)
            if selection is not None:
                results.append(selection[0])
                if on_result is not None:
                    on_result(selection[0].row())
        if not any(np.isfinite(r.row()["score_mean"]) for r in results):
            raise EveryCandidateFailed(rank([r.row() for r in results]))
        best = _leaderboard(results)["model"].iloc[0]
        best_model = _refit(best, models, selection, X, y, folds) if refit else None
    return Comparison(
        results=results,
        best_model=best_model,
        candidates={name: _without_cache(clone(model)) for name, model in models.items()},
        skipped=skipped,
        task=task,
        scoring=scoring,
        folds=folds,
        seconds=time.perf_counter() - start,
    )


def _check_task(task):
    if task not in TASKS:
        raise ValueError(f"The 'task' must be one of {list(TASKS)}; got {task!r}.")
    return task


def _folds(X, y, task, cv, random_state):
    splitter = KFold if task == "regression" else StratifiedKFold
    folds = splitter(n_splits=cv, shuffle=True, random_state=random_state)
    return list(folds.split(X, y))


def _candidates(task, preset, names, n_rows, memory, random_state):
    if isinstance(names, dict):
        return {name: _with_memory(clone(model), memory) for name, model in names.items()}
    if not names:
        return search_space(
            task, preset=preset, n_rows=n_rows, memory=memory, random_state=random_state
        )
    available = search_space(task, preset="best", memory=memory, random_state=random_state)
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(f"Unknown candidates {unknown}; available here: {', '.join(available)}.")
    return {name: available[name] for name in names}


def _run_candidates(models, X, y, folds, scorer, task, budget, n_jobs, hooks):
    (time_limit, start), (on_start, on_result, on_fold) = budget, hooks
    results, skipped, durations = [], [], []
    for position, (name, model) in enumerate(models.items(), start=1):
        if _out_of_time(time_limit, start, durations):
            skipped.append(name)
            continue
        if on_start is not None:
            on_start(name, position, len(models))
        began = time.perf_counter()
        result = cross_validate_candidate(
            name, model, X, y, folds, scorer, task, n_jobs, on_fold=on_fold
        )
        durations.append(time.perf_counter() - began)
        results.append(result)
        if on_result is not None:
            on_result(result.row())
    return results, skipped


def _out_of_time(time_limit, start, durations):
    if time_limit is None or not durations:
        return False
    predicted = float(np.mean(durations)) if durations else 0.0
    return time.perf_counter() - start + predicted > time_limit


def cross_validate_candidate(name, model, X, y, folds, scorer, task, n_jobs=None, on_fold=None):
    """Fit and score one candidate on every fold; keep its out-of-fold predictions.

    A fold whose fit or prediction raises is recorded in ``errors`` (its type and
    message on one line) and left out of the scores; the candidate then has no complete
    out-of-fold output and takes no part in the ensemble.

    Parameters
    ----------
    name : str
        The candidate's name.
    model : estimator
        The unfitted candidate.
    X : pandas.DataFrame
        The table.
    y : pandas.Series
        The target.
    folds : list of tuple
        ``(train, test)`` row indices.
    scorer : callable
        A scikit-learn scorer.
    task : {"binary", "multiclass", "regression"}
        The learning task.
    n_jobs : int or None, default=None
        Folds run in parallel.
    on_fold : callable or None, default=None
        Called as ``on_fold(name, done, n_folds)`` as each fold finishes.

    Returns
    -------
    result : CandidateResult
    """
    from sklearn.utils.parallel import Parallel, delayed

    classes = None if task == "regression" else np.unique(y.to_numpy())
    running = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_run_fold)(_on_fold_rows(model, folds, k), X, y, train, test, scorer, classes)
        for k, (train, test) in enumerate(folds)
    )
    outcomes = []
    for outcome in running:
        outcomes.append(outcome)
        if on_fold is not None:
            on_fold(name, len(outcomes), len(folds))
    result = CandidateResult(name)
    width = () if classes is None else (len(classes),)
    out_of_fold = np.full((len(y), *width), np.nan)
    for (_, test), outcome in zip(folds, outcomes):
        if "error" in outcome:
            result.errors.append(outcome["error"])
            continue
        out_of_fold[test] = outcome["output"]
        result.fold_scores.append(outcome["score"])
        result.fit_seconds.append(outcome["fit_seconds"])
        result.fit_alone_seconds.append(outcome["fit_seconds"] + outcome["reused_seconds"])
        result.predict_seconds.append(outcome["predict_seconds"])
    result.out_of_fold = None if result.errors else out_of_fold
    return result


def _run_fold(model, X, y, train, test, scorer, classes):
    try:
        reused_before = seconds_saved()
        began = time.perf_counter()
        fitted = clone(model).fit(X.iloc[train], y.iloc[train])
        fitted_at = time.perf_counter()
        reused = seconds_saved() - reused_before
        output = _output(fitted, X.iloc[test], classes)
        predicted_at = time.perf_counter()
        score = _score_output(scorer, output, y.iloc[test], classes)
    except Exception as error:  # one fold's failure must not end the comparison
        return {"error": f"{type(error).__name__}: {_one_line(error)}"}
    return {
        "output": output,
        "score": score,
        "fit_seconds": fitted_at - began,
        "reused_seconds": reused,
        "predict_seconds": predicted_at - fitted_at,
    }


#: The longest failure reason kept in a leaderboard row.
MAX_REASON_CHARACTERS = 200


def _one_line(error):
    text = " ".join(str(error).split()) or "(no message)"
    if len(text) <= MAX_REASON_CHARACTERS:
        return text
    return text[: MAX_REASON_CHARACTERS - 3] + "..."


def _output(model, X, classes):
    if classes is None:
        return np.asarray(model.predict(X), dtype=np.float64).ravel()
    if hasattr(model, "predict_proba"):
        probabilities = np.asarray(model.predict_proba(X), dtype=np.float64)
        placed = np.zeros((len(X), len(classes)))
        placed[:, np.searchsorted(classes, model.classes_)] = probabilities
        return placed
    labels = np.asarray(model.predict(X))
    return (labels[:, None] == classes[None, :]).astype(np.float64)


def _score_output(scorer, output, y, classes):
    return score_predictions(scorer, output, y.to_numpy(), classes)


def _ensemble_result(results, models, y, folds, scorer, task):
    """The greedy ensemble's leaderboard entry and the selector, or None."""
    complete = [r for r in results if r.complete and np.isfinite(r.row()["score_mean"])]
    if len(complete) < 2:
        return None
    selector = _selector(task, [(r.name, models[r.name]) for r in complete], scorer)
    predictions = [r.out_of_fold for r in complete]
    classes = None if task == "regression" else np.unique(y.to_numpy())
    weights, _ = greedy_weights(
        predictions,
        lambda blend: score_predictions(scorer, blend, y.to_numpy(), classes),
        selector.n_iterations,
    )
    blend = sum(w * p for w, p in zip(weights, predictions))
    entry = CandidateResult(ENSEMBLE_NAME, out_of_fold=blend)
    for _, test in folds:
        entry.fold_scores.append(_score_output(scorer, blend[test], y.iloc[test], classes))
    members = dict(zip([r.name for r in complete], weights.tolist()))
    entry.members = members
    chosen = [r for r, w in zip(complete, weights) if w > 0]
    entry.fit_seconds = [sum(np.mean(r.fit_seconds) for r in chosen)]
    entry.fit_alone_seconds = [sum(np.mean(r.fit_alone_seconds) for r in chosen)]
    entry.predict_seconds = [sum(np.mean(r.predict_seconds) for r in chosen)]
    return entry, selector, predictions


def _selector(task, members, scorer):
    cls = EnsembleSelectionRegressor if task == "regression" else EnsembleSelectionClassifier
    return cls(members, scoring=scorer)


def _refit(best, models, selection, X, y, folds):
    if best != ENSEMBLE_NAME:
        return _without_cache(_fit_on_all_rows(models[best], folds, X, y))
    _, selector, predictions = selection
    own = selector.estimators
    selector.set_params(estimators=[(name, _on_all_rows(m, folds)) for name, m in own])
    model = selector.fit_from_predictions(X, y, predictions)
    unfitted = dict(own)
    for name, fitted in zip(model.member_names_, model.estimators_):
        if _takes_inner_folds(unfitted[name]):
            fitted.set_params(cv=unfitted[name].cv)
    model.set_params(estimators=own)
    return _without_cache(model)


def _takes_inner_folds(model):
    """Whether ``model`` cross-validates inside its fit on folds of its own (an int ``cv``).

    Such a candidate (late, Bayesian-network, Markov-random-field fusion) takes the
    comparison's folds as its inner folds instead: inside outer fold ``k``, its
    out-of-fold predictions come from the other outer folds (one inner fold each);
    on all rows (the refit), from the outer folds themselves. A modality model
    fitted outside outer folds ``j`` and ``k`` then serves fold ``k``'s inner fold
    ``j`` and fold ``j``'s inner fold ``k``; one fitted outside fold ``k`` serves
    fold ``k`` and the refit; and every candidate with the same modality model
    shares them all through the cache. Without the cache nothing is shared, and the
    scores are the same.
    """
    return isinstance(model, BasePerModality) and isinstance(model.cv, Integral)


def _on_fold_rows(model, folds, k):
    """``model``, with the other outer folds as inner folds inside outer fold ``k``."""
    if not _takes_inner_folds(model):
        return model
    fold_of = _fold_of_rows(folds)[folds[k][0]]
    inner = [
        (np.flatnonzero(fold_of != j), np.flatnonzero(fold_of == j))
        for j in range(len(folds))
        if j != k
    ]
    return clone(model).set_params(cv=inner)


def _on_all_rows(model, folds):
    """``model``, with the outer folds as inner folds, for a fit on every row."""
    if not _takes_inner_folds(model):
        return model
    return clone(model).set_params(cv=[(train, test) for train, test in folds])


def _fit_on_all_rows(model, folds, X, y):
    """``model`` fitted on every row; its ``cv`` is given back once the folds are spent."""
    fitted = clone(_on_all_rows(model, folds)).fit(X, y)
    if _takes_inner_folds(model):
        fitted.set_params(cv=model.cv)
    return fitted


def _fold_of_rows(folds):
    fold_of = np.empty(sum(len(test) for _, test in folds), dtype=int)
    for k, (_, test) in enumerate(folds):
        fold_of[test] = k
    return fold_of


def _with_memory(model, memory):
    """A user's candidate sharing the comparison's cache where it has a ``memory``."""
    if memory is not None and "memory" in model.get_params(deep=False):
        if model.get_params(deep=False)["memory"] is None:
            model.set_params(memory=memory)
    return model


def _without_cache(model):
    """Point every ``memory`` parameter of a fitted model away from the temporary cache."""
    cached = [
        key
        for key, value in model.get_params(deep=True).items()
        if key.endswith("memory") and value is not None
    ]
    for key in sorted(cached, key=len, reverse=True):
        model.set_params(**{key: None})
    for member in getattr(model, "estimators_", None) or []:
        if hasattr(member, "get_params"):
            _without_cache(member)
    return model
