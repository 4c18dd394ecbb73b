"""The shared modality machinery: spec resolution, routing of parameters, presence."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV

from mmsk import (
    EarlyFusionClassifier,
    KindSelector,
    LateFusionClassifier,
    ModalityUnion,
    TabularEncoder,
    TextVectorizer,
    default_modalities,
)
from mmsk._base import presence_mask


def _frame():
    return pd.DataFrame(
        {
            "age": [31.0, np.nan, 27.0, 40.0],
            "city": ["Oslo", "Rome", None, "Oslo"],
            "review": ["fits well and looks great", "", None, "too small in the waist"],
        }
    )


def test_auto_spec_detects_tabular_and_text(classification_data):
    X, _ = classification_data
    union = ModalityUnion().fit(X)
    assert union.modality_columns_ == {
        "tabular": ["num_0", "num_1", "num_2", "num_3", "cat_0", "cat_1"],
        "text": ["text_0"],
    }
    assert union.modality_kinds_ == {"tabular": "tabular", "text": "text"}
    assert union.column_kinds_["text_0"] == "text"
    assert union.column_kinds_["cat_0"] == "categorical"


def test_auto_spec_leaves_identifiers_out_and_reports_them(classification_data, capsys):
    X, _ = classification_data
    X = X.assign(row_id=np.arange(len(X)))
    union = ModalityUnion(verbose=True).fit(X)
    assert union.column_kinds_["row_id"] == "identifier"
    assert "row_id" not in sum(union.modality_columns_.values(), [])
    printed = capsys.readouterr().out
    assert "modality 'text'" in printed
    assert "'row_id' (identifier)" in printed


def test_auto_spec_without_text_columns_has_only_tabular():
    X = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "x"]})
    union = ModalityUnion().fit(X)
    assert list(union.modality_columns_) == ["tabular"]


@pytest.mark.parametrize(
    "columns",
    [
        ["age", "city"],
        [0, 1],
        np.array([True, True, False]),
        lambda X: ["age", "city"],
        KindSelector("numeric", "categorical"),
        slice(0, 2),
    ],
    ids=["names", "positions", "mask", "callable", "kind-selector", "slice"],
)
def test_columns_accept_every_selector_form(columns):
    spec = [
        ("tab", TabularEncoder(min_frequency=1), columns),
        ("text", TextVectorizer(), "review"),
    ]
    union = ModalityUnion(spec).fit(_frame())
    assert union.modality_columns_ == {"tab": ["age", "city"], "text": ["review"]}


def test_transformer_auto_is_chosen_by_column_kind():
    union = ModalityUnion([("a", "auto", ["age", "city"]), ("b", "auto", ["review"])]).fit(
        _frame()
    )
    assert isinstance(union.named_transformers_["a"], TabularEncoder)
    assert isinstance(union.named_transformers_["b"], TextVectorizer)


def test_drop_and_passthrough_transformers():
    spec = [("num", "passthrough", ["age"]), ("text", "drop", ["review"])]
    union = ModalityUnion(spec, presence_indicators=False, modality_weights=None).fit(_frame())
    assert list(union.modality_columns_) == ["num"]
    np.testing.assert_array_equal(union.transform(_frame()), _frame()[["age"]].to_numpy())


@pytest.mark.parametrize(
    "spec, message",
    [
        ([("tab", "auto", ["nope"])], r"Modality 'tab' selects column 'nope', which is not in X"),
        ([("tab", "auto", [7])], r"column position 7, but X has only 3 columns"),
        (
            [("a", "auto", ["age"]), ("b", "auto", ["age", "city"])],
            r"Column 'age' belongs to both modality 'a' and modality 'b'",
        ),
        ([("tab", "auto", [])], r"Modality 'tab' selects no columns of X"),
        ([("a", "auto", "age"), ("a", "auto", "city")], r"Names provided are not unique"),
        ([("a__b", "auto", "age")], r"must not contain __"),
        ([("verbose", "auto", "age")], r"conflict with constructor arguments"),
        ([("tab", "scale", "age")], r"transformer of modality 'tab' must be an estimator or one"),
        ([("tab", "auto")], r"must be a \(name, transformer, columns\) tuple"),
        ([], r"must be 'auto' or a non-empty list"),
        ([("tab", "auto", np.array([True, False]))], r"mask of modality 'tab' has 2 entries"),
    ],
)
def test_bad_specs_raise_clear_errors(spec, message):
    with pytest.raises(ValueError, match=message):
        ModalityUnion(spec).fit(_frame())


def test_transformer_class_instead_of_instance_is_refused():
    with pytest.raises(TypeError, match=r"must be an instance \(TabularEncoder\(\)\)"):
        ModalityUnion([("tab", TabularEncoder, ["age"])]).fit(_frame())


def test_unknown_modalities_value_names_the_parameter():
    with pytest.raises(ValueError, match="The 'modalities' parameter of ModalityUnion"):
        ModalityUnion("everything").fit(_frame())


def test_no_usable_column_is_a_clear_error():
    X = pd.DataFrame({"id": np.arange(30), "empty": [np.nan] * 30})
    with pytest.raises(ValueError, match="No column of X belongs to a modality"):
        ModalityUnion().fit(X)


def test_get_params_routes_through_modality_names():
    spec = [("tab", TabularEncoder(), ["age"]), ("text", TextVectorizer(), ["review"])]
    params = EarlyFusionClassifier(spec).get_params()
    assert params["text__max_features"] == 50000
    assert isinstance(params["tab"], TabularEncoder)


def test_set_params_routes_and_replaces_modalities():
    spec = [("tab", TabularEncoder(), ["age"]), ("text", TextVectorizer(), ["review"])]
    model = EarlyFusionClassifier(spec)
    model.set_params(text__max_features=10, tab="drop")
    assert model.modalities[1][1].max_features == 10
    assert model.modalities[0][1] == "drop"
    assert model.modalities[1][2] == ["review"]


def test_set_params_on_auto_spec_materialises_default_modalities():
    model = LateFusionClassifier().set_params(text__max_features=123)
    names = [name for name, _, _ in model.modalities]
    assert names == ["tabular", "text", "image"]
    assert model.get_params()["text__max_features"] == 123
    dropped = EarlyFusionClassifier().set_params(text="drop")
    assert dropped.modalities[1][1] == "drop"


def test_default_modalities_equal_what_auto_resolves(classification_data):
    X, y = classification_data
    auto = EarlyFusionClassifier().fit(X, y)
    explicit = EarlyFusionClassifier(default_modalities()).fit(X, y)
    np.testing.assert_allclose(auto.predict_proba(X), explicit.predict_proba(X))


def test_grid_search_reaches_modality_parameters(classification_data):
    X, y = classification_data
    search = GridSearchCV(
        EarlyFusionClassifier(), {"text__ngram_range": [(1, 1), (1, 2)]}, cv=2
    ).fit(X, y)
    assert search.best_params_["text__ngram_range"] in [(1, 1), (1, 2)]


def test_clone_keeps_spec_and_selectors():
    model = EarlyFusionClassifier(default_modalities())
    cloned = clone(model)
    assert cloned.modalities[1][2] == KindSelector("text")
    assert cloned.modalities[0][1] is not model.modalities[0][1]


def test_presence_mask_treats_nan_none_and_blank_strings_as_missing():
    frame = pd.DataFrame(
        {"a": [1.0, np.nan, np.nan, np.inf], "b": ["x", "  ", None, ""]},
    )
    np.testing.assert_array_equal(presence_mask(frame), [True, False, False, False])
    as_object = frame.astype(object)
    np.testing.assert_array_equal(presence_mask(as_object), [True, False, False, False])


def test_kind_selector_validates_kinds():
    with pytest.raises(ValueError, match="KindSelector expects one or more kinds"):
        KindSelector("words")


# --- columns matched by name at predict time, as in ColumnTransformer

BY_NAME_ESTIMATORS = [
    pytest.param(lambda: EarlyFusionClassifier(), id="early"),
    pytest.param(lambda: LateFusionClassifier(fusion="mean"), id="late"),
    pytest.param(lambda: ModalityUnion(), id="union"),
]


def _outputs(model, X):
    return model.predict_proba(X) if hasattr(model, "predict_proba") else model.transform(X)


@pytest.mark.parametrize("make", BY_NAME_ESTIMATORS)
def test_reordered_and_extra_columns_are_matched_by_name(make, classification_data):
    X, y = classification_data
    model = make().fit(X, y)
    expected = _outputs(model, X)
    shuffled = X[X.columns[::-1]].assign(row_id=np.arange(len(X)), target=y)
    got = _outputs(model, shuffled)
    if hasattr(got, "toarray"):
        got, expected = got.toarray(), expected.toarray()
    np.testing.assert_allclose(got, expected)


@pytest.mark.parametrize("make", BY_NAME_ESTIMATORS)
def test_missing_column_is_named_with_its_modality(make, classification_data):
    X, y = classification_data
    model = make().fit(X, y)
    with pytest.raises(
        ValueError,
        match=r"X is missing 1 column\(s\) that \w+ was fitted on: 'text_0' \(read by "
        r"modality 'text'\)\. Columns are matched by name",
    ):
        _outputs(model, X.drop(columns="text_0"))


def test_columns_outside_every_modality_are_not_required(classification_data):
    X, y = classification_data
    spec = [("text", "auto", ["text_0"])]
    model = EarlyFusionClassifier(spec).fit(X, y)
    np.testing.assert_allclose(model.predict_proba(X[["text_0"]]), model.predict_proba(X))


def test_arrays_keep_the_positional_rule(classification_data):
    X, y = classification_data
    model = EarlyFusionClassifier().fit(X.to_numpy(), y)
    np.testing.assert_allclose(
        model.predict_proba(X.to_numpy()), EarlyFusionClassifier().fit(X, y).predict_proba(X)
    )
    with pytest.raises(ValueError, match="features"):
        model.predict_proba(X.to_numpy()[:, :-1])


# --- one rule for every parameter keyed by modality name

TEXT_WHEN_PRESENT = [
    ("tabular", "auto", KindSelector("numeric", "categorical")),
    ("text", "auto", KindSelector("text")),
]


def _keyed_by_modality(parameter, value):
    """An unfitted estimator whose ``parameter`` is keyed by the spec's "text" modality."""
    if parameter == "estimators":
        return LateFusionClassifier(TEXT_WHEN_PRESENT, estimators={"text": value})
    if parameter == "modality_weights":
        return EarlyFusionClassifier(TEXT_WHEN_PRESENT, modality_weights={"text": value})
    pytest.importorskip("torch")
    pytest.importorskip("skorch")
    from mmsk import NeuralFusionClassifier

    return NeuralFusionClassifier(
        TEXT_WHEN_PRESENT, encoders={"text": value}, max_epochs=1, device="cpu"
    )


KEYED_IDS = ["estimators", "modality_weights", "encoders"]
KEYED_PARAMETERS = [
    ("estimators", lambda: LogisticRegression()),
    ("modality_weights", lambda: 2.0),
    ("encoders", lambda: "sparse"),
]


@pytest.mark.parametrize("parameter, make_value", KEYED_PARAMETERS, ids=KEYED_IDS)
def test_a_key_naming_a_spec_modality_absent_from_the_table_is_accepted(
    parameter, make_value, classification_data
):
    X, y = classification_data
    model = _keyed_by_modality(parameter, make_value()).fit(X.drop(columns="text_0"), y)
    assert list(model.modality_columns_) == ["tabular"]


@pytest.mark.parametrize("parameter, make_value", KEYED_PARAMETERS, ids=KEYED_IDS)
def test_a_key_outside_the_spec_is_refused_with_the_spec_names(
    parameter, make_value, classification_data
):
    X, y = classification_data
    model = _keyed_by_modality(parameter, make_value())
    model.set_params(**{parameter: {"audio": make_value()}})
    with pytest.raises(
        ValueError,
        match=rf"The '{parameter}' parameter of \w+ names modalities \['audio'\] that are "
        r"not in its modalities spec; the spec's modalities are \['tabular', 'text'\]",
    ):
        model.fit(X, y)
