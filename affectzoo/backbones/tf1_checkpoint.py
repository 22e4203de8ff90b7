"""Read TensorFlow 1 checkpoints (the V2 "tensor bundle" format) without TensorFlow.

A checkpoint saved by ``tf.compat.v1.train.Saver`` under a prefix ``P`` is two files:

- ``P.index``: an SSTable in the LevelDB table format. Its keys are tensor names; its values are
  ``BundleEntryProto`` messages (dtype, shape, shard id, byte offset, byte size, crc32c). The
  entry under the empty key is the ``BundleHeaderProto`` (number of shards, endianness).
- ``P.data-SSSSS-of-NNNNN``: the raw tensor bytes, one file per shard, in C order.

The table layout (LevelDB ``doc/table_format.md``): data blocks, a meta-index block, an index
block and a 48-byte footer (two varint block handles, zero padding, the magic number
``0xdb4775248b80fb57``). Every block is followed by a one-byte compression type and a masked
crc32c of the block plus that byte. Entries inside a block are prefix-compressed
(``shared, non_shared, value_length`` varints, the key suffix, the value) and the block ends in a
restart array that a sequential reader can skip.

What is checked: the magic number, the crc32c of every index block, that blocks are uncompressed
(TensorFlow writes bundles uncompressed), the header's endianness, that every entry's size equals
``prod(shape) * itemsize`` and that its bytes lie inside the data file. What is not: the per-tensor
crc32c of the data bytes (a pure-Python crc32c over a few MB would cost seconds; a corrupted data
file of the right length is therefore not detected). String tensors and partitioned variables
(``slices``) are not supported and raise a :class:`~affectzoo.errors.CheckpointError`.

The protobuf messages are decoded by hand (:func:`_fields`): only varint, 64-bit,
length-delimited and 32-bit wire types occur, and only the fields listed in ``_ENTRY_FIELDS``
are used.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from affectzoo.errors import CheckpointError

_MAGIC = 0xDB4775248B80FB57
_FOOTER_SIZE = 48
_BLOCK_TRAILER = 5  # compression type byte + fixed32 masked crc32c
_NO_COMPRESSION = 0

#: tensorflow/core/framework/types.proto DataType -> numpy dtype (numeric types only).
_DTYPES = {
    1: np.float32,
    2: np.float64,
    3: np.int32,
    4: np.uint8,
    5: np.int16,
    6: np.int8,
    9: np.int64,
    10: np.bool_,
    17: np.uint16,
    19: np.float16,
    22: np.uint32,
    23: np.uint64,
}


@dataclass(frozen=True)
class TensorEntry:
    """Where one tensor lives in a bundle: the decoded ``BundleEntryProto``."""

    name: str
    dtype: np.dtype
    shape: tuple[int, ...]
    shard: int
    offset: int
    size: int


def read_tf1_checkpoint(prefix: str | Path) -> dict[str, np.ndarray]:
    """All tensors of the checkpoint at ``prefix`` (``prefix + ".index"`` must exist), by name.

    Arrays are native-endian copies in the checkpoint's dtype and shape (TensorFlow's layouts:
    conv kernels ``[kh, kw, in, out]``, dense kernels ``[in, out]``).
    """
    prefix = str(prefix)
    entries, num_shards = read_tf1_index(prefix)
    tensors: dict[str, np.ndarray] = {}
    shards: dict[int, bytes] = {}
    for entry in entries.values():
        data_path = f"{prefix}.data-{entry.shard:05d}-of-{num_shards:05d}"
        if entry.shard not in shards:
            try:
                shards[entry.shard] = Path(data_path).read_bytes()
            except OSError as err:
                raise CheckpointError(data_path, f"cannot read the data file ({err.strerror or err})",
                                      "the checkpoint is incomplete; reinstall the package that ships it") from err
        data = shards[entry.shard]
        if entry.offset + entry.size > len(data):
            raise CheckpointError(
                data_path,
                f"truncated: tensor {entry.name!r} needs bytes {entry.offset}..{entry.offset + entry.size} "
                f"but the file has {len(data)}",
                "the checkpoint is incomplete; reinstall the package that ships it",
            )
        raw = data[entry.offset: entry.offset + entry.size]
        tensors[entry.name] = np.frombuffer(raw, dtype=entry.dtype).reshape(entry.shape).astype(
            entry.dtype.newbyteorder("="), copy=True)
    return tensors


def read_tf1_index(prefix: str | Path) -> tuple[dict[str, TensorEntry], int]:
    """The tensor entries of ``prefix + ".index"`` and the number of data shards."""
    path = Path(f"{prefix}.index")
    try:
        table = path.read_bytes()
    except OSError as err:
        raise CheckpointError(path, f"cannot read the checkpoint index ({err.strerror or err})",
                              "pass the checkpoint prefix (the path without '.index')") from err
    records = _read_table(path, table)
    if b"" not in records:
        raise CheckpointError(path, "no bundle header (empty key) in the index: not a TF checkpoint")
    num_shards, big_endian = _decode_header(path, records.pop(b""))
    byte_order = ">" if big_endian else "<"
    entries = {}
    for key, value in records.items():
        name = key.decode("utf-8", errors="replace")
        entries[name] = _decode_entry(path, name, value, byte_order)
        if entries[name].shard >= num_shards:
            raise CheckpointError(path, f"tensor {name!r} is in shard {entries[name].shard} "
                                        f"but the header declares {num_shards} shard(s)")
    return entries, num_shards


# --- LevelDB table ---------------------------------------------------------------------------

def _read_table(path: Path, table: bytes) -> dict[bytes, bytes]:
    """Every (key, value) record of the SSTable ``table`` read from ``path``."""
    if len(table) < _FOOTER_SIZE:
        raise CheckpointError(path, f"too short for a checkpoint index ({len(table)} bytes)")
    footer = table[-_FOOTER_SIZE:]
    (magic,) = struct.unpack("<Q", footer[-8:])
    if magic != _MAGIC:
        raise CheckpointError(path, "bad magic number: not a TF checkpoint index (LevelDB table)")
    pos = 0
    _meta_offset, pos = _varint(path, footer, pos)
    _meta_size, pos = _varint(path, footer, pos)
    index_offset, pos = _varint(path, footer, pos)
    index_size, pos = _varint(path, footer, pos)
    records: dict[bytes, bytes] = {}
    for _last_key, handle in _block_records(path, _block(path, table, index_offset, index_size)):
        offset, at = _varint(path, handle, 0)
        size, _ = _varint(path, handle, at)
        records.update(_block_records(path, _block(path, table, offset, size)))
    return records


def _block(path: Path, table: bytes, offset: int, size: int) -> bytes:
    """The contents of the block at ``offset`` after checking its trailer (type and crc32c)."""
    end = offset + size
    if end + _BLOCK_TRAILER > len(table) - _FOOTER_SIZE:
        raise CheckpointError(path, f"block at byte {offset} (size {size}) runs past the end of the file")
    kind = table[end]
    (stored,) = struct.unpack("<I", table[end + 1: end + 5])
    if _unmask(stored) != _crc32c(table[offset: end + 1]):
        raise CheckpointError(path, f"checksum mismatch in the block at byte {offset}: the index is corrupt")
    if kind != _NO_COMPRESSION:
        raise CheckpointError(path, f"block at byte {offset} uses compression type {kind}; "
                                    "only uncompressed tables (what TensorFlow writes) are supported")
    return table[offset:end]


def _block_records(path: Path, block: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The prefix-compressed (key, value) records of one block, in order."""
    if len(block) < 4:
        raise CheckpointError(path, "block too short for its restart array")
    (num_restarts,) = struct.unpack("<I", block[-4:])
    limit = len(block) - 4 * (num_restarts + 1)
    if limit < 0:
        raise CheckpointError(path, f"block declares {num_restarts} restarts, more than it can hold")
    key = b""
    pos = 0
    while pos < limit:
        shared, pos = _varint(path, block, pos)
        non_shared, pos = _varint(path, block, pos)
        value_length, pos = _varint(path, block, pos)
        if shared > len(key) or pos + non_shared + value_length > limit:
            raise CheckpointError(path, f"malformed record at byte {pos} of a block")
        key = key[:shared] + block[pos: pos + non_shared]
        pos += non_shared
        yield key, block[pos: pos + value_length]
        pos += value_length


# --- protobuf wire format ----------------------------------------------------------------------

def _varint(path: Path, buf: bytes, pos: int) -> tuple[int, int]:
    """The base-128 varint at ``buf[pos]`` and the position after it."""
    result = 0
    shift = 0
    while True:
        if pos >= len(buf) or shift > 63:
            raise CheckpointError(path, "malformed varint (truncated or longer than 10 bytes)")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(path: Path, buf: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) of every field of a serialized protobuf message.

    Varint and fixed-width values come back as ints, length-delimited ones as bytes.
    """
    pos = 0
    while pos < len(buf):
        tag, pos = _varint(path, buf, pos)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, pos = _varint(path, buf, pos)
        elif wire == 1:
            (value,), pos = struct.unpack_from("<Q", buf, pos), pos + 8
        elif wire == 2:
            length, pos = _varint(path, buf, pos)
            value, pos = buf[pos: pos + length], pos + length
        elif wire == 5:
            (value,), pos = struct.unpack_from("<I", buf, pos), pos + 4
        else:
            raise CheckpointError(path, f"unsupported protobuf wire type {wire} (field {number})")
        if pos > len(buf):
            raise CheckpointError(path, f"protobuf field {number} runs past the end of its record")
        yield number, value


def _decode_header(path: Path, value: bytes) -> tuple[int, bool]:
    """(num_shards, big_endian) from a ``BundleHeaderProto``."""
    header = dict(_fields(path, value))
    num_shards = int(header.get(1, 0))
    if num_shards < 1:
        raise CheckpointError(path, f"bundle header declares {num_shards} shards")
    return num_shards, header.get(2, 0) == 1


def _decode_entry(path: Path, name: str, value: bytes, byte_order: str) -> TensorEntry:
    """A :class:`TensorEntry` from a ``BundleEntryProto``.

    Fields: 1 dtype, 2 shape (TensorShapeProto: repeated 2 dim {1 size}), 3 shard_id, 4 offset,
    5 size, 6 crc32c (unused), 7 slices (unsupported).
    """
    dtype_code, shape, shard, offset, size = 0, [], 0, 0, 0
    for number, field in _fields(path, value):
        if number == 1:
            dtype_code = field
        elif number == 2:
            shape = [_dim_size(path, dim) for key, dim in _fields(path, field) if key == 2]
        elif number == 3:
            shard = field
        elif number == 4:
            offset = field
        elif number == 5:
            size = field
        elif number == 7:
            raise CheckpointError(path, f"tensor {name!r} is a partitioned variable (slices); not supported")
    if dtype_code not in _DTYPES:
        raise CheckpointError(path, f"tensor {name!r} has dtype code {dtype_code}, which this reader does "
                                    "not support (numeric tensors only)")
    dtype = np.dtype(_DTYPES[dtype_code]).newbyteorder(byte_order)
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if size != expected:
        raise CheckpointError(path, f"tensor {name!r}: {size} bytes recorded for shape {tuple(shape)} "
                                    f"of {dtype.name} ({expected} expected)")
    return TensorEntry(name, dtype, tuple(shape), shard, offset, size)


def _dim_size(path: Path, dim: bytes) -> int:
    """The ``size`` of a ``TensorShapeProto.Dim`` (int64 varint, two's complement)."""
    size = dict(_fields(path, dim)).get(1, 0)
    if size >= 1 << 63:
        raise CheckpointError(path, "tensor with an unknown (-1) dimension")
    return int(size)


# --- crc32c (Castagnoli), as LevelDB uses it ---------------------------------------------------

def _make_crc_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _make_crc_table()


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _unmask(masked: int) -> int:
    """Undo LevelDB's crc masking: ``masked = rotate_right(crc, 15) + 0xa282ead8``."""
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF
