"""Bad-input catalogue: every public estimator against every case that applies to it.

Four sibling catalogues hold the classes of bad input that need inputs of their own,
each case listed with its outcome in its module docstring:
``test_bad_input_values.py`` (cell values that are not unambiguously numbers, odd
dtypes at predict time, generated feature names that would shadow a column),
``test_bad_input_cv.py`` (prefit models' labels, splitters, groups, rare classes,
estimator kinds, reordered y and sample_weight indexes),
``test_bad_input_models.py`` (diverging neural training, neural parameters, damaged,
incomplete or oversized model files, untrusted regular expressions) and
``test_bad_input_cli.py`` (the command line: outputs that would replace an input,
unwritable outputs, bad CSVs and targets, failing candidates, Ctrl+C, model formats).

Each case ends either in a clear error, whose type and message (naming the column,
modality or parameter, what was expected and what was received) the test asserts, or
in documented graceful handling, which the test asserts too. The estimators are the
eight fusion estimators (early, late, neural and Bayesian-network fusion; classifier
and regressor) and, where a case applies to them, the transformers TabularEncoder,
TextVectorizer, TextTokenizer and ModalityUnion. Neural fusion is skipped without
torch and skorch, Bayesian-network fusion without pgmpy.

Fit time (a fresh clone is fitted on the bad input):

- empty-frame: ``pd.DataFrame()`` -> ValueError "Found array with 0 sample(s)
  (shape=(0, 0)) ... required by <estimator>".
- zero-rows: the columns without rows -> ValueError "Found array with 0 sample(s)".
- zero-columns: rows without columns -> ValueError "Found array with 0 feature(s)".
- one-row: classifiers -> ValueError "y has only one class"; early and neural
  regressors and the transformers fit and predict it; late and Bayesian regressors
  -> ValueError "Cross-validating the estimator of modality 'tabular' failed: Cannot
  have number of splits n_splits=3 greater than the number of samples: n_samples=1".
- target-nan: one missing target -> ValueError "Input y contains NaN: 1 of 60 labels
  (target values) are missing (first at row 3)".
- target-inf: regressors -> ValueError "Input y contains infinity: 1 of 60 target
  values are infinite (first at row 3)".
- target-huge: regressors, y of 1e300 -> ValueError "The target y of <estimator> has
  60 values larger in magnitude than 1e+150 ... Rescale y".
- target-tiny: regressors, y of 1e-300 -> ValueError "The target y of <estimator>
  varies by at most 2.62966e-300 around its mean, less than 1e-150 ... Rescale y".
- one-class: classifiers -> ValueError "y has only one class ('bad'): <estimator>
  needs at least two classes"; regressors with a constant target -> handled: they
  predict the constant (the neural regressor predicts finite values).
- many-classes: 200 classes on 240 rows -> handled: 200 columns of probabilities
  summing to one, labels from classes_; the Bayesian classifier refuses with a
  ValueError naming the oversized probability table and suggesting a lower n_bins.
- string-labels: classifiers -> handled: classes_ are the strings, predictions among
  them; regressors -> ValueError "The target y of <estimator> must be numeric; got
  'bad' at row 0".
- mixed-labels: classifiers -> TypeError "The labels y of <estimator> must be all
  strings or all numbers; got a mix, for example 'a' (row 1) and 1 of type int (row
  0)"; regressors -> ValueError "must be numeric; got 'a' at row 1".
- target-column-vector: y of shape (n, 1) -> handled with DataConversionWarning "A
  column-vector y was passed".
- target-length-mismatch: -> ValueError "X has 60 rows and y has 59 values".
- target-none: -> ValueError "<estimator> requires y to be passed".
- numeric-strings: a numeric column holding "n/a", "abc" and "1,200" -> handled: the
  column stays numeric, "1,200" is 1200, the two words are missing values, with
  DataConversionWarning "2 of 60 values of the numeric column 'num_0' are not numbers
  (first at row 1: 'n/a')".
- text-numbers-lists-bytes: a text column holding None, NaN, "", numbers, bytes
  (invalid UTF-8), a list and a tuple -> handled: they become text.
- all-nan-columns: columns of NaN, None, blank strings and infinities -> handled:
  their kind is "empty", they belong to no modality (TabularEncoder drops them);
  TextVectorizer -> ValueError "TextVectorizer found no word terms in text column
  'nothing'".
- constant-columns: a constant number, category and text -> handled.
- inf-values: infinite numbers -> handled as missing values.
- huge-values: 1e300, -1e308 and a column scaled by 1e200 -> handled: finite features
  and predictions.
- unicode-emoji-long-text: emoji (ZWJ sequences, flags), CJK, Arabic, combining marks
  and a 100,000-character text -> handled.
- empty-strings: "", " ", tabs and newlines in text and categorical cells -> handled:
  blank cells are missing values (TabularEncoder: the same level as None).
- duplicated-column-names: -> ValueError "X passed to <estimator> has duplicated
  column names ['num_0']".
- non-string-column-names: integer labels -> handled; the same columns in another
  order are matched by label for the fusion estimators and ModalityUnion (the same
  output), and for the modality transformers -> ValueError "Column labels must be in
  the same order as they were in fit ... X[[0, 1, ...]]".
- mixed-column-names: an integer among string labels -> TypeError "Feature names are
  only supported if all input features have string names, but your input has ['int',
  'str']".
- sparse-input: a CSR matrix -> TypeError "<estimator> does not accept sparse input X
  (got csr_matrix) ... (X.toarray())".
- sample-weight-negative: -> ValueError "sample_weight must be non-negative; got 1
  negative values (smallest -1)".
- sample-weight-some-zeros: a third of the weights zero -> handled.
- sample-weight-all-zeros: -> ValueError "sample_weight must have a positive sum".
- sample-weight-nan: -> ValueError "sample_weight must be finite; got 1 NaN or infinite
  values (first at row 0: nan)".
- modality-missing-at-fit: text missing in every row, modalities="auto" -> handled:
  the column is "empty" and the model fits on the tabular modality alone.
- modality-missing-at-fit-explicit: text missing in every row of an explicit spec ->
  ValueError "Modality 'text' is missing in every training row: its columns
  ['text_0'] ... set_params(text='drop')".
- invalid-modalities-parameter: modalities="everything" -> InvalidParameterError "The
  'modalities' parameter of <estimator> must be a str among {'auto'} or an instance of
  'list'. Got 'everything' instead."
- spec-column-not-in-x: -> ValueError "Modality 'tabular' selects column 'nope', which
  is not in X. X has columns ['num_0', ...]".

Predict time (one fitted model per estimator and module):

- predict-before-fit: -> NotFittedError "This <estimator> instance is not fitted yet.
  Call 'fit'".
- one-dimensional-array: one row as a 1-D array -> ValueError "Expected 2D array, got
  1D array instead".
- zero-rows-at-predict: -> ValueError "Found array with 0 sample(s)".
- one-row-at-predict: -> handled: one prediction.
- missing-column: fusion estimators and ModalityUnion (columns matched by name, as in
  ColumnTransformer) -> ValueError "X is missing 1 column(s) that <estimator> was
  fitted on: '<column>' (read by modality '<modality>'). Columns are matched by name
  ... Add the missing columns"; modality transformers -> ValueError "Feature names
  seen at fit time, yet now missing: - <column> ... Add the missing columns".
- added-column: fusion estimators and ModalityUnion -> handled: the extra column is
  ignored, the same predictions; modality transformers -> ValueError "Feature names
  unseen at fit time: - extra ... Remove the columns not seen during fit".
- reordered-columns: fusion estimators and ModalityUnion -> handled: the same
  predictions; modality transformers -> ValueError "Feature names must be in the same
  order as they were in fit. Pass the columns in the order seen during fit, for
  example X[estimator.feature_names_in_]".
- array-after-frame: a NumPy array after fitting on a DataFrame -> handled: columns
  matched by position, UserWarning "X does not have valid feature names".
- dtype-changes: numbers as strings, numbers as objects, categories as a pandas
  Categorical, text as objects -> handled: the same predictions.
- numeric-garbage-at-predict: a numeric column holding only "abc" -> handled as
  missing values, with DataConversionWarning "60 of 60 values of the numeric column
  'num_0' are not numbers".
- huge-values-at-predict: 1e300 and -1e300 -> handled: finite predictions; neural
  fusion, which computes in float32, refuses with a ValueError naming the modality
  and the float32 range.
- inf-at-predict: -> handled as missing values.
- unseen-categories: categories (and words) never seen in fit -> handled.
- text-numbers-lists-bytes-at-predict: -> handled as text.
- long-text-at-predict: a 100,000-character text in every row -> handled.
- modality-missing-at-predict: text missing in every row -> handled: predictions
  from the other modality (late fusion: the tabular model's own prediction).
- every-modality-missing-in-a-row: -> handled: one prediction (late fusion: the
  training class frequencies or the training mean).
- sparse-at-predict: -> TypeError "does not accept sparse input X".
- duplicated-columns-at-predict: -> ValueError "has duplicated column names".
"""

import importlib.util
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.utils._param_validation import InvalidParameterError

from mmsk import (
    BayesianNetworkFusionClassifier,
    BayesianNetworkFusionRegressor,
    EarlyFusionClassifier,
    EarlyFusionRegressor,
    LateFusionClassifier,
    LateFusionRegressor,
    MarkovRandomFieldFusionClassifier,
    MarkovRandomFieldFusionRegressor,
    ModalityUnion,
    TabularEncoder,
    TextTokenizer,
    TextVectorizer,
)
from mmsk._registry import public_estimators
from mmsk.datasets import make_multimodal_classification, make_multimodal_regression
from mmsk.fusion import NeuralFusionClassifier, NeuralFusionRegressor

N_ROWS = 60
LONG_TEXT = ("Long review ünïcödé 🎉 " * 5000)[:100_000]
TABULAR_COLUMNS = ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"]
EXPLICIT_SPEC = [("tabular", "auto", TABULAR_COLUMNS), ("text", "auto", ["text_0"])]


def _installed(*modules):
    try:
        return all(importlib.util.find_spec(module) is not None for module in modules)
    except (ImportError, ValueError):
        return False


HAS_NEURAL = _installed("torch", "skorch")
HAS_PGMPY = _installed("pgmpy")


# --------------------------------------------------------------------------- estimators


@dataclass(frozen=True)
class Entry:
    """A public estimator of the catalogue.

    ``family`` and ``role`` let a case say where it applies and what it expects.
    """

    id: str
    estimator: object
    family: str
    role: str
    needs: tuple = ()

    @property
    def is_predictor(self):
        return self.role in ("classifier", "regressor")

    def keys(self):
        """Keys by which a case's expectations and marks can address this entry."""
        return (self.id, self.family, self.role, "*")


# Small settings keep about 550 tests under a minute: linear per-modality models for late
# and Bayesian-network fusion, a two-epoch network for neural fusion. What is checked (the
# input handling of the shared modality machinery and of each family) does not depend on
# them.
SMALL_NET = {"max_epochs": 2, "embedding_dim": 16, "hidden_units": 32, "random_state": 0}

ENTRIES = [
    Entry("early-clf", EarlyFusionClassifier(), "early", "classifier"),
    Entry(
        "late-clf",
        LateFusionClassifier(estimators={"tabular": LogisticRegression()}, cv=3),
        "late",
        "classifier",
    ),
    Entry("neural-clf", NeuralFusionClassifier(**SMALL_NET), "neural", "classifier", ("neural",)),
    Entry(
        "bayes-clf",
        BayesianNetworkFusionClassifier(
            estimators={"tabular": LogisticRegression()}, cv=3, random_state=0
        ),
        "bayes",
        "classifier",
        ("bayes",),
    ),
    Entry("early-reg", EarlyFusionRegressor(), "early", "regressor"),
    Entry(
        "late-reg",
        LateFusionRegressor(estimators={"tabular": Ridge()}, cv=3),
        "late",
        "regressor",
    ),
    Entry("neural-reg", NeuralFusionRegressor(**SMALL_NET), "neural", "regressor", ("neural",)),
    Entry(
        "bayes-reg",
        BayesianNetworkFusionRegressor(estimators={"tabular": Ridge()}, cv=3, random_state=0),
        "bayes",
        "regressor",
        ("bayes",),
    ),
    Entry(
        "mrf-clf",
        MarkovRandomFieldFusionClassifier(
            estimators={"tabular": LogisticRegression()}, cv=3, random_state=0
        ),
        "mrf",
        "classifier",
    ),
    Entry(
        "mrf-reg",
        MarkovRandomFieldFusionRegressor(estimators={"tabular": Ridge()}, cv=3, random_state=0),
        "mrf",
        "regressor",
    ),
    Entry("tabular-encoder", TabularEncoder(), "tabular-encoder", "tabular"),
    Entry("text-vectorizer", TextVectorizer(), "text-vectorizer", "text"),
    Entry("text-tokenizer", TextTokenizer(), "text-tokenizer", "text"),
    Entry("modality-union", ModalityUnion(), "modality-union", "union"),
]

MISSING_DEPENDENCY = {
    "neural": (not HAS_NEURAL, "neural fusion needs torch and skorch"),
    "bayes": (not HAS_PGMPY, "Bayesian-network fusion needs pgmpy"),
}

PREDICTORS = frozenset({"classifier", "regressor"})
CLASSIFIERS = frozenset({"classifier"})
REGRESSORS = frozenset({"regressor"})
WITH_MODALITIES = PREDICTORS | {"union"}
WITH_TABULAR = PREDICTORS | {"tabular", "union"}
WITH_TEXT = PREDICTORS | {"text", "union"}
EVERY_ROLE = PREDICTORS | {"tabular", "text", "union"}


# --------------------------------------------------------------------------- outcomes


@dataclass(frozen=True)
class Raises:
    """A clear error: its type, and a regex its message must match.

    ``{estimator}`` in the regex stands for the estimator's class name.
    """

    type: type
    match: str

    def pattern(self, model):
        return self.match.replace("{estimator}", type(model).__name__)


@dataclass(frozen=True)
class Handled:
    """Graceful handling: ``check(model, call, output)`` asserts it.

    ``output`` is what the model returns for ``call.X`` (``predict`` or
    ``transform``). ``warns`` is an expected ``(category, regex)`` warning, if any.
    """

    check: Callable
    warns: tuple = None


@dataclass(frozen=True)
class XFail:
    """A known failure; ``run=False`` for one too costly to run (see the reason)."""

    reason: str
    run: bool = True


@dataclass(frozen=True)
class Call:
    """What a case hands to the estimator."""

    X: object
    y: object = None
    fit_params: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    """One bad input.

    Parameters
    ----------
    id : str
        Name of the case, listed in the module docstring.
    stage : {"fit", "predict", "unfitted"}
        ``"fit"`` fits a fresh clone on ``make_input``'s call; ``"predict"`` gives
        its X to the estimator fitted once per module; ``"unfitted"`` gives it to an
        unfitted clone.
    make_input : callable
        ``make_input(data)`` returns a :class:`Call`; ``data`` is the :class:`Data`
        of the entry's role.
    expected : Raises, Handled or dict
        The outcome, or a dict from entry keys (id, family, role or "*") to outcomes.
    roles : frozenset
        The roles the case applies to.
    xfail : dict
        Entry keys to :class:`XFail`.
    """

    id: str
    stage: str
    make_input: Callable
    expected: object
    roles: frozenset = EVERY_ROLE
    xfail: dict = field(default_factory=dict)

    def outcome(self, entry):
        if not isinstance(self.expected, dict):
            return self.expected
        key = next(key for key in entry.keys() if key in self.expected)
        return self.expected[key]

    def known_failure(self, entry):
        return next((self.xfail[key] for key in entry.keys() if key in self.xfail), None)


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class Data:
    """The clean table of a role: a fitted model of that role has seen exactly it."""

    role: str
    X: pd.DataFrame
    y: np.ndarray = None

    @property
    def first(self):
        return self.X.columns[0]

    @property
    def last(self):
        return self.X.columns[-1]

    @property
    def text_column(self):
        return "text_0" if "text_0" in self.X.columns else None


def _make_data(role):
    if role == "regressor":
        X, y = make_multimodal_regression(n_samples=N_ROWS, random_state=0)
        return Data(role, X, np.asarray(y, dtype=float))
    X, y = make_multimodal_classification(n_samples=N_ROWS, random_state=0)
    if role == "classifier":
        return Data(role, X, np.array(["bad", "good"])[y])
    if role == "tabular":
        return Data(role, X[TABULAR_COLUMNS])
    if role == "text":
        title = X["text_0"].str.split().str[:4].str.join(" ")
        return Data(role, X[["text_0"]].assign(title=title))
    return Data(role, X)


DATA = {role: _make_data(role) for role in sorted(EVERY_ROLE)}


def _output(model, X):
    """``predict`` of a fusion estimator, ``transform`` of a transformer."""
    return model.predict(X) if hasattr(model, "predict") else model.transform(X)


def _dense(output):
    return output.toarray() if sparse.issparse(output) else np.asarray(output)


def _assign(X, **columns):
    """``X`` with the given columns replaced, where ``X`` has them."""
    return X.assign(**{name: value for name, value in columns.items() if name in X.columns})


# ------------------------------------------------------------------ handled checks


def finite_output(model, call, output):
    """One finite output row per input row (labels from ``classes_``)."""
    output = _dense(output)
    assert output.shape[0] == len(call.X)
    if is_classifier(model):
        assert set(output) <= set(model.classes_)
        probabilities = model.predict_proba(call.X)
        assert np.isfinite(probabilities).all()
        np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)
    else:
        assert np.isfinite(output.astype(float)).all()


def predicts_constant(model, call, output):
    finite_output(model, call, output)
    np.testing.assert_allclose(output, call.y[0], rtol=1e-6)


def string_classes(model, call, output):
    finite_output(model, call, output)
    assert model.classes_.tolist() == ["bad", "good"]


def many_classes(model, call, output):
    finite_output(model, call, output)
    assert len(model.classes_) == 200
    assert model.predict_proba(call.X).shape == (len(call.X), 200)


def numeric_strings(model, call, output):
    finite_output(model, call, output)
    assert model.column_kinds_["num_0"] == "numeric"
    if isinstance(model, TabularEncoder):
        with pytest.warns(DataConversionWarning, match="2 of 3 values"):
            parsed = model.transform(call.X.iloc[[1, 2, 5]])
        names = model.get_feature_names_out().tolist()
        np.testing.assert_array_equal(parsed[:, names.index("num_0_missing")], [1, 0, 1])


EMPTY_COLUMNS = {
    "blank": np.nan,
    "nothing": None,
    "spaces": "  ",
    "infinities": np.inf,
}


def empty_columns_left_out(model, call, output):
    finite_output(model, call, output)
    assert all(model.column_kinds_[column] == "empty" for column in EMPTY_COLUMNS)
    if isinstance(model, TabularEncoder):
        assert sorted(model.dropped_columns_) == sorted(EMPTY_COLUMNS)
    elif hasattr(model, "modality_columns_"):
        used = {column for columns in model.modality_columns_.values() for column in columns}
        assert not used & set(EMPTY_COLUMNS)


def blank_cells_are_missing(model, call, output):
    finite_output(model, call, output)
    if isinstance(model, TabularEncoder):
        # Rows 0 ("") and 5 (None) of cat_0 fall on the same, missing, level.
        encoded = model.transform(call.X.iloc[[0, 5]])
        columns = [i for i, n in enumerate(model.get_feature_names_out()) if "cat_0" in n]
        np.testing.assert_array_equal(encoded[0, columns], encoded[1, columns])


def integer_labels(model, call, output):
    finite_output(model, call, output)
    assert not hasattr(model, "feature_names_in_")
    reordered = call.X[call.X.columns[::-1]]
    if _role(model) in WITH_MODALITIES:
        got, expected = np.asarray(_dense(_output(model, reordered))), np.asarray(_dense(output))
        if np.issubdtype(expected.dtype, np.number):
            np.testing.assert_allclose(got, expected)
        else:
            np.testing.assert_array_equal(got, expected)
    else:
        with pytest.raises(
            ValueError, match=r"(?s)same order as they were in fit.*X\[\[0, 1[,\]]"
        ):
            _output(model, reordered)
    np.testing.assert_array_equal(
        _dense(_output(model, call.X.to_numpy())), _dense(_output(model, call.X))
    )


def text_modality_left_out(model, call, output):
    finite_output(model, call, output)
    assert model.column_kinds_["text_0"] == "empty"
    assert list(model.modality_columns_) == ["tabular"]


def same_as_clean_input(model, call, output):
    clean = _output(model, DATA[_role(model)].X)
    if is_classifier(model):
        np.testing.assert_array_equal(output, clean)
        np.testing.assert_allclose(
            model.predict_proba(call.X), model.predict_proba(DATA["classifier"].X)
        )
    else:
        np.testing.assert_allclose(_dense(output), _dense(clean))


def _role(model):
    if is_classifier(model):
        return "classifier"
    if is_regressor(model):
        return "regressor"
    return {
        TabularEncoder: "tabular",
        TextVectorizer: "text",
        TextTokenizer: "text",
        ModalityUnion: "union",
    }[type(model)]


def modality_missing_at_predict(model, call, output):
    finite_output(model, call, output)
    if type(model) in (LateFusionClassifier, LateFusionRegressor):
        tabular = model.named_estimators_["tabular"]
        columns = model.modality_columns_["tabular"]
        if is_classifier(model):
            np.testing.assert_allclose(
                model.predict_proba(call.X), tabular.predict_proba(call.X[columns])
            )
        else:
            np.testing.assert_allclose(output, tabular.predict(call.X[columns]))


def every_modality_missing(model, call, output):
    finite_output(model, call, output)
    if type(model) is LateFusionClassifier:
        np.testing.assert_allclose(model.predict_proba(call.X)[0], model.class_prior_)
    if type(model) is LateFusionRegressor:
        np.testing.assert_allclose(output, model.target_mean_)


# --------------------------------------------------------------------------- inputs


def _rows(d, rows):
    return Call(d.X.iloc[rows], None if d.y is None else d.y[rows])


def _with_target(d, values):
    return Call(d.X, np.asarray(values, dtype=object))


def _missing_target(d):
    y = d.y.astype(object if d.role == "classifier" else float)
    y[3] = None if d.role == "classifier" else np.nan
    return Call(d.X, y)


def _infinite_target(d):
    y = d.y.copy()
    y[3] = np.inf
    return Call(d.X, y)


def _many_classes(d):
    X, _ = make_multimodal_classification(n_samples=240, random_state=0)
    X = X.assign(text_0=X["text_0"].str.split().str[:4].str.join(" "))
    return Call(X, np.array([f"class {min(i, 199):03d}" for i in range(240)]))


def _numeric_strings(d):
    X = d.X.astype({"num_0": object})
    X.loc[[1, 2, 5], "num_0"] = ["n/a", "1,200", "abc"]
    return Call(X, d.y)


def _messy_text(d):
    X = d.X.astype({"text_0": object})
    X.loc[0:7, "text_0"] = pd.Series(
        [
            None,
            np.nan,
            "",
            42,
            3.5,
            b"bytes with \xff invalid utf-8",
            ["a", "list"],
            ("tu", "ple"),
        ],
        index=range(8),
        dtype=object,
    )
    return Call(X, d.y)


def _all_nan_columns(d):
    return Call(d.X.assign(**EMPTY_COLUMNS), d.y)


def _constant_columns(d):
    text = "the very same review text for every single row of the table"
    return Call(_assign(d.X, num_0=1.0, cat_0="same", text_0=text, title=text), d.y)


def _infinite_values(d):
    X = d.X.copy()
    X.loc[0:9, "num_0"] = np.inf
    X.loc[10:19, "num_1"] = -np.inf
    X.loc[20:29, "num_2"] = np.nan
    return Call(X, d.y)


def _huge_values(d):
    X = d.X.copy()
    X.loc[0:4, "num_0"] = 1e300
    X.loc[5:9, "num_1"] = -1e308
    X["num_2"] = X["num_2"] * 1e200
    return Call(X, d.y)


UNICODE_TEXTS = [
    "Emoji 👩‍👩‍👧‍👦 family, flags 🇳🇴🇯🇵, skin tone 👍🏽 and ✨ sparkles ✨",
    "中文评论: 质量很好, 尺码偏小, 推荐购买",
    "مراجعة باللغة العربية مع نص من اليمين إلى اليسار",
    "Combining marks: e\u0301 a\u0308 n\u0303, zero\u200bwidth and\u00a0no-break spaces",
    LONG_TEXT,
]


def _unicode_text(d):
    X = d.X.astype({column: object for column in d.X.columns if column in ("text_0", "cat_0")})
    if "text_0" in X:
        X.loc[0:4, "text_0"] = pd.Series(UNICODE_TEXTS, index=range(5), dtype=object)
    if "cat_0" in X:
        X.loc[0:2, "cat_0"] = ["🎉", "ünïcödé", "日本"]
    return Call(X, d.y)


def _empty_strings(d):
    X = d.X.astype({column: object for column in d.X.columns if column in ("text_0", "cat_0")})
    if "text_0" in X:
        X.loc[0:5, "text_0"] = ["", " ", "\t", "\n", "  \r\n ", ""]
    if "cat_0" in X:
        X.loc[0:9, "cat_0"] = ["", " ", "\t", "", "\n"] + [None] * 5
    return Call(X, d.y)


def _duplicated_columns(d):
    return Call(pd.concat([d.X, d.X.iloc[:, [0]]], axis=1), d.y)


def _integer_labels(d):
    return Call(d.X.set_axis(range(d.X.shape[1]), axis=1), d.y)


def _mixed_labels(d):
    return Call(d.X.rename(columns={d.first: 0}), d.y)


def _sparse(d):
    return Call(sparse.random(N_ROWS, 4, density=0.5, format="csr", random_state=0), d.y)


def _weights(d, weights):
    return Call(d.X, d.y, fit_params={"sample_weight": np.asarray(weights, dtype=float)})


def _negative_weight(d):
    return _weights(d, np.r_[-1.0, np.ones(N_ROWS - 1)])


def _some_zero_weights(d):
    return _weights(d, np.r_[np.zeros(N_ROWS // 3), np.ones(N_ROWS - N_ROWS // 3)])


def _nan_weight(d):
    return _weights(d, np.r_[np.nan, np.ones(N_ROWS - 1)])


def _text_missing(d):
    return Call(d.X.assign(text_0=None), d.y)


def _text_blank_with_spec(d):
    return Call(d.X.assign(text_0=""), d.y, params={"modalities": EXPLICIT_SPEC})


def _unknown_column_in_spec(d):
    spec = [("tabular", "auto", ["num_0", "nope"]), ("text", "auto", ["text_0"])]
    return Call(d.X, d.y, params={"modalities": spec})


def _dtype_changes(d):
    changes = {
        "num_0": str,
        "num_1": object,
        "cat_0": "category",
        "text_0": object,
        "title": "category",
    }
    return Call(d.X.astype({c: t for c, t in changes.items() if c in d.X.columns}))


def _unseen_categories(d):
    return Call(_assign(d.X, cat_0="never seen", cat_1="nor this", title="zzz qqq unseen words"))


def _messy_text_at_predict(d):
    cells = [b"\xff bytes", ["a", "list"], 42, 7.5, "🎉 " * 5, "", None, ("tu", "ple")]
    column = pd.Series((cells * N_ROWS)[:N_ROWS], dtype=object)
    return Call(d.X.assign(**{d.text_column: column}))


def _every_modality_missing(d):
    return Call(pd.DataFrame([[None] * d.X.shape[1]], columns=d.X.columns, dtype=object))


def _predict_on(transform):
    return lambda d: Call(transform(d.X))


ONE_CLASS = r"y has only one class \('bad'\): {estimator} needs at least two classes"
CV_TOO_FEW_ROWS = (
    r"Cross-validating the estimator of modality 'tabular' failed: Cannot have number "
    r"of splits n_splits=3 greater than the number of samples: n_samples=1"
)


def _not_numeric(value, row):
    return rf"The target y of {{estimator}} must be numeric; got '{value}' at row {row}\."


SPARSE = r"{estimator} does not accept sparse input X \(got csr_matrix\).*\(X\.toarray\(\)\)"
DUPLICATED = r"X passed to {estimator} has duplicated column names \['(num|text)_0'\]"
NO_ROWS = r"Found array with 0 sample\(s\) \(shape=\(0, \d+\)\) while a minimum of 1 is "


CASES = [
    # ------------------------------------------------------------------- fit time
    Case(
        "empty-frame",
        "fit",
        lambda d: Call(pd.DataFrame(), np.array([])),
        Raises(ValueError, r"Found array with 0 sample\(s\) \(shape=\(0, 0\)\).*by {estimator}\."),
    ),
    Case(
        "zero-rows",
        "fit",
        lambda d: _rows(d, slice(0, 0)),
        Raises(ValueError, NO_ROWS + r"required by {estimator}\."),
    ),
    Case(
        "zero-columns",
        "fit",
        lambda d: Call(d.X.iloc[:, :0], d.y),
        Raises(ValueError, r"Found array with 0 feature\(s\) \(shape=\(60, 0\)\).*{estimator}"),
    ),
    Case(
        "one-row",
        "fit",
        lambda d: _rows(d, slice(0, 1)),
        {
            "classifier": Raises(ValueError, ONE_CLASS),
            "late-reg": Raises(ValueError, CV_TOO_FEW_ROWS),
            "bayes-reg": Raises(ValueError, CV_TOO_FEW_ROWS),
            "mrf-reg": Raises(ValueError, CV_TOO_FEW_ROWS),
            "*": Handled(finite_output),
        },
    ),
    Case(
        "target-nan",
        "fit",
        _missing_target,
        {
            "classifier": Raises(
                ValueError, r"Input y contains NaN: 1 of 60 labels are missing \(first at row 3\)"
            ),
            "regressor": Raises(
                ValueError,
                r"Input y contains NaN: 1 of 60 target values are missing \(first at row 3\)",
            ),
        },
        roles=PREDICTORS,
    ),
    Case(
        "target-inf",
        "fit",
        _infinite_target,
        Raises(
            ValueError,
            r"Input y contains infinity: 1 of 60 target values are infinite \(first at row 3\)",
        ),
        roles=REGRESSORS,
    ),
    Case(
        "target-huge",
        "fit",
        lambda d: Call(d.X, d.y * 1e300),
        Raises(
            ValueError,
            r"The target y of {estimator} has 60 values larger in magnitude than 1e\+150 "
            r"\(first at row 0: .*\).*Rescale y",
        ),
        roles=REGRESSORS,
    ),
    Case(
        "target-tiny",
        "fit",
        lambda d: Call(d.X, d.y * 1e-300),
        Raises(
            ValueError,
            r"The target y of {estimator} varies by at most .*e-300 around its mean, less "
            r"than 1e-150.*Rescale y",
        ),
        roles=REGRESSORS,
    ),
    Case(
        "one-class",
        "fit",
        lambda d: _with_target(d, ["bad"] * N_ROWS if d.role == "classifier" else [1.5] * N_ROWS),
        {
            "classifier": Raises(ValueError, ONE_CLASS),
            "neural-reg": Handled(finite_output),
            "regressor": Handled(predicts_constant),
        },
        roles=PREDICTORS,
    ),
    Case(
        "many-classes",
        "fit",
        _many_classes,
        {
            "bayes": Raises(ValueError, r"probability table of [\d,]+ entries for the nodes"),
            "mrf": Raises(
                ValueError,
                r"kind='gaussian' would model 398 scores \(2 modalities x 199 class log-odds\)",
            ),
            "*": Handled(many_classes),
        },
        roles=CLASSIFIERS,
    ),
    Case(
        "string-labels",
        "fit",
        lambda d: Call(d.X, np.array(["bad", "good"] * (N_ROWS // 2))),
        {
            "classifier": Handled(string_classes),
            "regressor": Raises(ValueError, _not_numeric("bad", 0)),
        },
        roles=PREDICTORS,
    ),
    Case(
        "mixed-labels",
        "fit",
        lambda d: _with_target(d, [1, "a"] * (N_ROWS // 2)),
        {
            "classifier": Raises(
                TypeError,
                r"The labels y of {estimator} must be all strings or all numbers; got a mix, "
                r"for example 'a' \(row 1\) and 1 of type int \(row 0\)",
            ),
            "regressor": Raises(ValueError, _not_numeric("a", 1)),
        },
        roles=PREDICTORS,
    ),
    Case(
        "target-column-vector",
        "fit",
        lambda d: Call(d.X, d.y.reshape(-1, 1)),
        Handled(finite_output, warns=(DataConversionWarning, "A column-vector y")),
        roles=PREDICTORS,
    ),
    Case(
        "target-length-mismatch",
        "fit",
        lambda d: Call(d.X, d.y[:-1]),
        Raises(ValueError, r"X has 60 rows and y has 59 values"),
        roles=PREDICTORS,
    ),
    Case(
        "target-none",
        "fit",
        lambda d: Call(d.X, None),
        Raises(ValueError, r"{estimator} requires y to be passed, but the target y is None"),
        roles=PREDICTORS,
    ),
    Case(
        "numeric-strings",
        "fit",
        _numeric_strings,
        Handled(
            numeric_strings,
            warns=(
                DataConversionWarning,
                r"2 of 60 values of the numeric column 'num_0' are not numbers "
                r"\(first at row 1: 'n/a'\); they are treated as missing values",
            ),
        ),
        roles=WITH_TABULAR,
    ),
    Case("text-numbers-lists-bytes", "fit", _messy_text, Handled(finite_output), roles=WITH_TEXT),
    Case(
        "all-nan-columns",
        "fit",
        _all_nan_columns,
        {
            "text-vectorizer": Raises(
                ValueError, r"TextVectorizer found no word terms in text column 'blank'"
            ),
            "text-tokenizer": Handled(finite_output),
            "*": Handled(empty_columns_left_out),
        },
    ),
    Case("constant-columns", "fit", _constant_columns, Handled(finite_output)),
    Case("inf-values", "fit", _infinite_values, Handled(finite_output), roles=WITH_TABULAR),
    Case("huge-values", "fit", _huge_values, Handled(finite_output), roles=WITH_TABULAR),
    Case("unicode-emoji-long-text", "fit", _unicode_text, Handled(finite_output)),
    Case("empty-strings", "fit", _empty_strings, Handled(blank_cells_are_missing)),
    Case("duplicated-column-names", "fit", _duplicated_columns, Raises(ValueError, DUPLICATED)),
    Case("non-string-column-names", "fit", _integer_labels, Handled(integer_labels)),
    Case(
        "mixed-column-names",
        "fit",
        _mixed_labels,
        Raises(
            TypeError,
            r"Feature names are only supported if all input features have string names, "
            r"but your input has \['int', 'str'\].*X\.columns\.astype\(str\)",
        ),
    ),
    Case("sparse-input", "fit", _sparse, Raises(TypeError, SPARSE)),
    Case(
        "sample-weight-negative",
        "fit",
        _negative_weight,
        Raises(
            ValueError,
            r"sample_weight must be non-negative; got 1 negative values \(smallest -1\)",
        ),
        roles=PREDICTORS,
    ),
    Case(
        "sample-weight-some-zeros",
        "fit",
        _some_zero_weights,
        Handled(finite_output),
        roles=PREDICTORS,
    ),
    Case(
        "sample-weight-all-zeros",
        "fit",
        lambda d: _weights(d, np.zeros(N_ROWS)),
        Raises(ValueError, r"sample_weight must have a positive sum; every weight is zero"),
        roles=PREDICTORS,
    ),
    Case(
        "sample-weight-nan",
        "fit",
        _nan_weight,
        Raises(
            ValueError,
            r"sample_weight must be finite; got 1 NaN or infinite values \(first at row 0: nan\)",
        ),
        roles=PREDICTORS,
    ),
    Case(
        "modality-missing-at-fit",
        "fit",
        _text_missing,
        Handled(text_modality_left_out),
        roles=WITH_MODALITIES,
    ),
    Case(
        "modality-missing-at-fit-explicit",
        "fit",
        _text_blank_with_spec,
        Raises(
            ValueError,
            r"Modality 'text' is missing in every training row: its columns \['text_0'\] "
            r"hold only missing values .* in all 60 rows.*set_params\(text='drop'\)",
        ),
        roles=WITH_MODALITIES,
    ),
    Case(
        "invalid-modalities-parameter",
        "fit",
        lambda d: Call(d.X, d.y, params={"modalities": "everything"}),
        Raises(
            InvalidParameterError,
            r"The 'modalities' parameter of {estimator} must be a str among \{'auto'\} or "
            r"an instance of 'list'\. Got 'everything' instead\.",
        ),
        roles=WITH_MODALITIES,
    ),
    Case(
        "spec-column-not-in-x",
        "fit",
        _unknown_column_in_spec,
        Raises(
            ValueError,
            r"Modality 'tabular' selects column 'nope', which is not in X\. X has columns "
            r"\['num_0', 'num_1'",
        ),
        roles=WITH_MODALITIES,
    ),
    # --------------------------------------------------------------- predict time
    Case(
        "predict-before-fit",
        "unfitted",
        lambda d: Call(d.X),
        Raises(NotFittedError, r"This {estimator} instance is not fitted yet\. Call 'fit'"),
    ),
    Case(
        "one-dimensional-array",
        "predict",
        lambda d: Call(d.X.iloc[0].to_numpy()),
        Raises(ValueError, r"Expected 2D array, got 1D array instead"),
    ),
    Case(
        "zero-rows-at-predict",
        "predict",
        lambda d: Call(d.X.iloc[:0]),
        Raises(ValueError, NO_ROWS + r"required by {estimator}\."),
    ),
    Case("one-row-at-predict", "predict", lambda d: Call(d.X.iloc[:1]), Handled(finite_output)),
    Case(
        "missing-column",
        "predict",
        lambda d: Call(d.X.drop(columns=d.last)),
        {
            **dict.fromkeys(
                WITH_MODALITIES,
                Raises(
                    ValueError,
                    r"(?s)X is missing 1 column\(s\) that {estimator} was fitted on: "
                    r"'\w+' \(read by modality '\w+'\)\. Columns are matched by name"
                    r".*Add the missing columns",
                ),
            ),
            "*": Raises(
                ValueError,
                r"(?s)Feature names seen at fit time, yet now missing:\n- \w+\n"
                r".*Add the missing columns",
            ),
        },
    ),
    Case(
        "added-column",
        "predict",
        lambda d: Call(d.X.assign(extra=1.0)),
        {
            **dict.fromkeys(WITH_MODALITIES, Handled(same_as_clean_input)),
            "*": Raises(
                ValueError,
                r"(?s)Feature names unseen at fit time:\n- extra\n.*Remove the columns not seen",
            ),
        },
    ),
    Case(
        "reordered-columns",
        "predict",
        lambda d: Call(d.X[d.X.columns[::-1]]),
        {
            **dict.fromkeys(WITH_MODALITIES, Handled(same_as_clean_input)),
            "*": Raises(
                ValueError,
                r"(?s)same order as they were in fit.*X\[estimator\.feature_names_in_\]",
            ),
        },
    ),
    Case(
        "array-after-frame",
        "predict",
        lambda d: Call(d.X.to_numpy()),
        Handled(same_as_clean_input, warns=(UserWarning, "X does not have valid feature names")),
    ),
    Case("dtype-changes", "predict", _dtype_changes, Handled(same_as_clean_input)),
    Case(
        "numeric-garbage-at-predict",
        "predict",
        _predict_on(lambda X: _assign(X, num_0="abc")),
        Handled(
            finite_output,
            warns=(
                DataConversionWarning,
                r"60 of 60 values of the numeric column 'num_0' are not numbers "
                r"\(first at row 0: 'abc'\)",
            ),
        ),
        roles=WITH_TABULAR,
    ),
    Case(
        "huge-values-at-predict",
        "predict",
        _predict_on(lambda X: _assign(X, num_0=1e300, num_1=-1e300)),
        {
            "neural": Raises(ValueError, r"modality 'tabular' .*float32"),
            "*": Handled(finite_output),
        },
        roles=WITH_TABULAR,
    ),
    Case(
        "inf-at-predict",
        "predict",
        _predict_on(lambda X: X.assign(num_0=np.inf, num_1=-np.inf)),
        Handled(finite_output),
        roles=WITH_TABULAR,
    ),
    Case("unseen-categories", "predict", _unseen_categories, Handled(finite_output)),
    Case(
        "text-numbers-lists-bytes-at-predict",
        "predict",
        _messy_text_at_predict,
        Handled(finite_output),
        roles=WITH_TEXT,
    ),
    Case(
        "long-text-at-predict",
        "predict",
        _predict_on(lambda X: _assign(X, text_0=[LONG_TEXT] * 2 + X["text_0"].tolist()[2:])),
        Handled(finite_output),
        roles=WITH_TEXT,
    ),
    Case(
        "modality-missing-at-predict",
        "predict",
        _predict_on(lambda X: _assign(X, text_0=None, title=None)),
        Handled(modality_missing_at_predict),
        roles=WITH_TEXT,
    ),
    Case(
        "every-modality-missing-in-a-row",
        "predict",
        _every_modality_missing,
        Handled(every_modality_missing),
    ),
    Case(
        "sparse-at-predict",
        "predict",
        lambda d: Call(sparse.csr_matrix(np.ones((3, d.X.shape[1])))),
        Raises(TypeError, SPARSE),
    ),
    Case(
        "duplicated-columns-at-predict",
        "predict",
        lambda d: Call(pd.concat([d.X, d.X.iloc[:, [0]]], axis=1)),
        Raises(ValueError, DUPLICATED),
    ),
]


# --------------------------------------------------------------------------- runner


def _params(stages):
    params = []
    for case in CASES:
        if case.stage not in stages:
            continue
        for entry in ENTRIES:
            if entry.role not in case.roles:
                continue
            marks = [
                pytest.mark.skipif(missing, reason=reason)
                for missing, reason in (MISSING_DEPENDENCY[need] for need in entry.needs)
            ]
            known = case.known_failure(entry)
            if known is not None:
                marks.append(pytest.mark.xfail(strict=True, run=known.run, reason=known.reason))
            params.append(pytest.param(entry, case, id=f"{case.id}-{entry.id}", marks=marks))
    return params


@pytest.fixture(scope="module")
def fitted():
    """Each estimator fitted once on its role's clean table, on first use."""
    models = {}

    def get(entry):
        if entry.id not in models:
            data = DATA[entry.role]
            model = clone(entry.estimator)
            models[entry.id] = (
                model.fit(data.X, data.y) if entry.is_predictor else model.fit(data.X)
            )
        return models[entry.id]

    return get


def _check(outcome, model, call, run):
    if isinstance(outcome, Raises):
        with pytest.raises(outcome.type, match=outcome.pattern(model)):
            run()
        return
    if outcome.warns is None:
        output = run()
    else:
        category, message = outcome.warns
        with pytest.warns(category, match=message):
            output = run()
    outcome.check(model, call, output)


def _fit_and_output(entry, model, call):
    if not entry.is_predictor:
        return model.fit_transform(call.X)
    model.fit(call.X, call.y, **call.fit_params)
    return _output(model, call.X)


@pytest.mark.parametrize(("entry", "case"), _params({"fit"}))
def test_fit_time_bad_input(entry, case):
    call = case.make_input(DATA[entry.role])
    model = clone(entry.estimator).set_params(**call.params)
    outcome = case.outcome(entry)
    if isinstance(outcome, Raises):
        fit = model.fit if entry.is_predictor else model.fit_transform
        arguments = (call.X, call.y) if entry.is_predictor else (call.X,)
        _check(outcome, model, call, lambda: fit(*arguments, **call.fit_params))
    else:
        _check(outcome, model, call, lambda: _fit_and_output(entry, model, call))


@pytest.mark.parametrize(("entry", "case"), _params({"predict", "unfitted"}))
def test_predict_time_bad_input(entry, case, fitted):
    call = case.make_input(DATA[entry.role])
    model = clone(entry.estimator) if case.stage == "unfitted" else fitted(entry)
    _check(case.outcome(entry), model, call, lambda: _output(model, call.X))


def test_catalogue_is_documented_and_large_enough():
    documented = __doc__.replace("\n  ", " ")
    missing = [case.id for case in CASES if f"- {case.id}:" not in documented]
    assert not missing, f"cases missing from the module docstring: {missing}"
    assert len({case.id for case in CASES}) == len(CASES) >= 30


# SentenceEmbedder's input checks are those of the text columns it shares with
# TextVectorizer (tests/modality/test_embedding.py); the catalogue leaves out its model load.
# NeuralFusionMultiTask reads X through the same base class and data path as the other
# neural estimators; its target checks (2-D y, one column per task) are in
# tests/fusion/test_neural_multitask.py.
# The coordinated estimators (retriever and transfer) need two modalities where the
# catalogue's tables resolve to one for several cases, and refuse fewer than two paired
# rows; their bad input (an unknown query modality, no paired rows, one row, a too large
# n_components) is in tests/coordinated/, with the messages asserted.
# The image transformers read image cells, which the catalogue's tables do not hold; a
# missing, corrupt, truncated, absent, too large or wrongly shaped image becomes a row of
# zeros with one counting warning, asserted in tests/modality/test_image.py and, through
# every fusion family, in tests/fusion/test_image_fusion.py.
# The ensembles read X only through their members, which the catalogue covers; their own
# bad input (no members, a member of the wrong kind, out-of-fold predictions of the wrong
# shape) is in tests/ensemble/test_selection.py, with the messages asserted.
NOT_IN_CATALOGUE = {
    "EnsembleSelectionClassifier",
    "EnsembleSelectionRegressor",
    "SentenceEmbedder",
    "ImageEmbedder",
    "ImageArrays",
    "NeuralFusionMultiTask",
    "CrossModalRetriever",
    "CrossModalTransferClassifier",
    "CrossModalTransferRegressor",
}


def test_catalogue_covers_every_public_estimator_of_the_registry():
    covered = {type(entry.estimator).__name__ for entry in ENTRIES} | NOT_IN_CATALOGUE
    missing = [cls.__name__ for cls, _ in public_estimators() if cls.__name__ not in covered]
    assert missing == [], f"add an Entry for {missing}"
