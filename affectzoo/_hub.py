"""The Hugging Face Hub: ``hf-hub:org/name@revision`` sources, offline caches, publishing.

Downloads go through ``huggingface_hub`` (its cache layout, ``HF_HUB_OFFLINE``, ``revision``,
``cache_dir``); with the Hub offline a source must already be in the local cache. Only the three
files of a checkpoint folder (:mod:`affectzoo._folder`) are fetched or uploaded.
"""

from __future__ import annotations

import os
from pathlib import Path

from affectzoo._folder import FILES
from affectzoo._version import __version__
from affectzoo.errors import CheckpointError

HUB_PREFIX = "hf-hub:"
LOCAL_DIR_PREFIX = "local-dir:"


def parse_hub_spec(spec: str) -> tuple[str, str | None]:
    """``hf-hub:org/name@revision`` -> (``org/name``, ``revision`` or None)."""
    body = spec[len(HUB_PREFIX):] if spec.startswith(HUB_PREFIX) else spec
    repo_id, _, revision = body.partition("@")
    if repo_id.count("/") != 1 or not all(repo_id.split("/")):
        raise CheckpointError(spec, "a Hub source must look like hf-hub:org/name or hf-hub:org/name@revision",
                              "fix the repository id")
    return repo_id, revision or None


def hub_offline() -> bool:
    """True when HF_HUB_OFFLINE is set now (huggingface_hub itself reads it once at import)."""
    import huggingface_hub.constants as hf_constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return env or bool(hf_constants.HF_HUB_OFFLINE)


def cached_snapshot(repo_id: str) -> Path | None:
    """The folder of ``repo_id`` already in the local Hugging Face cache, or None; never downloads
    (for pretrained parts the zoo reads where present: sentence encoders, MERT)."""
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(repo_id, local_files_only=True))
    except Exception:  # not cached (huggingface_hub raises several types for that)
        return None


def download_from_hub(repo_id: str, revision: str | None = None, cache_dir=None) -> Path:
    """Fetch (or find in the local Hugging Face cache when offline) a checkpoint folder from the Hub."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, LocalEntryNotFoundError

    offline = hub_offline()
    source = f"{HUB_PREFIX}{repo_id}" + (f"@{revision}" if revision else "")
    try:
        folder = snapshot_download(repo_id, revision=revision, cache_dir=cache_dir, local_files_only=offline,
                                   allow_patterns=list(FILES))
    except LocalEntryNotFoundError as err:
        fix = ("unset HF_HUB_OFFLINE to download it, or point cache_dir at a cache that holds it"
               if offline else "check your network connection, or download it elsewhere and use local-dir:")
        raise CheckpointError(source, f"not in the local Hugging Face cache ({cache_dir or 'default cache'}) "
                              f"and cannot be downloaded", fix) from err
    except HfHubHTTPError as err:
        raise CheckpointError(source, f"the Hub refused: {err}", "check the repository id, revision and token") from err
    except (ValueError, OSError) as err:
        raise CheckpointError(source, f"cannot fetch from the Hub ({err})", "check the repository id and revision") from err
    return Path(folder)


def publish(folder, repo_id: str, *, revision: str | None = None, private: bool = False, token: str | None = None,
            commit_message: str | None = None, api=None):
    """Upload a verified checkpoint folder to the Hub repository ``repo_id``; returns the commit info."""
    from huggingface_hub import HfApi

    from affectzoo._checkpoint import load_folder

    folder = Path(folder)
    model = load_folder(folder)  # refuse to publish anything that does not load strictly
    api = api or HfApi(token=token)
    api.create_repo(repo_id, repo_type="model", private=private, exist_ok=True)
    message = commit_message or f"affectzoo {__version__}: {model.pretrained_cfg.name or folder.name}"
    return api.upload_folder(repo_id=repo_id, folder_path=str(folder), revision=revision, commit_message=message,
                             allow_patterns=list(FILES))
