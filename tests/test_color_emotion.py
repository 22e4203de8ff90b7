"""Palette / colour-emotion readers and the colour-emotion model, on tiny tables written by the tests."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from affectzoo.affect.color import hex_to_lab, srgb_to_lab
from affectzoo.affect.color_emotion import DEFAULT_BANDWIDTHS, ColorEmotionModel
from affectzoo.affect.russell import CATEGORIES, top_category
from affectzoo.data.readers_palettes import read_bcp37, read_bottini_experiment4, read_nice_palettes
from affectzoo.errors import InputError

# one clearly separated sRGB colour per category for the synthetic participants
CENTRES = {
    "angry": (220, 20, 20), "sad": (30, 60, 200), "happy": (250, 230, 40), "calm": (180, 230, 240),
    "excited": (255, 140, 0), "satisfied": (60, 180, 75), "depressed": (50, 50, 55), "afraid": (90, 20, 120),
}
BCP_HEADER = ["ColorName", "ColorNumber", "Happy", "Sad", "Angry", "CIE_x", "CIE_y", "CIE_Y", "L", "a", "b", "C"]


def write_bottini(path: Path, subjects: int = 6, extra_word: bool = True) -> Path:
    """A Bottini experiment-4 CSV: each subject picks a jittered centre colour per word."""
    generator = torch.Generator().manual_seed(0)
    rows = []
    for subject in range(subjects):
        for word, centre in CENTRES.items():
            jitter = torch.randint(-12, 13, (3,), generator=generator).tolist()
            r, g, b = (min(255, max(0, c + j)) for c, j in zip(centre, jitter))
            rows.append([f"{4549000 + subject}.0", word.upper(), f"['rgb({r}, {g}, {b})']"])
        if extra_word:
            rows.append([f"{4549000 + subject}.0", "CURIOUS", "['rgb(0, 128, 128)']"])
    rows[1][2] = "['A loading delay of more than 10s was detected.' " + rows[1][2][1:]  # a platform note
    path.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows, columns=["Subject ID", "Emotion", "Color"]).to_csv(path, index=False)
    return path


def write_bcp(path: Path, colours: dict[str, tuple[tuple[int, int, int], float, float, float]]) -> Path:
    """A T_BCP.csv-format file: name -> (sRGB, happy, sad, angry); Lab from the sRGB."""
    rows = []
    for number, (name, (rgb, happy, sad, angry)) in enumerate(colours.items(), start=1):
        lightness, a, b = srgb_to_lab(torch.tensor(rgb, dtype=torch.float64) / 255).tolist()
        rows.append([name, number, happy, sad, angry, 0.31, 0.32, 20.0, lightness, a, b, (a * a + b * b) ** 0.5])
    pd.DataFrame(rows, columns=BCP_HEADER).to_csv(path, index=False)
    return path


BCP_COLOURS = {
    "SR": ((220, 20, 20), -10.0, -40.0, 50.0), "SB": ((30, 60, 200), -30.0, 40.0, -20.0),
    "SY": ((250, 230, 40), 70.0, -60.0, -30.0), "TE": ((0, 128, 128), 90.0, -70.0, -40.0),
    "BK": ((0, 0, 0), -60.0, 30.0, 20.0), "WH": ((255, 255, 255), 40.0, -50.0, -50.0),
}


@pytest.fixture
def tables(tmp_path):
    bottini = read_bottini_experiment4(write_bottini(tmp_path / "rawdata" / "4" / "emotion_color_association.csv"))
    bcp = read_bcp37(write_bcp(tmp_path / "T_BCP.csv", BCP_COLOURS))
    return bcp, bottini


# --- readers ---------------------------------------------------------------------------------

def test_nice_palettes_reader(tmp_path):
    path = tmp_path / "1000.json"
    path.write_text(json.dumps([["#69D2E7", "#a7dbd8", "#e0e4cc", "#f38630", "#fa6900"],
                                ["#fe4365", "#fc9d9a", "#f9cdad", "#c8c8a9", "#83af9b"]]))
    frame = read_nice_palettes(path)
    assert list(frame.columns) == ["palette_id", "hex_0", "hex_1", "hex_2", "hex_3", "hex_4"]
    assert frame.shape == (2, 6) and frame.loc[0, "hex_0"] == "#69d2e7" and frame.loc[1, "hex_4"] == "#83af9b"

    cases = {
        "broken.json": ("[[\"#000000\",", "not valid JSON"),
        "object.json": ('{"a": 1}', "non-empty JSON list"),
        "short.json": (json.dumps([["#000000"] * 5, ["#000000"] * 4]), "palette 1 is not a list of 5"),
        "badhex.json": (json.dumps([["#000000", "#00000", "#000000", "red", "#000000"]]), "not '#rrggbb'"),
    }
    for name, (text, problem) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(InputError, match=problem) as caught:
            read_nice_palettes(tmp_path / name)
        assert name in str(caught.value)
    with pytest.raises(InputError, match="file not found"):
        read_nice_palettes(tmp_path / "missing.json")


def test_bcp37_reader(tmp_path):
    frame = read_bcp37(write_bcp(tmp_path / "T_BCP.csv", BCP_COLOURS))
    assert list(frame.columns) == ["name", "number", "happy", "sad", "angry", "x", "y", "Y", "L", "a", "b", "C"]
    assert frame.shape == (6, 12) and frame.loc[3, "name"] == "TE" and frame.loc[3, "happy"] == 90.0
    assert frame.loc[5, "L"] == pytest.approx(100.0)

    table = pd.read_csv(tmp_path / "T_BCP.csv")
    table.drop(columns=["Angry"]).to_csv(tmp_path / "no_angry.csv", index=False)
    with pytest.raises(InputError, match=r"no_angry\.csv: missing column\(s\) \['Angry'\]"):
        read_bcp37(tmp_path / "no_angry.csv")
    table.astype({"Sad": object}).assign(Sad=lambda t: t["Sad"].where(t.index != 1, "n/a")).to_csv(
        tmp_path / "text.csv", index=False)
    with pytest.raises(InputError, match=r"text\.csv: line 3: column 'sad' is not a number"):
        read_bcp37(tmp_path / "text.csv")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(InputError, match="empty.csv"):
        read_bcp37(tmp_path / "empty.csv")


def test_bottini_reader(tmp_path):
    csv = write_bottini(tmp_path / "data" / "rawdata" / "4" / "emotion_color_association.csv", subjects=2)
    frame = read_bottini_experiment4(tmp_path / "data")  # the dataset folder resolves to experiment 4
    assert list(frame.columns) == ["subject", "emotion", "r", "g", "b", "hex"]
    assert len(frame) == 18 and frame["subject"].tolist()[:2] == [4549000, 4549000]
    assert frame.loc[0, "emotion"] == "angry"
    assert frame.loc[1, "emotion"] == "sad" and frame.loc[1, "b"] > 150  # the pick beside the platform note
    assert frame.loc[0, "hex"] == "#{:02x}{:02x}{:02x}".format(*frame.loc[0, ["r", "g", "b"]])

    table = pd.read_csv(csv)
    table.loc[4, "Color"] = "[]"
    table.to_csv(tmp_path / "nopick.csv", index=False)
    with pytest.raises(InputError, match=r"nopick\.csv: line 6: 'Color' must hold exactly one rgb"):
        read_bottini_experiment4(tmp_path / "nopick.csv")
    table.drop(columns=["Emotion"]).to_csv(tmp_path / "noemotion.csv", index=False)
    with pytest.raises(InputError, match=r"noemotion\.csv: missing column"):
        read_bottini_experiment4(tmp_path / "noemotion.csv")
    with pytest.raises(InputError, match="file not found"):
        read_bottini_experiment4(tmp_path / "nowhere")


# --- model -----------------------------------------------------------------------------------

def test_fit_predicts_the_category_of_each_synthetic_colour(tables):
    model = ColorEmotionModel.fit(*tables)
    names = {"satisfied": "content"}
    lab = srgb_to_lab(torch.tensor(list(CENTRES.values()), dtype=torch.float64) / 255)
    probs = model.predict_colors(lab)
    assert probs.shape == (8, 8) and torch.allclose(probs.sum(-1), torch.ones(8, dtype=torch.float64))
    assert top_category(probs) == [names.get(word, word) for word in CENTRES]
    assert top_category(model.predict_colors(hex_to_lab("#dc1414"))) == "angry"

    assert model.bandwidth in DEFAULT_BANDWIDTHS
    stats = model.fit_stats
    assert stats["held_out_accuracy"] > 0.9 and stats["held_out_cross_entropy"] < stats["chance_cross_entropy"]
    assert stats["n_picks"] == {name: 6 for name in CATEGORIES} and stats["n_subjects"] == 6


def test_palette_emotion_from_hex_and_lab(tables):
    model = ColorEmotionModel.fit(*tables)
    reds = ["#dc1414", "#d01818", "#e01010", "#c81e1e", "#ff0000"]
    emotion = model.palette_emotion(reds)
    assert emotion.shape == (8,) and top_category(emotion) == "angry"
    assert emotion.sum().item() == pytest.approx(1.0)
    mixed = model.palette_emotion(["#dc1414", "#dc1414", "#1e3cc8", "#1e3cc8", "#1e3cc8"])
    assert top_category(mixed) == "sad" and mixed[CATEGORIES.index("angry")] > 0.3
    batch = torch.stack([hex_to_lab(reds), hex_to_lab(reds[::-1])]).float()
    batched = model.palette_emotion(batch)
    assert batched.shape == (2, 8) and batched.dtype == torch.float32
    assert torch.allclose(batched[0], batched[1], atol=1e-6)
    with pytest.raises(InputError, match="hex colour"):
        model.palette_emotion(["#dc1414", "crimson"])


def test_predictions_are_differentiable_in_lab(tables):
    model = ColorEmotionModel.fit(*tables)
    lab = torch.tensor([[[50.0, 0.0, 0.0], [60.0, 40.0, 30.0], [50.0, 0.0, 0.0]]], dtype=torch.float64,
                       requires_grad=True)
    model.palette_emotion(lab)[0, CATEGORIES.index("angry")].backward()
    assert torch.isfinite(lab.grad).all() and lab.grad.abs().sum() > 0


def test_bcp_ratings_move_the_happy_probability(tables):
    bcp, bottini = tables
    teal = hex_to_lab("#008080")  # rated the happiest BCP colour, but no participant picked it
    with_bcp = ColorEmotionModel.fit(bcp, bottini).predict_colors(teal)
    without = ColorEmotionModel.fit(bcp, bottini, bcp_weight=0.0).predict_colors(teal)
    happy = CATEGORIES.index("happy")
    assert with_bcp[happy] > without[happy] + 0.2
    assert top_category(with_bcp) == "happy"


def test_json_round_trip_is_exact(tables):
    model = ColorEmotionModel.fit(*tables)
    restored = ColorEmotionModel.from_dict(json.loads(json.dumps(model.to_dict())))
    lab = torch.tensor([[30.0, 10.0, -40.0], [70.0, -20.0, 50.0], [95.0, 0.0, 0.0]], dtype=torch.float64)
    assert torch.equal(restored.predict_colors(lab), model.predict_colors(lab))
    assert restored.fit_stats == model.fit_stats and restored.word_map == model.word_map
    broken = model.to_dict() | {"format_version": 99}
    with pytest.raises(InputError, match="unsupported format"):
        ColorEmotionModel.from_dict(broken)
    missing = {key: value for key, value in model.to_dict().items() if key != "bcp_lab"}
    with pytest.raises(InputError, match="missing field 'bcp_lab'"):
        ColorEmotionModel.from_dict(missing)


def test_fit_rejects_unusable_tables(tables):
    bcp, bottini = tables
    with pytest.raises(InputError, match="'afraid' needs picks from at least 2 subjects"):
        ColorEmotionModel.fit(bcp, bottini[bottini["emotion"] != "afraid"])
    with pytest.raises(InputError, match="unknown categories"):
        ColorEmotionModel.fit(bcp, bottini, word_map={"angry": "furious"})
    with pytest.raises(InputError, match=r"bcp37_df: missing column\(s\) \['sad'\]"):
        ColorEmotionModel.fit(bcp.drop(columns=["sad"]), bottini)
    with pytest.raises(InputError, match="constant"):
        ColorEmotionModel.fit(bcp.assign(angry=1.0), bottini)
