"""Limits and guards that span modules: the server's upload limit, the notice queue, pages without a live view."""

from pathlib import Path

import tomllib

from micrograd.studio import datasets, weights

ROOT = Path(__file__).resolve().parent.parent


def test_the_servers_upload_limit_is_what_the_app_accepts():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    mb = config["server"]["maxUploadSize"]  # Streamlit counts it in MiB (x 1024 x 1024)
    assert mb * 1024 * 1024 == datasets.MAX_CSV_BYTES
    assert weights.MAX_BYTES <= mb * 1024 * 1024
