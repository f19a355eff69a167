"""Per-task models (layer 2): numpy arrays and torch tensors in, predictions out."""
