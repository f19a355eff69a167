"""The DeepFM network (Guo et al. 2017): a factorisation machine and a DNN over shared field embeddings.

Imported only when a DeepFM is fitted or loaded, so importing
``longtail.models.ctr`` does not import torch.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

INIT_STD = 0.05


class DeepFMNet(nn.Module):
    """``logit = b + sum_f w_f + FM(v) + DNN(v)`` over one embedding ``v_f`` per field.

    Every field's rows live in one embedding table at the field's offset.
    With ``text`` (item text vectors, one row per item code, the last row
    zeros for items without one) the item's text is projected into the
    embedding space as one more field, so it takes part in both the pairwise
    interactions and the DNN. ``deep=False`` leaves the DNN out: a plain FM
    (Rendle 2010).
    """

    def __init__(
        self,
        field_sizes: list[int],
        dim: int,
        hidden: tuple[int, ...],
        dropout: float,
        deep: bool,
        text: np.ndarray | None = None,
    ) -> None:
        super().__init__()
        self.register_buffer("offsets", torch.as_tensor(np.cumsum([0, *field_sizes[:-1]]), dtype=torch.long))
        total = int(sum(field_sizes))
        self.embedding = nn.Embedding(total, dim)
        self.linear = nn.Embedding(total, 1)
        self.bias = nn.Parameter(torch.zeros(1))
        nn.init.normal_(self.embedding.weight, std=INIT_STD)
        nn.init.zeros_(self.linear.weight)
        n_vectors = len(field_sizes)
        self.text_proj = None
        if text is not None:
            self.register_buffer("text", torch.as_tensor(text, dtype=torch.float32))
            self.text_proj = nn.Linear(self.text.shape[1], dim, bias=False)
            self.text_linear = nn.Linear(self.text.shape[1], 1, bias=False)
            nn.init.zeros_(self.text_linear.weight)
            n_vectors += 1
        self.dnn = None
        if deep:
            layers: list[nn.Module] = []
            width = n_vectors * dim
            for size in hidden:
                layers += [nn.Linear(width, size), nn.ReLU(), nn.Dropout(dropout)]
                width = size
            layers.append(nn.Linear(width, 1))
            self.dnn = nn.Sequential(*layers)

    def forward(self, rows: torch.Tensor, text_rows: torch.Tensor | None = None) -> torch.Tensor:
        """Logits (B,) for per-field rows (B, F) and, with text, each row's item text index (B,)."""
        index = rows + self.offsets
        vectors = self.embedding(index)
        first = self.linear(index).sum(dim=(1, 2)) + self.bias
        if self.text_proj is not None:
            text = self.text[text_rows]
            vectors = torch.cat([vectors, self.text_proj(text).unsqueeze(1)], dim=1)
            first = first + self.text_linear(text).squeeze(-1)
        summed = vectors.sum(dim=1)
        # <v_i, v_j> summed over pairs i < j, in O(F k): ((sum v)^2 - sum v^2) / 2
        pairwise = 0.5 * (summed.pow(2) - vectors.pow(2).sum(dim=1)).sum(dim=1)
        logit = first + pairwise
        if self.dnn is not None:
            logit = logit + self.dnn(vectors.flatten(1)).squeeze(-1)
        return logit
