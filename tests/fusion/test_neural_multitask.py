"""Several targets in neural fusion: one fused representation, one head per target."""

import pickle

import numpy as np
import pandas as pd
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")

from sklearn.base import is_classifier, is_regressor  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.utils import get_tags  # noqa: E402

from mmsk.datasets import (  # noqa: E402
    make_multimodal_classification,
    make_multimodal_regression,
)
from mmsk.fusion import (  # noqa: E402
    NeuralFusionClassifier,
    NeuralFusionMultiTask,
    NeuralFusionRegressor,
)
from mmsk.fusion._neural_multitask import infer_task  # noqa: E402
from mmsk.fusion._nn import MLPEncoder, MultimodalNetwork, MultiTaskLoss, TargetHeads  # noqa: E402
from mmsk.fusion._nn_training import FusionNet  # noqa: E402

FAST = {"embedding_dim": 16, "hidden_units": 32, "lr": 0.01, "random_state": 0}
N_TRAIN = 180
SENTIMENT = np.array(["negative", "neutral", "positive"])


@pytest.fixture(scope="module")
def two_labels():
    """A three-class string label and a binary string label read off a new column."""
    X, y = make_multimodal_classification(n_samples=240, n_classes=3, random_state=1)
    extra = np.random.default_rng(0).normal(size=len(X))
    X = X.assign(extra=extra)
    Y = pd.DataFrame({"sentiment": SENTIMENT[y], "sign": np.where(extra > 0, "up", "down")})
    return X, Y


@pytest.fixture(scope="module")
def two_amounts():
    """A target of unit scale and one in the tens of thousands."""
    X, y = make_multimodal_regression(n_samples=240, random_state=0)
    large = 20_000.0 + 5_000.0 * X["num_1"].to_numpy()
    return X, np.column_stack([y, large])


@pytest.fixture(scope="module")
def mixed():
    """A string class target and a numeric target in thousands, as a DataFrame."""
    X, y = make_multimodal_classification(n_samples=240, random_state=0)
    Y = pd.DataFrame({"label": np.array(["no", "yes"])[y], "amount": 1_000.0 * X["num_0"] + 50})
    return X, Y


def _halves(X, Y):
    return X.iloc[:N_TRAIN], X.iloc[N_TRAIN:], Y[:N_TRAIN], Y[N_TRAIN:]


# ------------------------------------------------------------------- classifier


@pytest.fixture(scope="module")
def fitted_classifier(two_labels):
    X, Y = two_labels
    X_train, _, Y_train, _ = _halves(X, Y)
    return NeuralFusionClassifier(max_epochs=30, **FAST).fit(X_train, Y_train)


def test_classifier_learns_two_targets_with_their_own_classes(fitted_classifier, two_labels):
    X, Y = two_labels
    _, X_test, _, Y_test = _halves(X, Y)
    model = fitted_classifier
    assert model.n_outputs_ == 2
    assert model.target_names_ == ["sentiment", "sign"]
    assert isinstance(model.classes_, list)
    np.testing.assert_array_equal(model.classes_[0], SENTIMENT)
    np.testing.assert_array_equal(model.classes_[1], ["down", "up"])
    predictions = model.predict(X_test)
    assert predictions.shape == (len(X_test), 2)
    assert accuracy_score(Y_test["sentiment"], predictions[:, 0]) > 0.75
    assert accuracy_score(Y_test["sign"], predictions[:, 1]) > 0.8
    expected = np.mean([accuracy_score(Y_test.iloc[:, t], predictions[:, t]) for t in range(2)])
    assert model.score(X_test, Y_test) == pytest.approx(expected)


def test_classifier_probabilities_are_one_array_per_target(fitted_classifier, two_labels):
    X, _ = two_labels
    model = fitted_classifier
    proba = model.predict_proba(X)
    assert isinstance(proba, list)
    assert [p.shape for p in proba] == [(len(X), 3), (len(X), 2)]
    predictions = model.predict(X)
    for t, target_proba in enumerate(proba):
        np.testing.assert_allclose(target_proba.sum(axis=1), 1.0, rtol=1e-6)
        np.testing.assert_array_equal(
            predictions[:, t], model.classes_[t][target_proba.argmax(axis=1)]
        )
    log_proba = model.predict_log_proba(X)
    for target_proba, target_log in zip(proba, log_proba):
        np.testing.assert_allclose(np.exp(target_log), target_proba, rtol=1e-6)


def test_the_network_shares_one_fused_representation(fitted_classifier):
    module = fitted_classifier.module_
    assert isinstance(module.head, TargetHeads)
    assert [head[-1].out_features for head in module.head.heads] == [3, 2]
    assert module.head.heads[0][0].in_features == module.fusion.output_dim


def test_classifier_records_each_targets_training_loss(fitted_classifier):
    history = fitted_classifier.history_
    for name in ("sentiment", "sign"):
        losses = history[:, f"{name}_train_loss"]
        assert len(losses) == 30 and np.all(np.isfinite(losses))
        assert losses[-1] < losses[0]
    total = history[-1, "train_loss"]
    assert total == pytest.approx(
        history[-1, "sentiment_train_loss"] + history[-1, "sign_train_loss"], rel=1e-4
    )


def test_integer_labels_in_an_array_come_back_as_integers(two_labels):
    X, Y = two_labels
    codes = np.column_stack([pd.factorize(Y[column])[0] for column in Y])
    model = NeuralFusionClassifier(max_epochs=2, **FAST).fit(X, codes)
    assert model.target_names_ == ["target_0", "target_1"]
    predictions = model.predict(X)
    assert predictions.dtype == codes.dtype
    assert model.classes_[0].dtype == codes.dtype


def test_one_dimensional_targets_keep_their_attributes(classification_data):
    X, y = classification_data
    model = NeuralFusionClassifier(max_epochs=2, **FAST).fit(X, y)
    assert isinstance(model.classes_, np.ndarray)
    assert model.n_outputs_ == 1 and model.target_names_ == ["target_0"]
    assert model.predict(X).shape == (len(X),)
    named = NeuralFusionClassifier(max_epochs=1, **FAST).fit(X, pd.Series(y, name="label"))
    assert named.target_names_ == ["label"]


def test_class_weight_applies_to_each_targets_loss(two_labels):
    X, Y = two_labels
    rare = Y.assign(sign=np.where(np.arange(len(Y)) % 6 == 0, "up", "down"))
    counts = {}
    for class_weight in (None, "balanced", [None, {"down": 1.0, "up": 5.0}]):
        model = NeuralFusionClassifier(class_weight=class_weight, max_epochs=5, **FAST)
        counts[str(class_weight)] = (model.fit(X, rare).predict(X)[:, 1] == "up").sum()
    assert counts["balanced"] > counts["None"]
    assert counts[str([None, {"down": 1.0, "up": 5.0}])] > counts["None"]


@pytest.mark.parametrize(
    ("class_weight", "message"),
    [
        ({"up": 2.0}, r"class_weight has keys \['up'\] that are not target names"),
        (["balanced"], r"class_weight has 1 entries, but y has 2 targets"),
        ([None, {"left": 2.0}], r"class_weight of target 'sign'.*\['left'\]"),
        ([None, 3], r"class_weight of target 'sign' must be a dict"),
    ],
)
def test_class_weight_errors_with_several_targets(class_weight, message, two_labels):
    X, Y = two_labels
    with pytest.raises(ValueError, match=message):
        NeuralFusionClassifier(class_weight=class_weight, max_epochs=1).fit(X, Y)


def test_a_list_of_class_weights_needs_several_targets(classification_data):
    X, y = classification_data
    with pytest.raises(ValueError, match="class_weight is a list.*single target"):
        NeuralFusionClassifier(class_weight=["balanced"], max_epochs=1).fit(X, y)


def test_auxiliary_and_contrastive_losses_work_with_several_targets(two_labels):
    X, Y = two_labels
    model = NeuralFusionClassifier(
        auxiliary_weight=0.5, contrastive_weight=0.5, max_epochs=10, **FAST
    ).fit(X, Y)
    assert model.module_.auxiliary_heads[0].out_features == 5
    assert np.isfinite(model.history_[:, "train_loss"]).all()
    assert accuracy_score(Y["sentiment"], model.predict(X)[:, 0]) > 0.6


def test_stratified_validation_split_with_several_targets(two_labels):
    X, Y = two_labels
    model = NeuralFusionClassifier(train_split=0.25, max_epochs=3, **FAST).fit(X, Y)
    assert np.isfinite(model.history_[:, "valid_loss"]).all()
    assert np.isfinite(model.history_[:, "sign_valid_loss"]).all()


# -------------------------------------------------------------------- regressor


def test_regressor_standardises_each_target_on_its_own(two_amounts):
    X, Y = two_amounts
    X_train, X_test, Y_train, Y_test = _halves(X, Y)
    model = NeuralFusionRegressor(max_epochs=30, **FAST).fit(X_train, Y_train)
    assert model.n_outputs_ == 2
    assert model.target_names_ == ["target_0", "target_1"]
    np.testing.assert_allclose(model.target_mean_, Y_train.mean(axis=0))
    np.testing.assert_allclose(model.target_scale_, Y_train.std(axis=0))
    predictions = model.predict(X_test)
    assert predictions.shape == (len(X_test), 2) and predictions.dtype == np.float64
    for t in range(2):
        assert r2_score(Y_test[:, t], predictions[:, t]) > 0.6
    expected = np.mean([r2_score(Y_test[:, t], predictions[:, t]) for t in range(2)])
    assert model.score(X_test, Y_test) == pytest.approx(expected)


def test_regressor_with_a_constant_target_among_others(two_amounts):
    X, Y = two_amounts
    Y = np.column_stack([Y[:, 0], np.full(len(Y), 7.0)])
    model = NeuralFusionRegressor(max_epochs=3, **FAST).fit(X, Y)
    assert model.target_scale_[1] == 1.0
    np.testing.assert_allclose(model.predict(X)[:, 1], 7.0, atol=1.0)


# ----------------------------------------------------------- missing modalities


def test_rows_without_text_are_still_predicted(fitted_classifier, two_labels, two_amounts):
    X, _ = two_labels
    without_text = X.assign(text_0=None)
    predictions = fitted_classifier.predict(without_text)
    assert predictions.shape == (len(X), 2)
    for t, classes in enumerate(fitted_classifier.classes_):
        assert set(predictions[:, t]) <= set(classes)
    X_r, Y_r = two_amounts
    regressor = NeuralFusionRegressor(max_epochs=3, **FAST).fit(X_r, Y_r)
    assert np.isfinite(regressor.predict(X_r.assign(text_0=None))).all()


def test_training_rows_with_missing_modalities(two_labels):
    X, Y = two_labels
    X = X.copy()
    X.loc[X.index[::4], "text_0"] = None
    model = NeuralFusionClassifier(modality_dropout=0.2, max_epochs=10, **FAST).fit(X, Y)
    assert accuracy_score(Y["sign"], model.predict(X)[:, 1]) > 0.8


# ------------------------------------------------------------------ task_weights


def test_a_target_of_weight_zero_is_not_learned(two_labels):
    X, Y = two_labels
    X_train, X_test, Y_train, Y_test = _halves(X, Y)
    scores, final_losses = {}, {}
    for weight in (0.0, 1.0):
        model = NeuralFusionClassifier(task_weights={"sign": weight}, max_epochs=30, **FAST)
        model.fit(X_train, Y_train)
        predictions = model.predict(X_test)
        scores[weight] = accuracy_score(Y_test["sign"], predictions[:, 1])
        final_losses[weight] = model.history_[-1, "sign_train_loss"]
        assert accuracy_score(Y_test["sentiment"], predictions[:, 0]) > 0.75
    assert scores[1.0] > 0.8
    assert scores[0.0] < 0.75
    assert final_losses[0.0] > 3 * final_losses[1.0]


def test_task_weights_as_a_list_weigh_the_training_loss(two_amounts):
    X, Y = two_amounts
    plain = NeuralFusionRegressor(max_epochs=2, **FAST).fit(X, Y)
    weighted = NeuralFusionRegressor(task_weights=[1.0, 3.0], max_epochs=2, **FAST).fit(X, Y)
    first = weighted.history_[0]
    assert first["train_loss"] == pytest.approx(
        first["target_0_train_loss"] + 3.0 * first["target_1_train_loss"], rel=1e-4
    )
    assert first["train_loss"] > plain.history_[0, "train_loss"]


@pytest.mark.parametrize(
    ("task_weights", "message"),
    [
        ({"colour": 2.0}, r"task_weights names targets \['colour'\] that are not targets"),
        ([1.0, 2.0, 3.0], r"task_weights has 3 weights, but y has 2 target"),
        ({"sign": -1.0}, r"task_weights\['sign'\] must be a finite non-negative number"),
        ([1.0, "high"], r"task_weights\['sign'\] must be a number; got 'high'"),
        ([0.0, 0.0], r"task_weights gives every target a weight of 0"),
    ],
)
def test_task_weights_errors_name_the_parameter(task_weights, message, two_labels):
    X, Y = two_labels
    with pytest.raises(ValueError, match=message):
        NeuralFusionClassifier(task_weights=task_weights, max_epochs=1).fit(X, Y)


def test_task_weights_are_validated_for_a_single_target(regression_data):
    X, y = regression_data
    with pytest.raises(ValueError, match=r"task_weights has 2 weights, but y has 1 target"):
        NeuralFusionRegressor(task_weights=[1.0, 1.0], max_epochs=1).fit(X, y)
    model = NeuralFusionRegressor(task_weights={"target_0": 2.0}, max_epochs=1, **FAST)
    assert model.fit(X, y).predict(X).shape == (len(X),)


# ------------------------------------------------------------------- multi-task


@pytest.fixture(scope="module")
def fitted_multitask(mixed):
    X, Y = mixed
    X_train, _, Y_train, _ = _halves(X, Y)
    return NeuralFusionMultiTask(max_epochs=30, batch_size=32, **FAST).fit(X_train, Y_train)


def test_multitask_learns_a_class_target_and_a_numeric_target(fitted_multitask, mixed):
    X, Y = mixed
    _, X_test, _, Y_test = _halves(X, Y)
    model = fitted_multitask
    assert model.task_types_ == {"label": "classification", "amount": "regression"}
    assert list(model.classes_) == ["label"]
    np.testing.assert_array_equal(model.classes_["label"], ["no", "yes"])
    assert model.target_mean_["amount"] == pytest.approx(Y["amount"][:N_TRAIN].mean())
    predictions = model.predict(X_test)
    assert isinstance(predictions, pd.DataFrame)
    assert list(predictions.columns) == ["label", "amount"]
    assert predictions.index.equals(X_test.index)
    assert predictions["amount"].dtype == np.float64
    assert set(predictions["label"]) <= {"no", "yes"}
    accuracy = accuracy_score(Y_test["label"], predictions["label"])
    r2 = r2_score(Y_test["amount"], predictions["amount"])
    assert accuracy > 0.85 and r2 > 0.8
    assert model.score(X_test, Y_test) == pytest.approx((accuracy + r2) / 2)
    # A DataFrame y is matched by column name.
    assert model.score(X_test, Y_test[["amount", "label"]]) == pytest.approx((accuracy + r2) / 2)


def test_multitask_probabilities_are_keyed_by_classification_target(fitted_multitask, mixed):
    X, _ = mixed
    proba = fitted_multitask.predict_proba(X)
    assert list(proba) == ["label"]
    assert proba["label"].shape == (len(X), 2)
    np.testing.assert_allclose(proba["label"].sum(axis=1), 1.0, rtol=1e-6)
    labels = fitted_multitask.classes_["label"][proba["label"].argmax(axis=1)]
    np.testing.assert_array_equal(fitted_multitask.predict(X)["label"].to_numpy(), labels)


def test_multitask_records_each_targets_loss(fitted_multitask):
    for name in ("label", "amount"):
        losses = fitted_multitask.history_[:, f"{name}_train_loss"]
        assert losses[-1] < losses[0]


def test_multitask_is_neither_a_classifier_nor_a_regressor(fitted_multitask):
    assert not is_classifier(fitted_multitask) and not is_regressor(fitted_multitask)
    tags = get_tags(fitted_multitask)
    assert tags.target_tags.multi_output and tags.target_tags.required
    assert tags.input_tags.string and tags.input_tags.allow_nan


def test_multitask_predicts_rows_without_text(fitted_multitask, mixed):
    X, _ = mixed
    predictions = fitted_multitask.predict(X.assign(text_0=None))
    assert np.isfinite(predictions["amount"]).all()
    assert set(predictions["label"]) <= {"no", "yes"}


def test_multitask_prediction_of_a_row_does_not_depend_on_the_others(fitted_multitask, mixed):
    X, _ = mixed
    full = fitted_multitask.predict(X)
    order = np.random.default_rng(0).permutation(len(X))
    shuffled = fitted_multitask.predict(X.iloc[order])
    pd.testing.assert_frame_equal(shuffled.loc[X.index], full, rtol=1e-9)
    one = fitted_multitask.predict(X.iloc[[5]])
    pd.testing.assert_frame_equal(one, full.iloc[[5]], rtol=1e-9)


def test_multitask_tasks_can_be_given(mixed):
    X, Y = mixed
    Y = Y.assign(stars=np.arange(len(Y)) % 5)
    model = NeuralFusionMultiTask(tasks={"stars": "regression"}, max_epochs=1, **FAST).fit(X, Y)
    assert model.task_types_ == {
        "label": "classification",
        "amount": "regression",
        "stars": "regression",
    }
    assert model.predict(X)["stars"].dtype == np.float64


@pytest.mark.parametrize(
    ("values", "task"),
    [
        (["a", "b", "a"], "classification"),
        ([True, False, True], "classification"),
        ([1, 2, 3, 2], "classification"),
        ([1.0, 0.0, 1.0], "classification"),
        (np.arange(21), "regression"),
        ([0.5, 1.25, 3.0], "regression"),
    ],
)
def test_auto_tasks_rule(values, task):
    assert infer_task(pd.Series(values)) == task


def test_multitask_with_a_one_dimensional_target(classification_data):
    X, y = classification_data
    model = NeuralFusionMultiTask(max_epochs=3, **FAST).fit(X, pd.Series(y, name="label"))
    assert model.target_names_ == ["label"] and model.n_outputs_ == 1
    assert list(model.predict(X).columns) == ["label"]
    assert 0.5 <= model.score(X, y) <= 1.0


def test_multitask_task_weights_and_class_weight_by_name(mixed):
    X, Y = mixed
    model = NeuralFusionMultiTask(
        task_weights={"amount": 0.5}, class_weight={"label": "balanced"}, max_epochs=2, **FAST
    ).fit(X, Y)
    first = model.history_[0]
    assert first["train_loss"] == pytest.approx(
        first["label_train_loss"] + 0.5 * first["amount_train_loss"], rel=1e-4
    )


# ------------------------------------------------------------------- bad input


@pytest.mark.parametrize("estimator", [NeuralFusionClassifier, NeuralFusionMultiTask])
def test_a_missing_label_names_its_column(estimator, mixed):
    X, Y = mixed
    Y = Y.assign(label=Y["label"].astype(object))
    Y.loc[Y.index[3], "label"] = None
    if estimator is NeuralFusionClassifier:
        Y = Y[["label"]].assign(other=Y["label"].fillna("no"))
    with pytest.raises(ValueError, match=r"Target column 'label' of y: Input y contains NaN"):
        estimator(max_epochs=1).fit(X, Y)


def test_a_constant_classification_target_is_refused(mixed):
    X, Y = mixed
    with pytest.raises(ValueError, match=r"Target column 'kind' of y has only one class \('x'\)"):
        NeuralFusionMultiTask(max_epochs=1).fit(X, Y.assign(kind="x"))
    with pytest.raises(ValueError, match=r"Target column 'target_1' of y has only one class"):
        NeuralFusionClassifier(max_epochs=1).fit(X, np.column_stack([Y["label"], ["x"] * len(Y)]))


@pytest.mark.parametrize(
    "estimator", [NeuralFusionClassifier, NeuralFusionRegressor, NeuralFusionMultiTask]
)
def test_y_with_another_number_of_rows_than_x(estimator, two_amounts):
    X, Y = two_amounts
    with pytest.raises(ValueError, match="inconsistent numbers of samples: X has 240 rows"):
        estimator(max_epochs=1).fit(X, Y[:-5])


def test_a_non_numeric_regression_target_names_its_column(mixed):
    X, Y = mixed
    with pytest.raises(ValueError, match=r"Target column 'label' of y: .*must be numeric"):
        NeuralFusionRegressor(max_epochs=1).fit(X, Y)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"tasks": {"price": "regression"}}, r"tasks names targets \['price'\]"),
        ({"tasks": {"amount": "ranking"}}, r"tasks\['amount'\] must be 'classification' or"),
        ({"task_weights": {"price": 1.0}}, r"task_weights names targets \['price'\]"),
        ({"class_weight": {"amount": "balanced"}}, r"target 'amount', which is a regression"),
        ({"class_weight": {"no": 2.0}}, r"class_weight has keys \['no'\] that are not target"),
    ],
)
def test_multitask_parameter_errors(params, message, mixed):
    X, Y = mixed
    with pytest.raises(ValueError, match=message):
        NeuralFusionMultiTask(max_epochs=1, **params).fit(X, Y)


def test_multitask_score_needs_the_fitted_targets(fitted_multitask, mixed):
    X, Y = mixed
    with pytest.raises(ValueError, match=r"y lacks the target column\(s\) \['amount'\]"):
        fitted_multitask.score(X, Y.rename(columns={"amount": "price"}))
    with pytest.raises(ValueError, match=r"y has 1 column\(s\).*fitted on the targets"):
        fitted_multitask.score(X, Y["amount"].to_numpy())


# ---------------------------------------------------- determinism and pickling


def test_same_random_state_gives_the_same_model(mixed):
    X, Y = mixed
    params = {"modality_dropout": 0.2, "max_epochs": 3, **FAST}
    first = NeuralFusionMultiTask(**params).fit(X, Y)
    second = NeuralFusionMultiTask(**params).fit(X, Y)
    pd.testing.assert_frame_equal(first.predict(X), second.predict(X), rtol=0, atol=0)
    np.testing.assert_array_equal(
        first.predict_proba(X)["label"], second.predict_proba(X)["label"]
    )
    other = NeuralFusionMultiTask(**{**params, "random_state": 1}).fit(X, Y)
    assert not np.allclose(other.predict(X)["amount"], first.predict(X)["amount"])


def test_pickle_round_trip_predicts_the_same(
    fitted_multitask, fitted_classifier, mixed, two_labels
):
    X, _ = mixed
    restored = pickle.loads(pickle.dumps(fitted_multitask))
    pd.testing.assert_frame_equal(restored.predict(X), fitted_multitask.predict(X), rtol=0, atol=0)
    X_c, _ = two_labels
    classifier = pickle.loads(pickle.dumps(fitted_classifier))
    np.testing.assert_array_equal(classifier.predict(X_c), fitted_classifier.predict(X_c))
    for before, after in zip(fitted_classifier.predict_proba(X_c), classifier.predict_proba(X_c)):
        np.testing.assert_array_equal(after, before)


# ---------------------------------------------------------------- torch modules


def test_multi_task_loss_is_cross_entropy_and_squared_error_per_target():
    generator = torch.Generator().manual_seed(0)
    predictions = torch.randn(6, 4, generator=generator)
    target = torch.stack(
        [torch.tensor([0.0, 2, 1, 0, 2, 1]), torch.randn(6, generator=generator)], 1
    )
    loss = MultiTaskLoss([3, None], task_weights=[1.0, 0.5])
    losses = loss(predictions, target)
    assert losses.shape == (6, 2)
    expected = torch.nn.functional.cross_entropy(
        predictions[:, :3], target[:, 0].long(), reduction="none"
    )
    torch.testing.assert_close(losses[:, 0], expected)
    torch.testing.assert_close(losses[:, 1], (predictions[:, 3] - target[:, 1]) ** 2)
    per_target = losses.mean(0)
    torch.testing.assert_close(loss.combine(per_target), per_target[0] + 0.5 * per_target[1])


def _two_modality_blocks():
    return [
        ("numbers", MLPEncoder(3, 8, hidden_units=8)),
        ("more", MLPEncoder(2, 8, hidden_units=8)),
    ]


def test_network_with_one_head_per_target():
    torch.manual_seed(0)
    network = MultimodalNetwork(
        _two_modality_blocks(), "concat", [3, 1], embedding_dim=8, hidden_units=8, dropout=0.0
    )
    blocks = {"numbers": torch.randn(5, 3), "more": torch.randn(5, 2)}
    present = torch.ones(5, 2, dtype=torch.bool)
    output = network.eval()(blocks, present)
    assert output.shape == (5, 4)
    fused = network.fusion(network.embed(blocks))
    torch.testing.assert_close(output[:, :3], network.head.heads[0](fused))
    torch.testing.assert_close(output[:, 3:], network.head.heads[1](fused))


def test_fusion_net_weighs_each_target_and_each_entry():
    torch.manual_seed(0)
    net = FusionNet(
        MultimodalNetwork,
        criterion=MultiTaskLoss([3, None], task_weights=[1.0, 2.0], names=["kind", "size"]),
        module__blocks=_two_modality_blocks(),
        module__fusion="concat",
        module__n_outputs=[3, 1],
        module__embedding_dim=8,
        module__hidden_units=8,
        module__auxiliary_heads=True,
        auxiliary_weight=0.5,
        device="cpu",
    ).initialize()
    generator = torch.Generator().manual_seed(1)
    predictions = torch.randn(6, 4, generator=generator)
    auxiliary = torch.randn(6, 2, 4, generator=generator)
    target = torch.stack(
        [torch.tensor([0.0, 2, 1, 0, 2, 1]), torch.randn(6, generator=generator)], 1
    )
    weight = torch.rand(6, 2, generator=generator) + 0.1
    present = torch.ones(6, 2, dtype=torch.bool)
    present[2, 1] = False
    losses = net.criterion_(predictions, target)

    def combined(values, weights):
        means = (values * weights).sum(0) / weights.sum(0)
        return means[0] + 2.0 * means[1]

    main = combined(losses, weight)
    rows = present.float()
    auxiliary_terms = [
        combined(net.criterion_(auxiliary[:, m], target), rows[:, m : m + 1] * weight)
        for m in range(2)
    ]
    expected = main + 0.5 * (auxiliary_terms[0] + auxiliary_terms[1]) / 2
    y_true = {"target": target, "weight": weight}
    loss = net.get_loss((predictions, auxiliary, None), y_true, X={"present": present})
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(net._take_target_losses(), (losses * weight).sum(0) / weight.sum(0))
