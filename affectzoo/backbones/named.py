"""Frozen encoders by name, built the same way wherever they are used.

``build_encoder("MSD_musicnn")`` gives the same encoder (weights, preprocessing, feature cache
entries) to a model, a benchmark and a DataModule, so features cached by one are reused by the
others. Names:

* ``MTT_musicnn``, ``MSD_musicnn``: musicnn taggers, per-patch embedding + tags of the first
  ``clip_seconds`` (all 3-s patches, or ``patches`` spread over the clip);
* ``audio-statistics``: loudness and spectral statistics of the first ``clip_seconds``;
* ``MERT-v1-330M``, ``MERT-v1-95M`` (Mozart's paper encoder): layer- and time-averaged states of
  the first ``clip_seconds`` at 24 kHz, where the weights are already in the Hugging Face cache;
* ``tf_efficientnet_lite0/1/2`` (or any timm name): pooled ImageNet features of the picture at the
  model's own resolution (timm's crop_pct), in several ``views`` (centre crop, mirrored, whole
  picture, mirrored);
* ``colour-statistics``: colour statistics of the picture.
"""

from __future__ import annotations

from affectzoo.backbones.frozen import FrozenEncoder

MUSICNN_NAMES = ("MTT_musicnn", "MSD_musicnn")
MERT_NAMES = ("MERT-v1-330M", "MERT-v1-95M")
AUDIO_STATISTICS, COLOUR_STATISTICS = "audio-statistics", "colour-statistics"
ALL_VIEWS = ("center", "flip", "full", "full_flip")


def encoder_modality(name: str) -> str:
    """``"audio"`` or ``"image"``: what the named encoder reads."""
    return "audio" if name in MUSICNN_NAMES or name in MERT_NAMES or name == AUDIO_STATISTICS else "image"


def build_encoder(name: str, clip_seconds: float | None = 30.0, patches: int | None = None,
                  views: tuple[str, ...] = ALL_VIEWS, precision: str = "fp32") -> FrozenEncoder:
    """The frozen encoder ``name`` (see the module docstring for names and options; ``precision``
    is musicnn's compute precision, ``"fp32"`` or ``"bf16"``)."""
    if name in MUSICNN_NAMES:
        from affectzoo.backbones.musicnn import Musicnn

        return Musicnn.from_checkpoint(checkpoint=name, frozen=True, clip_seconds=clip_seconds, patches=patches,
                                       precision=precision)
    if name in MERT_NAMES:
        from affectzoo.backbones.hf_audio import HFAudioEncoder

        return HFAudioEncoder(name, clip_seconds=clip_seconds)
    if name == AUDIO_STATISTICS:
        from affectzoo.backbones.hand_features import AudioStatistics

        return AudioStatistics(clip_seconds=clip_seconds)
    if name == COLOUR_STATISTICS:
        from affectzoo.backbones.hand_features import ColourStatistics

        return ColourStatistics()
    import timm
    from timm.data import resolve_data_config

    from affectzoo.backbones.timm_image import timm_image_encoder

    config = resolve_data_config({}, model=timm.create_model(name, pretrained=False))
    size = config["input_size"][-1]
    return timm_image_encoder(name, pooled=True, frozen=True, image_size=round(size / config["crop_pct"]),
                              crop_pct=1.0, crop=size, views=tuple(views))
