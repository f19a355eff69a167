"""Device choice, seeding and minibatch iteration shared by the torch models."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import numpy as np


def pick_device(device: str | None = None) -> str:
    """``device`` if given, else cuda > mps > cpu, whichever is available."""
    import torch

    if device:
        if device.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError(f"device={device!r} but CUDA is not available; use device='cpu'")
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def seeded_generator(seed: int):
    """Seed torch's global RNG (for weight init) and return a CPU generator for shuffling."""
    import torch

    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def minibatches(n: int, batch_size: int, generator=None, shuffle: bool = True) -> Iterator[np.ndarray]:
    """Index batches over ``range(n)``, shuffled by ``generator`` (a torch.Generator) when asked."""
    import torch

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    order = torch.randperm(n, generator=generator).numpy() if shuffle else np.arange(n)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]


@contextmanager
def training_progress(total: int, description: str, enabled: bool = True):
    """A rich progress bar over ``total`` steps; yields ``advance(n=1)``."""
    if not enabled:
        yield lambda n=1: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
    ) as progress:
        task = progress.add_task(description, total=total)
        yield lambda n=1: progress.advance(task, n)
