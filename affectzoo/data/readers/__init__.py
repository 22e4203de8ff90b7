"""Readers for the published formats of the affect datasets the zoo trains and evaluates on.

Each reader takes the dataset's own files (a file, or the folder holding it) and returns a pandas
DataFrame with an ``id`` column, absolute media paths (``audio_path`` / ``image_path`` /
``midi_path``; the files need not exist) and, where the dataset has them, ``valence`` and
``arousal`` converted to [-1, 1] with ``affectzoo.affect.scales``. Every reader's docstring says
which columns it took. A missing file, a missing column or an unparsable value raises
``affectzoo.errors.InputError`` naming the file and the problem.
"""

from affectzoo.data.readers.bass import read_bass
from affectzoo.data.readers.deam import agreed_deam, read_1000songs, read_1000songs_curves, read_deam
from affectzoo.data.readers.emid import read_emid
from affectzoo.data.readers.emopia import read_emopia
from affectzoo.data.readers.emotify import gems_va_proxy, read_emotify, read_emotify_listeners
from affectzoo.data.readers.imemnet import read_imemnet_c_images, read_imemnet_pairs
from affectzoo.data.readers.mpd import read_mpd_pairs, read_mpd_preferences
from affectzoo.data.readers.oasis import read_oasis
from affectzoo.data.readers.pmemo import read_pmemo
from affectzoo.data.readers.vgmidi import read_vgmidi_phrases, read_vgmidi_pieces
from affectzoo.data.readers.wikiart import read_nrc_vad, read_wikiart_emotions

__all__ = [
    "gems_va_proxy",
    "read_1000songs",
    "read_1000songs_curves",
    "read_bass",
    "agreed_deam",
    "read_deam",
    "read_emid",
    "read_emopia",
    "read_emotify",
    "read_emotify_listeners",
    "read_imemnet_c_images",
    "read_imemnet_pairs",
    "read_mpd_pairs",
    "read_mpd_preferences",
    "read_nrc_vad",
    "read_oasis",
    "read_pmemo",
    "read_vgmidi_phrases",
    "read_vgmidi_pieces",
    "read_wikiart_emotions",
]
