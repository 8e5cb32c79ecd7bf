"""Attachment samples the danger and hold tests share: a minimal Windows program and a zip."""

from __future__ import annotations

import io
import struct
import zipfile


def pe_program() -> bytes:
    """The smallest bytes that read as a Windows program (MZ header pointing at "PE")."""
    pe = bytearray(256)
    pe[0:2] = b"MZ"
    pe[0x3C:0x40] = struct.pack("<I", 0x80)
    pe[0x80:0x84] = b"PE\x00\x00"
    return bytes(pe)


def zip_of(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()
