"""Replay a stored run from its initial weights, step by step, with the settings it changed live (no Streamlit).

The run store keeps each run's weights before step 1 (``initial_weights``, a weights file whose ``training`` block
is the configuration at that step) and the change log (``get_changes``: a setting took a value after ``step``
steps). A new ``Trainer`` on the same configuration and data, started from those weights and given each change
before the step that used it, retraces the run bit for bit: the data and the batch order come from the seeds.
"""

from __future__ import annotations

import copy
from typing import Any

from micrograd.studio import config as schema
from micrograd.studio import weights
from micrograd.studio.config import RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer


class ReplayError(ValueError):
    """A run that cannot be replayed, with the reason in words."""


class Replay:
    """A stored run replayed: ``trainer`` is at ``step``; ``step_once``, ``seek`` move it (backwards restarts)."""

    def __init__(self, store: RunStore, run_id: int) -> None:
        run = store.get_run(run_id)  # KeyError for an unknown id, with the ids' command in its message
        if not run.get("initial_weights"):
            raise ReplayError(
                f"run #{run_id} has no initial weights, so it cannot be replayed (it was recorded by an older version, "
                "or started from a trainer that had already stepped)"
            )
        try:
            loaded = weights.loads(run["initial_weights"])
            config = RunConfig.from_dict(loaded.training)
        except ValueError as e:
            raise ReplayError(f"run #{run_id}'s initial weights cannot be read: {e}") from None
        if config.dataset == "csv":
            raise ReplayError(
                f"run #{run_id} trained on a CSV file, which the run store keeps no copy of yet: replay needs the "
                "file's bytes (open the run with that file uploaded instead)"
            )
        self.run_id = run_id
        self.run = run
        self.config = config
        self.changes: list[dict[str, Any]] = store.get_changes(run_id)
        self.records = store.get_steps(run_id)
        self._initial = loaded.model
        self.trainer = self._fresh()

    def _fresh(self) -> Trainer:
        return Trainer(self.config, model=copy.deepcopy(self._initial))

    @property
    def step(self) -> int:
        """Steps replayed so far."""
        return self.trainer.step_count

    @property
    def length(self) -> int:
        """Steps the stored run recorded."""
        return len(self.records)

    def _apply_changes(self) -> None:
        """The settings that changed after exactly this many steps, as the live run changed them."""
        tr = self.trainer
        due = {c["field"]: c["value"] for c in self.changes if c["step"] == tr.step_count}
        if not due:
            return
        data = set(schema.names_with(schema.DATA))
        drawn = {k: v for k, v in due.items() if k in data}
        if drawn:  # new data drawn (same architecture and settings)
            new = tr.config.replace(**drawn)
            tr.set_dataset(new.make_dataset(), new)
        live = {k: v for k, v in due.items() if k not in data}
        if live:
            tr.update(**live)

    def step_once(self) -> dict | None:
        """Replay one more step; its record (None when the trainer is done)."""
        self._apply_changes()
        return self.trainer.step()

    def seek(self, step: int) -> Trainer:
        """The trainer after ``step`` steps (going back restarts from the initial weights)."""
        if step < self.trainer.step_count:
            self.trainer = self._fresh()
        while self.trainer.step_count < step:
            if self.step_once() is None:
                break
        return self.trainer

    def matches(self) -> bool:
        """True if every replayed step's loss equals the stored record's exactly."""
        by_step = {r["step"]: r for r in self.records}
        return all(
            by_step.get(r["step"], {}).get("loss") == r["loss"] for r in self.trainer.history if r["step"] in by_step
        )
