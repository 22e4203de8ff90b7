"""A Hugging Face cache laid out as ``huggingface_hub`` writes it, for offline-loading tests."""

from __future__ import annotations

import shutil
from pathlib import Path

REVISION = "0" * 40


def fake_hub_cache(root: Path, repo_id: str, files: dict[str, Path], monkeypatch) -> Path:
    """Put ``files`` (name in the repo -> local file or folder) in ``root`` as the cached snapshot
    of the model repo ``repo_id``, point huggingface_hub at ``root`` and return the snapshot folder."""
    import huggingface_hub.constants as constants

    repo = root / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo / "snapshots" / REVISION
    snapshot.mkdir(parents=True)
    for name, source in files.items():
        target = snapshot / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if Path(source).is_dir() else shutil.copy)(source, target)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(root))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return snapshot
