"""The hand-built scikit-learn pipelines of ../shared/BASELINES.md, for side-by-side timing.

``hand_built_stack`` is the ``sk_stack`` baseline: a TF-IDF linear model on the text columns
and a HistGradientBoosting model on the other columns, combined by scikit-learn's stacking
with five folds. Which column is text follows the baselines' rule: a string column whose
cells average at least four words.
"""

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    StackingClassifier,
    StackingRegressor,
)
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OrdinalEncoder


def split_columns(X):
    """``(text, categorical, numeric)`` column lists of ``X`` by the baselines' rule."""
    text, categorical, numeric = [], [], []
    for column in X.columns:
        values = X[column]
        if values.dtype.kind in "biuf":
            numeric.append(column)
            continue
        words = values.dropna().astype(str).str.split().str.len()
        (text if len(words) and words.mean() >= 4 else categorical).append(column)
    return text, categorical, numeric


def _text_model(text, regression):
    vectorizers = [
        (
            f"tfidf_{column}",
            TfidfVectorizer(min_df=2, ngram_range=(1, 2), sublinear_tf=True, max_features=50000),
            column,
        )
        for column in text
    ]
    linear = Ridge(alpha=3.0) if regression else LogisticRegression(C=3.0, max_iter=1000)
    filled = ColumnTransformer(vectorizers)
    fill = FunctionTransformer(_fill_text, kw_args={"columns": text})
    return make_pipeline(fill, filled, linear)


def _fill_text(X, columns):
    X = X.copy()
    X[columns] = X[columns].fillna("").astype(str)
    return X


def _tabular_model(categorical, numeric, regression, random_state):
    encode = ColumnTransformer(
        [
            (
                "categorical",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                ),
                categorical,
            ),
            ("numeric", SimpleImputer(add_indicator=True, keep_empty_features=True), numeric),
        ]
    )
    booster = (HistGradientBoostingRegressor if regression else HistGradientBoostingClassifier)(
        random_state=random_state
    )
    return make_pipeline(encode, booster)


def hand_built_stack(X, regression=False, random_state=0):
    """The ``sk_stack`` baseline for the columns of ``X`` (unfitted)."""
    text, categorical, numeric = split_columns(X)
    estimators = [
        ("text", _text_model(text, regression)),
        ("tabular", _tabular_model(categorical, numeric, regression, random_state)),
    ]
    if regression:
        return StackingRegressor(estimators, cv=5)
    return StackingClassifier(estimators, cv=5)
