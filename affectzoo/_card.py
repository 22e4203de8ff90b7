"""Model cards: the ``README.md`` written beside every saved checkpoint, generated from its cfg."""

from __future__ import annotations

from affectzoo._pretrained import PretrainedCfg


def _or_unknown(value) -> str:
    return str(value) if value not in (None, "", {}, ()) else "_not recorded_"


SHOWN_ITEMS = 5


def _shown(value):
    """A constructor argument as the card shows it: long lists (id vocabularies) cut to their first items
    and their length; config.json keeps them whole."""
    if isinstance(value, (list, tuple)) and len(value) > 2 * SHOWN_ITEMS:
        return [*value[:SHOWN_ITEMS], f"... ({len(value)} in all)"]
    return value


#: What each task takes, for the card's inputs line.
TASK_INPUTS = {
    "pair-scorer": "paintings (image files, PIL images or tensors) and one music clip (audio file or waveform)",
    "va-predictor": "images and/or music clips (files, PIL images, tensors or waveforms)",
    "recommender": "a query (rated music clips, or an image, per model) and a catalogue built by `index`",
    "palette-generator": "one music clip (audio file or waveform)",
}


def model_card(cfg: PretrainedCfg, class_path: str, init_args: dict) -> str:
    """Markdown model card. Every number in it comes from ``cfg`` (measured, with its command)."""
    lines = [
        "---",
        "library_name: affectzoo",
        f"license: {cfg.license or 'other'}",
        "tags: [affectzoo, music, visual-art, emotion]",
        "---",
        f"# {cfg.name or class_path}",
        "",
        _or_unknown(cfg.description),
        "",
        "```python",
        "import affectzoo",
        f'model = affectzoo.load("{cfg.name or "local-dir:PATH/TO/THIS/FOLDER"}")',
        "```",
        "",
        "## Model",
        f"- architecture: `{_or_unknown(cfg.architecture)}` (`{class_path}`)",
        f"- paper: {_or_unknown(cfg.paper)}",
        f"- tasks: {', '.join(f'`{t}`' for t in cfg.tasks) or '_not recorded_'}",
        *(f"- inputs ({task}): {TASK_INPUTS[task]}" for task in cfg.tasks if task in TASK_INPUTS),
        f"- parameters: {_or_unknown(cfg.num_params)}",
        f"- outputs: {', '.join(cfg.output_names) or '_not recorded_'}"
        + (f" in [{cfg.output_range[0]}, {cfg.output_range[1]}]" if cfg.output_range else "")
        + (" (lower is better)" if cfg.lower_better else ""),
        f"- preprocessing: `{cfg.preprocess}`" if cfg.preprocess else "- preprocessing: _not recorded_",
        f"- constructor arguments: `{ {name: _shown(value) for name, value in init_args.items()} }`",
        "",
        "## Training",
        f"- data and labels: {_or_unknown(cfg.training_data)}",
        f"- held out: {_or_unknown(cfg.held_out)}",
        f"- recipe: {_or_unknown(cfg.recipe)}",
        f"- affectzoo revision: {_or_unknown(cfg.git_revision)}",
        f"- licence of the weights: {_or_unknown(cfg.license)}",
        "",
        "## Evaluation",
    ]
    if cfg.metrics:
        for dataset, values in cfg.metrics.items():
            lines.append(f"### {dataset}")
            lines.append("| metric | value |")
            lines.append("|---|---|")
            lines += [f"| {name} | {value:.4f} |" if isinstance(value, float) else f"| {name} | {value} |"
                      for name, value in values.items()]
            lines.append(f"\nReproduce: `{_or_unknown(cfg.metric_commands.get(dataset))}`\n")
    else:
        lines.append("_No evaluation recorded for these weights._")
    lines += ["", "## Limitations", _or_unknown(cfg.limitations)]
    lines += ["", "## Files", f"- `model.safetensors` sha256 `{_or_unknown(cfg.sha256)}`, "
              f"{_or_unknown(cfg.file_size)} bytes", "- `config.json`: architecture, arguments, PretrainedCfg", ""]
    return "\n".join(lines)
