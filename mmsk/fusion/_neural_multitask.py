"""Neural fusion of several targets of different kinds in one network.

:class:`NeuralFusionMultiTask` learns classification and regression targets together:
one fused representation of the modalities, one head per target. The data path, the
network and the training are those of :mod:`mmsk.fusion._neural`; this module adds the
choice of each target's task and the tabular outputs.
"""

import numpy as np
import pandas as pd
from pandas.api import types as pd_types
from sklearn.metrics import accuracy_score, r2_score
from sklearn.utils._param_validation import StrOptions
from sklearn_compat.base import _fit_context

from ._multitask import split_targets
from ._neural import (
    _COMMON_ATTRIBUTES,
    _COMMON_PARAMETERS,
    _NEURAL_CONSTRAINTS,
    _TASK_WEIGHTS_PARAMETER,
    _BaseNeuralFusion,
    native_labels,
    softmax,
)

TASKS = ("classification", "regression")
#: Most distinct whole-number values of a numeric target that ``tasks="auto"`` reads
#: as class labels.
MAX_AUTO_CLASSES = 20


def infer_task(values):
    """The task ``tasks="auto"`` gives a target column.

    Non-numeric and boolean columns hold class labels; so do numeric columns of whole
    numbers with at most :data:`MAX_AUTO_CLASSES` distinct values. Other numeric
    columns are regression targets.

    Parameters
    ----------
    values : pandas.Series
        The target column.

    Returns
    -------
    task : {"classification", "regression"}
    """
    values = values.infer_objects()
    if pd_types.is_bool_dtype(values) or not pd_types.is_numeric_dtype(values):
        return "classification"
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    numbers = numbers[np.isfinite(numbers)]
    whole = np.array_equal(numbers, np.round(numbers))
    if whole and len(np.unique(numbers)) <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


def target_table(owner, y):
    """``y`` as a DataFrame with one column per target, named by strings.

    A Series keeps its name; other 1-D and 2-D targets get ``"target_{i}"``.
    """
    if y is None:
        raise ValueError(f"{owner} requires y to be passed, but the target y is None.")
    if isinstance(y, pd.DataFrame):
        return y.set_axis([str(column) for column in y.columns], axis=1)
    if isinstance(y, pd.Series):
        return y.to_frame(name="target_0" if y.name is None else str(y.name))
    values = y if isinstance(y, np.ndarray) else np.asarray(y, dtype=object)
    if values.ndim == 1:
        values = values.reshape(-1, 1)
    if values.ndim != 2:
        raise ValueError(
            f"y of {owner} must be 1-D (one target) or 2-D (one column per target); got "
            f"an array of shape {values.shape}."
        )
    names = [f"target_{i}" for i in range(values.shape[1])]
    return pd.DataFrame(values, columns=names).infer_objects()


def resolve_tasks(tasks, table):
    """The task of every target: from ``tasks`` where named, else inferred.

    Parameters
    ----------
    tasks : "auto" or dict
        ``tasks`` as given to the estimator.
    table : pandas.DataFrame
        The targets, from :func:`target_table`.

    Returns
    -------
    tasks : dict
        Target name -> ``"classification"`` or ``"regression"``, in column order.
    """
    names = list(table.columns)
    given = {} if isinstance(tasks, str) else {str(key): value for key, value in tasks.items()}
    unknown = [key for key in given if key not in names]
    if unknown:
        raise ValueError(
            f"tasks names targets {unknown} that are not targets of y; the targets are {names}."
        )
    for name, task in given.items():
        if task not in TASKS:
            raise ValueError(
                f"tasks[{name!r}] must be 'classification' or 'regression'; got {task!r}."
            )
    return {name: given.get(name) or infer_task(table[name]) for name in names}


class NeuralFusionMultiTask(_BaseNeuralFusion):
    __doc__ = f"""Neural fusion of several targets, each a classification or a regression.

    The modalities are encoded and fused as in :class:`NeuralFusionClassifier`, into one
    representation shared by every target; each target gets its own head: a
    classification head trained with cross-entropy, or a regression output trained with
    the squared error on the standardised target. The loss is the sum of the targets'
    losses weighted by ``task_weights``. Missing modalities, the auxiliary and
    contrastive losses and every training option work as for the other neural
    estimators.

    It is neither a classifier nor a regressor in scikit-learn's sense: ``predict``
    returns a DataFrame with one column per target, and ``score`` averages accuracy
    and R^2 over the targets.

    Needs torch and skorch (``pip install "mmsk[neural]"``).

    Parameters
    ----------
{_COMMON_PARAMETERS}
    class_weight : dict, "balanced" or None, default=None
        Class weights of the classification targets, applied as per-row weights of
        each target's loss: ``"balanced"`` balances the classes of every
        classification target; a dict maps target names to a dict keyed by that
        target's labels or to ``"balanced"``.
{_TASK_WEIGHTS_PARAMETER}
    tasks : "auto" or dict, default="auto"
        The task of each target: a dict maps target names to ``"classification"`` or
        ``"regression"``; the others, and all of them with ``"auto"``, are inferred
        from the column: non-numeric, boolean, and whole numbers with at most
        {MAX_AUTO_CLASSES} distinct values are class labels, other numbers regression
        targets.

    Attributes
    ----------
    task_types_ : dict
        Target name -> ``"classification"`` or ``"regression"``.
    classes_ : dict
        Classification target name -> its labels (ndarray).
    target_mean_ : dict
        Regression target name -> its training mean.
    target_scale_ : dict
        Regression target name -> its training standard deviation (1 for a constant
        one).
{_COMMON_ATTRIBUTES}

    See Also
    --------
    NeuralFusionClassifier : Several classification targets (2-D ``y``) or one.
    NeuralFusionRegressor : Several regression targets (2-D ``y``) or one.

    Examples
    --------
    >>> import pandas as pd
    >>> from mmsk.fusion import NeuralFusionMultiTask
    >>> from mmsk.datasets import make_multimodal_classification
    >>> X, label = make_multimodal_classification(n_samples=200, random_state=0)
    >>> y = pd.DataFrame({{"label": label, "amount": X["num_0"] * 3.0 + 1.5}})
    >>> model = NeuralFusionMultiTask(max_epochs=5, random_state=0).fit(X, y)
    >>> model.task_types_
    {{'label': 'classification', 'amount': 'regression'}}
    >>> model.predict(X).columns.tolist()
    ['label', 'amount']
    >>> model.predict_proba(X)["label"].shape
    (200, 2)
    """

    _parameter_constraints = {
        **_NEURAL_CONSTRAINTS,
        "class_weight": [dict, StrOptions({"balanced"}), None],
        "tasks": [StrOptions({"auto"}), dict],
    }

    def __init__(
        self,
        modalities="auto",
        *,
        encoders="auto",
        fusion="concat",
        embedding_dim=64,
        hidden_units=128,
        dropout=0.1,
        modality_dropout=0.0,
        auxiliary_weight=0.0,
        contrastive_weight=0.0,
        contrastive_temperature=0.1,
        max_epochs=20,
        lr=1e-3,
        batch_size=256,
        optimizer="adamw",
        weight_decay=0.0,
        callbacks=None,
        train_split=None,
        net_params=None,
        device="auto",
        class_weight=None,
        task_weights=None,
        tasks="auto",
        memory=None,
        random_state=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.encoders = encoders
        self.fusion = fusion
        self.embedding_dim = embedding_dim
        self.hidden_units = hidden_units
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.auxiliary_weight = auxiliary_weight
        self.contrastive_weight = contrastive_weight
        self.contrastive_temperature = contrastive_temperature
        self.max_epochs = max_epochs
        self.lr = lr
        self.batch_size = batch_size
        self.optimizer = optimizer
        self.weight_decay = weight_decay
        self.callbacks = callbacks
        self.train_split = train_split
        self.net_params = net_params
        self.device = device
        self.class_weight = class_weight
        self.task_weights = task_weights
        self.tasks = tasks
        self.memory = memory
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None):
        """Fit the transformers and train the network on every target.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : pandas.DataFrame, array-like of shape (n_samples, n_targets) or (n_samples,)
            The targets, one column each (a DataFrame names them); a 1-D ``y`` is a
            single target.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights of every target's loss.

        Returns
        -------
        self : NeuralFusionMultiTask
            The fitted estimator.
        """
        frame = self._check_fit_input(X)
        table = target_table(type(self).__name__, y)
        tasks = resolve_tasks(self.tasks, table)
        classification = [task == "classification" for task in tasks.values()]
        columns, names = split_targets(self, table, len(frame), classification=classification)
        self._fit_targets(frame, columns, names, classification, sample_weight, self.class_weight)
        self.task_types_ = tasks
        self.classes_ = {c.name: c.classes for c in self._codings if c.classes is not None}
        regression = [c for c in self._codings if c.classes is None]
        self.target_mean_ = {c.name: c.mean for c in regression}
        self.target_scale_ = {c.name: c.scale for c in regression}
        return self

    def predict(self, X):
        """Predict every target.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        y_pred : pandas.DataFrame of shape (n_samples, n_targets)
            One column per target, named as in ``target_names_``: labels from
            ``classes_`` for classification targets, numbers in the target's units for
            regression targets. The index is that of ``X`` when ``X`` is a DataFrame.
        """
        outputs = self._target_outputs(X)
        index = X.index if isinstance(X, pd.DataFrame) else None
        columns = {c.name: c.decode(o) for c, o in zip(self._codings, outputs)}
        return pd.DataFrame(columns, index=index)

    def predict_proba(self, X):
        """Predict the class probabilities of the classification targets.

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.

        Returns
        -------
        proba : dict
            Classification target name -> ndarray of shape (n_samples, n_classes),
            columns following ``classes_[name]``; empty without classification targets.
        """
        outputs = self._target_outputs(X)
        return {
            c.name: softmax(o) for c, o in zip(self._codings, outputs) if c.classes is not None
        }

    def score(self, X, y, sample_weight=None):
        """Mean over the targets of the accuracy (classification) or R^2 (regression).

        Parameters
        ----------
        X : {array-like, pandas.DataFrame} of shape (n_samples, n_features)
            The input table.
        y : pandas.DataFrame, array-like of shape (n_samples, n_targets) or (n_samples,)
            The true targets: a DataFrame's columns are matched by name, an array's
            by position.
        sample_weight : array-like of shape (n_samples,) or None, default=None
            Row weights.

        Returns
        -------
        score : float
        """
        predictions = self.predict(X)
        truth = self._matched_targets(
            target_table(type(self).__name__, y), by_name=isinstance(y, pd.DataFrame)
        )
        scores = [
            _target_score(self.task_types_[name], truth[name], predictions[name], sample_weight)
            for name in self.target_names_
        ]
        return float(np.mean(scores))

    def _matched_targets(self, table, by_name):
        """The columns of ``table`` in the order of ``target_names_``, named so."""
        if by_name:
            missing = [name for name in self.target_names_ if name not in table.columns]
            if missing:
                raise ValueError(
                    f"y lacks the target column(s) {missing} that the model was fitted on; "
                    f"its columns are {list(table.columns)}."
                )
            return table[self.target_names_]
        if table.shape[1] != len(self.target_names_):
            raise ValueError(
                f"y has {table.shape[1]} column(s) {list(table.columns)}, but the model "
                f"was fitted on the targets {self.target_names_}."
            )
        return table.set_axis(self.target_names_, axis=1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.target_tags.single_output = True
        tags.target_tags.multi_output = True
        return tags


def _target_score(task, truth, predicted, sample_weight):
    if task == "classification":
        labels = native_labels(truth.to_numpy())
        return accuracy_score(labels, predicted.to_numpy(), sample_weight=sample_weight)
    return r2_score(
        truth.to_numpy(dtype=np.float64), predicted.to_numpy(), sample_weight=sample_weight
    )
