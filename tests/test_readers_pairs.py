"""Music-image pair readers (IMEMNet, EMID, MPD) and the shared scale conversions, on tiny files
written here in each dataset's published format (MPD preferences: the project's documented layout)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch

from affectzoo.affect import from_1_to_7, from_1_to_9, from_unit, quadrant_signs, spread_from_1_to_9
from affectzoo.data.readers import read_emid, read_imemnet_pairs, read_mpd_pairs, read_mpd_preferences
from affectzoo.data.readers.emid import parse_feelings
from affectzoo.errors import InputError

# --- scales --------------------------------------------------------------------------------------


def test_scale_conversions_match_the_design():
    assert from_1_to_7(np.array([1, 4, 7, 5.5])).tolist() == [-1, 0, 1, 0.5]          # OASIS (x - 4) / 3
    assert from_1_to_9(np.array([1, 5, 9, 3])).tolist() == [-1, 0, 1, -0.5]           # DEAM, BASS (x - 5) / 4
    assert from_unit(np.array([0, 0.5, 1, 0.25])).tolist() == [-1, 0, 1, -0.5]        # PMEmo, IMEMNet-C 2x - 1
    assert spread_from_1_to_9(2.0) == 0.5
    assert torch.equal(from_1_to_9(torch.tensor([9.0])), torch.tensor([1.0]))
    assert quadrant_signs("Q2") == (-1, 1) and quadrant_signs("Q4") == (1, -1)


# --- IMEMNet pairs -------------------------------------------------------------------------------

TEST_PAIRS = ("2009-114 frame_fhsdrmuzjxe7ad1o 0.7221149785433636\n"
              "1033-20 COCO_train2014_000000506258 0.09187228427323137\n"
              "1033-20 COCO_train2014_000000506258 0.09187228427323137\n"
              "226-18 6zxv0vtepx32tokns2 0.09239287562161669\n")


def test_imemnet_pairs(tmp_path):
    (tmp_path / "test_matching.txt").write_text(TEST_PAIRS)
    (tmp_path / "val_matching.txt").write_text("44-14 frame_c4u4pdfny5xjkx4o 0.9972094808571335\n")
    frame = read_imemnet_pairs(tmp_path)
    assert list(frame["id"]) == ["test/2009-114|frame_fhsdrmuzjxe7ad1o", "test/1033-20|COCO_train2014_000000506258",
                                 "test/226-18|6zxv0vtepx32tokns2", "val/44-14|frame_c4u4pdfny5xjkx4o"]
    assert list(frame["song_id"]) == [2009, 1033, 226, 44] and list(frame["clip_index"]) == [114, 20, 18, 14]
    assert frame["score"].iloc[0] == pytest.approx(0.7221149785433636)
    assert frame["audio_path"].iloc[0] == os.path.abspath(tmp_path / "clips" / "2009-114.wav")
    assert frame["image_path"].iloc[2] == os.path.abspath(tmp_path / "images" / "6zxv0vtepx32tokns2.jpg")
    one = read_imemnet_pairs(tmp_path / "val_matching.txt", image_dir=tmp_path / "img", audio_dir=tmp_path / "wav")
    assert list(one["split"]) == ["val"]
    assert one["image_path"].iloc[0] == os.path.abspath(tmp_path / "img" / "frame_c4u4pdfny5xjkx4o.jpg")


def test_imemnet_pairs_bad_files(tmp_path):
    path = tmp_path / "test_matching.txt"
    path.write_text(TEST_PAIRS + "1033-20 COCO_train2014_000000506258 0.5\n")
    with pytest.raises(InputError, match="listed twice with different scores"):
        read_imemnet_pairs(path)
    path.write_text("2009_114 frame_a 0.7\n")
    with pytest.raises(InputError, match="'2009_114' at line 1 is not <song id>-<clip index>"):
        read_imemnet_pairs(path)
    path.write_text("2009-114 frame_a 1.7\n")
    with pytest.raises(InputError, match="test_matching.txt: column 'score' has 1.7"):
        read_imemnet_pairs(path)
    path.write_text("2009-114 frame_a\n")
    with pytest.raises(InputError, match="column 'score' is empty"):
        read_imemnet_pairs(path)
    with pytest.raises(InputError, match="file not found"):
        read_imemnet_pairs(tmp_path / "val_matching.txt")


# --- EMID ----------------------------------------------------------------------------------------

EMID_HEADER = ("Audio_Filename,genre,feeling,emotion,Image1_filename,Image1_tag,Image1_text,Image2_filename,"
               "Image2_tag,Image2_text,Image3_filename,Image3_tag,Image3_text,is_original_clip\n")
EMID_ROW = ('106.m4a___172.mp3,K,"33% Sad, depressing, 22% Awe-inspiring, amazing, 4% Indignant, defiant",'
            '"5,5.3,5,6,3.1,6.1,5.1,3.6,6.2,5.9,5.6",excitement_0616.jpg,excitement,'
            "\"['the marching band in the parade']\",amusement_2906.jpg,amusement,"
            "\"['the marching band at disneyland']\","
            "amusement_2226.jpg,amusement,\"['a marching band in a parade with people watching.']\",False\n")


def test_emid_pairs(tmp_path):
    (tmp_path / "EMID_data.csv").write_text(EMID_HEADER + EMID_ROW)
    (tmp_path / "images" / "amusement").mkdir(parents=True)
    (tmp_path / "images" / "amusement" / "amusement_2906.jpg").write_bytes(b"\xff\xd8")
    frame = read_emid(tmp_path)
    assert list(frame["id"]) == ["106.m4a___172.mp3#1", "106.m4a___172.mp3#2", "106.m4a___172.mp3#3"]
    assert set(frame["audio_path"]) == {os.path.abspath(tmp_path / "music" / "106.m4a___172.mp3")}
    assert frame["image_path"].iloc[0] == os.path.abspath(tmp_path / "images" / "excitement_0616.jpg")
    assert frame["image_path"].iloc[1] == os.path.abspath(tmp_path / "images" / "amusement" / "amusement_2906.jpg")
    first = frame.iloc[0]
    assert first["image_tag"] == "excitement" and first["image_text"] == "the marching band in the parade"
    assert first["genre"] == "K" and not first["is_original_clip"] and frame["is_original_clip"].dtype == bool
    assert first["emotion_ratings"] == (5, 5.3, 5, 6, 3.1, 6.1, 5.1, 3.6, 6.2, 5.9, 5.6)
    assert first["feelings"] == {"Sad, depressing": 0.33, "Awe-inspiring, amazing": 0.22, "Indignant, defiant": 0.04}
    assert "valence" not in frame.columns                     # the release does not say which rating is valence


def test_emid_bad_files(tmp_path):
    path = tmp_path / "EMID_data.csv"
    path.write_text(EMID_HEADER + EMID_ROW.replace('"5,5.3,5,', '"5,5.3,'))
    with pytest.raises(InputError, match="emotion at data row 1 should be 11 ratings"):
        read_emid(path)
    path.write_text(EMID_HEADER + EMID_ROW.replace("mp3,K,", "mp3,Z,"))
    with pytest.raises(InputError, match="genre at data row 1 should be a letter A..M"):
        read_emid(path)
    path.write_text(EMID_HEADER + EMID_ROW + EMID_ROW)
    with pytest.raises(InputError, match="'Audio_Filename' repeats the id '106.m4a___172.mp3'"):
        read_emid(path)
    path.write_text(EMID_HEADER.replace(",is_original_clip", "") + EMID_ROW.replace(",False", ""))
    with pytest.raises(InputError, match="'is_original_clip'"):
        read_emid(path)
    with pytest.raises(InputError, match="is not '<n>% <label>"):
        parse_feelings("Sad, depressing")


def test_emid_empty_unknown_fields_read_as_missing(tmp_path):
    # files made by the EMID construction pipeline cannot know genre, feelings or ratings: empty cells
    path = tmp_path / "EMID_data.csv"
    row = EMID_ROW.replace('K,"33% Sad, depressing, 22% Awe-inspiring, amazing, 4% Indignant, defiant",'
                           '"5,5.3,5,6,3.1,6.1,5.1,3.6,6.2,5.9,5.6"', ",,")
    path.write_text(EMID_HEADER + row)
    frame = read_emid(path)
    assert len(frame) == 3 and frame[["genre", "feelings", "emotion_ratings"]].isna().all().all()
    path.write_text(EMID_HEADER + row.replace("mp3,,", "mp3,Z,"))   # a non-empty malformed cell still raises
    with pytest.raises(InputError, match="genre at data row 1"):
        read_emid(path)


# --- MPD -----------------------------------------------------------------------------------------

def test_mpd_pairs_as_the_reference_code_reads_them(tmp_path):
    pairs = [{"image_path": "paintings/a.jpg", "audio_path": "/data/music/017.mp3", "score": 0.83},
             {"image_path": "paintings/b.jpg", "audio_path": "music/003.mp3", "score": 0}]
    path = tmp_path / "mpd.json"
    path.write_text(json.dumps(pairs))
    frame = read_mpd_pairs(path)
    assert list(frame["id"]) == ["0", "1"]
    assert frame["image_path"].iloc[0] == os.path.abspath(tmp_path / "paintings" / "a.jpg")   # relative to the JSON
    assert frame["audio_path"].iloc[0] == "/data/music/017.mp3"                             # absolute kept
    assert frame["score"].tolist() == [0.83, 0.0]


def test_mpd_preferences_layout(tmp_path):
    entries = [{"audio_path": "music/017.mp3", "chosen": "paintings/a.jpg", "rejected": "paintings/b.jpg"},
               {"image_path": "paintings/c.jpg", "chosen": "music/003.mp3", "rejected": "music/009.mp3", "id": "p7"}]
    path = tmp_path / "preferences.json"
    path.write_text(json.dumps(entries))
    frame = read_mpd_preferences(path)
    assert list(frame["id"]) == ["0", "p7"]
    assert list(frame["query_modality"]) == ["audio", "image"]
    assert frame["query_path"].iloc[1] == os.path.abspath(tmp_path / "paintings" / "c.jpg")
    assert frame["chosen_path"].iloc[0] == os.path.abspath(tmp_path / "paintings" / "a.jpg")
    assert frame["rejected_path"].iloc[1] == os.path.abspath(tmp_path / "music" / "009.mp3")


@pytest.mark.parametrize("content, message", [
    ('[{"image_path": "a.jpg", "audio_path": "b.mp3", "score": 1.5}]', "entry 0: score should be a number in"),
    ('[{"image_path": "a.jpg", "audio_path": "b.mp3", "score": true}]', "entry 0: score should be a number in"),
    ("[{\"image_path\": \"a.jpg\", \"score\": 0.5}]", "entry 0 lacks 'audio_path'"),
    ("[{\"image_path\": \"\", \"audio_path\": \"b.mp3\", \"score\": 0.5}]", "image_path should be a non-empty path"),
    ("{\"image_path\": \"a.jpg\"}", "should be a non-empty JSON list"),
    ("[1, 2]", "entry 0 is not a JSON object"),
    ("[{\"image_path\": \"a.jpg\",", "invalid JSON at line 1"),
])
def test_mpd_pairs_bad_files(tmp_path, content, message):
    path = tmp_path / "mpd.json"
    path.write_text(content)
    with pytest.raises(InputError, match=message):
        read_mpd_pairs(path)


def test_mpd_preferences_bad_files(tmp_path):
    path = tmp_path / "preferences.json"
    path.write_text(json.dumps([{"audio_path": "a.mp3", "image_path": "b.jpg", "chosen": "c", "rejected": "d"}]))
    with pytest.raises(InputError, match="needs exactly one of 'audio_path' / 'image_path'"):
        read_mpd_preferences(path)
    path.write_text(json.dumps([{"audio_path": "a.mp3", "chosen": "c.jpg"}]))
    with pytest.raises(InputError, match="entry 0 lacks 'rejected'"):
        read_mpd_preferences(path)
    path.write_text(json.dumps([{"audio_path": "a.mp3", "chosen": "c.jpg", "rejected": "d.jpg", "id": "x"}] * 2))
    with pytest.raises(InputError, match="repeats the id 'x'"):
        read_mpd_preferences(path)
    with pytest.raises(InputError, match="file not found"):
        read_mpd_preferences(tmp_path / "missing.json")
