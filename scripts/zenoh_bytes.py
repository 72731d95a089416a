"""Zenoh's variable-length integers (zint: 7 bits a byte, low bits first, high
bit set while more bytes follow), shared by the scripted peers."""


def zint(v):
    out = bytearray()
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def unzint(b):
    v, shift = 0, 0
    for byte in b:
        v |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return v
