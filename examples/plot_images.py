"""
Images next to text and numbers
===============================

:func:`mmsk.datasets.load_poster_listings` holds 400 listings of an imaginary print shop:
a 48x48 thumbnail of a photograph, a description, a price, the seller's rating and a
paper size. Whether a poster sold depends on the photograph's theme (only the image shows
it), on the description's condition phrases and on price and rating, so each modality
alone predicts part of it and fusion predicts it best.

The ``"auto"`` spec finds the image column (a column of paths to image files) and
describes each image with :class:`~mmsk.ImageEmbedder`: a pretrained EfficientNet-Lite0
with the ``image`` extra, NumPy colour, gradient and texture descriptors without it.
"""

# %%
# The listings
# ------------
from sklearn.model_selection import train_test_split

from mmsk.datasets import load_poster_listings

X, y = load_poster_listings(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)
X_train.head(3)

# %%
# Each modality alone, then all three
# -----------------------------------
# The thumbnails are small, so the network reads them at 96 pixels instead of 224.
# Features are cached per image, so the fits below describe each image once.
from mmsk import EarlyFusionClassifier, ImageEmbedder, KindSelector, LateFusionClassifier

image = ("image", ImageEmbedder(image_size=96), "image")
text = ("text", "auto", "description")
tabular = ("tabular", "auto", KindSelector("numeric", "categorical"))
models = {
    "image only": EarlyFusionClassifier([image]),
    "text only": EarlyFusionClassifier([text]),
    "tabular only": EarlyFusionClassifier([tabular]),
    "early fusion": EarlyFusionClassifier([image, text, tabular]),
    "late fusion": LateFusionClassifier([image, text, tabular], cv=3, random_state=0),
}
accuracy = {
    name: model.fit(X_train, y_train).score(X_test, y_test) for name, model in models.items()
}
accuracy

# %%
# The fitted image modality, and the backend it used:
fused = models["early fusion"]
fused.modality_columns_, fused.named_transformers_["image"].backend_

# %%
# Held-out posters and the fused model's guesses
# ----------------------------------------------
# Each modality alone gets about two listings in three right. Early fusion, one model
# over the features of all three modalities, does clearly better; late fusion, which
# combines three separate predictions, gains less on this table, where the signals of
# the modalities add up inside one model.
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

predicted = fused.predict(X_test)
fig = plt.figure(figsize=(11, 4.2), layout="constrained")
left, right = fig.subfigures(1, 2, width_ratios=[1.3, 1])
for ax, position in zip(left.subplots(3, 5).ravel(), range(15)):
    with Image.open(X_test["image"].iloc[position]) as picture:
        ax.imshow(np.asarray(picture.convert("RGB")))
    right_guess = predicted[position] == y_test.iloc[position]
    ax.set_title(
        f"guess {predicted[position]}, true {y_test.iloc[position]}",
        fontsize=8,
        color="tab:green" if right_guess else "tab:red",
    )
    ax.set_axis_off()
left.suptitle("Held-out posters (1 = sold), early fusion")

ax = right.subplots()
names = list(accuracy)
ax.barh(names, [accuracy[name] for name in names], color=["tab:gray"] * 3 + ["tab:blue"] * 2)
ax.axvline(0.5, color="0.4", linestyle=":", label="chance")
ax.set_xlim(0, 1)
ax.invert_yaxis()
ax.set_xlabel(f"Accuracy on {len(y_test)} held-out listings")
ax.legend(loc="lower right")
plt.show()
