"""Product categorisers: product text (or its embedding) in, category out.

* :class:`TfidfLogReg` — TF-IDF + logistic regression, the text baseline;
* :class:`EmbeddingClassifier` — a linear or MLP head on frozen encoder embeddings;
* :class:`FineTunedClassifier` — the transformer encoder fine-tuned end to end with a linear head.

All take ``fit(inputs, y, strategy=...)`` and give ``decision_function``,
``predict_proba`` and ``predict`` over ``classes_``, and save as
safetensors + JSON. Importing this package does not import torch.
"""

from longtail.models.categorize.base import CategoryClassifier
from longtail.models.categorize.embedding import EmbeddingClassifier
from longtail.models.categorize.finetune import FineTunedClassifier
from longtail.models.categorize.tfidf import TfidfLogReg

__all__ = ["CategoryClassifier", "EmbeddingClassifier", "FineTunedClassifier", "TfidfLogReg"]
