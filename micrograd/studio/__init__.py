"""The studio's application logic: configuration, data, trainer, weights file, run store, recording."""
