"""Replay a stored run from its initial weights, step by step, with the settings it changed live (no Streamlit).

The run store keeps each run's weights before step 1 (``initial_weights``, a weights file whose ``training`` block
is the configuration at that step) and the change log (``get_changes``: a setting took a value after ``step``
steps). A new ``Trainer`` on the same configuration and data, started from those weights and given each change
before the step that used it, retraces the run bit for bit: the data and the batch order come from the seeds.
"""

from __future__ import annotations

import copy
import io
from typing import Any

from micrograd.studio import config as schema
from micrograd.studio import datasets, drawn, weights
from micrograd.studio.config import OWN_DATA, RunConfig
from micrograd.studio.runs import RunStore
from micrograd.studio.trainer import Trainer


class ReplayError(ValueError):
    """A run that cannot be replayed, with the reason in words."""


def _kept_dataset(store: RunStore, run_id: int, config: RunConfig):
    """The dataset of a CSV or drawn run, rebuilt from the file's bytes the store kept, as the dashboard loaded it."""
    kept = store.get_data_file(run_id)
    if config.dataset == "drawn":
        if kept is None:  # QA: it said "build them with datasets.from_arrays"
            raise ReplayError(
                f"run #{run_id} was trained on points drawn on the Train page, and the run store has no copy of them "
                "(recorded by an older version), so it cannot be replayed"
            )
        try:  # in the units they were drawn in, as the Train page trains on them (never standardised)
            return drawn.to_dataset(drawn.from_csv(kept[1]), test_fraction=config.test_fraction or 0.0)
        except ValueError as e:
            raise ReplayError(f"run #{run_id}'s drawn points cannot be read again: {e}") from None
    if kept is None:
        raise ReplayError(
            f"run #{run_id} trained on a CSV file the run store has no copy of (recorded by an older version, or "
            "larger than the upload limit): open the run with that file uploaded instead"
        )
    name, data = kept
    f = io.BytesIO(data)
    f.name = name  # read_csv's messages name the file
    try:
        return datasets.load_csv(
            f,
            config.label_column,
            config.feature_columns,
            test_fraction=config.test_fraction or 0.0,
            seed=config.dataset_seed,
            task=config.task,
        )
    except ValueError as e:
        raise ReplayError(f"run #{run_id}'s CSV file {name!r} cannot be read again: {e}") from None


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
        self._dataset = _kept_dataset(store, run_id, config) if config.dataset in OWN_DATA else None
        self.run_id = run_id
        self._store = store
        self.run = run
        self.config = config
        self.changes: list[dict[str, Any]] = store.get_changes(run_id)
        self.records = store.get_steps(run_id)
        self._initial = loaded.model
        self.trainer = self._fresh()

    def _fresh(self) -> Trainer:
        return Trainer(self.config, dataset=self._dataset, model=copy.deepcopy(self._initial))

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
            data = _kept_dataset(self._store, self.run_id, new) if new.dataset in OWN_DATA else new.make_dataset()
            tr.set_dataset(data, new)
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
