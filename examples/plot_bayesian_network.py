"""
Reading a Bayesian-network fusion model
=======================================

:class:`~mmsk.BayesianNetworkFusionClassifier` turns each modality's out-of-fold
prediction into a discrete node of a small Bayesian network with the target, and can add
a key categorical column as a node of its own. The fitted network is small enough to read:
its edges say which nodes depend on each other, its probability tables say how, and
``modality_influence_`` ranks the nodes by how much observing them moves the prediction.
It needs the ``bayes`` extra (pgmpy), and matplotlib to draw.
"""

# %%
# Fit on the clothing reviews
# ---------------------------
# Three modalities (the tabular fields, the title, the review text) and the department
# as a feature node; ``structure="tan"`` adds a tree among the nodes to the naive-Bayes
# edges from the target.
from sklearn.model_selection import train_test_split

from mmsk import BayesianNetworkFusionClassifier, KindSelector
from mmsk.datasets import load_clothing_reviews

X, y = load_clothing_reviews(return_X_y=True)
X, _, y, _ = train_test_split(X, y, train_size=1500, stratify=y, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

model = BayesianNetworkFusionClassifier(
    modalities=[
        ("tabular", "auto", KindSelector("numeric", "categorical")),
        ("title", "auto", "Title"),
        ("review", "auto", "Review Text"),
    ],
    structure="tan",
    include_features=["Department Name"],
    cv=3,
    random_state=0,
).fit(X_train, y_train)
print(f"held-out accuracy: {model.score(X_test, y_test):.3f}")
sorted(model.network_.edges())

# %%
# How much each node tells about the target
# -----------------------------------------
# The mutual information of each node with the target under the fitted network, and its
# share of the target's entropy.
model.modality_influence_.round(3)

# %%
# The probability table of one node given its parents:
print(model.cpds_["review"])

# %%
# A row without its review text
# -----------------------------
# The review node gets no evidence and is summed out of the exact posterior.
row = X_test.iloc[[0]]
(
    model.predict_proba(row).round(3),
    model.predict_proba(row.assign(**{"Review Text": None})).round(3),
)

# %%
# The network and the influence of its nodes
# ------------------------------------------
# The target (orange) is the root. The tree joins the title and the review nodes (blue),
# which tend to agree, and the department (green) joins the tabular node. The review and
# the title move the prediction most; the department and the other tabular fields hardly
# at all.
import matplotlib.pyplot as plt

fig, (ax_network, ax_influence) = plt.subplots(
    1, 2, figsize=(11, 4.5), gridspec_kw={"width_ratios": [1.2, 1]}
)
model.plot_network(ax=ax_network)
influence = model.modality_influence_["share_of_target_entropy"]
ax_influence.barh(influence.index, influence.to_numpy(), color="tab:blue")
ax_influence.invert_yaxis()
ax_influence.set_xlabel("Mutual information with the target / its entropy")
ax_influence.set_title("Influence of each node")
fig.tight_layout()
plt.show()
