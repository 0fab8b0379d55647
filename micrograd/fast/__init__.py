"""The fast executor: the traced scalar graph run over a whole batch with NumPy."""
