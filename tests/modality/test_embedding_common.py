"""scikit-learn's own estimator checks on SentenceEmbedder.

The checks feed numeric arrays; numbers become text through ``cell_to_text``, and
the process-wide embedding cache keeps the many refits fast.
"""

import pytest

pytest.importorskip("sentence_transformers")

from sklearn.utils import estimator_checks  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from mmsk.modality._embedding import SentenceEmbedder  # noqa: E402

# Checks of feature names and set_output that parametrize_with_checks does not yield
# for estimators outside scikit-learn.
OUTPUT_CHECKS = [
    "check_transformer_get_feature_names_out",
    "check_transformer_get_feature_names_out_pandas",
    "check_get_feature_names_out_error",
    "check_set_output_transform",
    "check_set_output_transform_pandas",
    "check_global_output_transform_pandas",
]


@parametrize_with_checks([SentenceEmbedder()])
def test_sklearn_compatible_sentence_embedder(estimator, check):
    check(estimator)


# The pandas output checks fit on a DataFrame and transform an array (and the reverse)
# on purpose; scikit-learn's own transformers warn about it in the same way.
@pytest.mark.filterwarnings("ignore:X (does not have valid|has) feature names:UserWarning")
@pytest.mark.parametrize("check_name", OUTPUT_CHECKS)
def test_sentence_embedder_feature_names_and_output_checks(check_name):
    check = getattr(estimator_checks, check_name)
    check("SentenceEmbedder", SentenceEmbedder())
