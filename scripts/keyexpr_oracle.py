#!/usr/bin/env python3
"""Answers key expression questions with the real Zenoh (eclipse-zenoh), for
Petrel's differential tests (Tests/PetrelKeyExprTests).

Usage: keyexpr_oracle.py CASES ANSWERS

CASES has one pair per line: `HEX_A HEX_B`, each the UTF-8 bytes of a string in
hex (`-` for the empty string). ANSWERS gets one line per case:

    validA validB canonA canonB intersects includesAB includesBA joinAB

- validX: 1 if zenoh.KeyExpr(X) accepts X as is, else 0
- canonX: hex of zenoh.KeyExpr.autocanonize(X), or `!` if it raises
- intersects, includesAB (A includes B), includesBA: 1/0 between the two
  autocanonized key expressions, `-` when either could not be canonized
- joinAB: hex of autocanonize(A).join(B), `!` if it raises, `-` if A could
  not be canonized

Zenoh reports some inputs by panicking (a pyo3 PanicException, which is not an
Exception subclass), so every call catches BaseException.
"""
import sys

import zenoh

KeyExpr = zenoh.KeyExpr


def decode(token):
    return "" if token == "-" else bytes.fromhex(token).decode("utf-8")


def encode(text):
    return text.encode("utf-8").hex() or "-"


def main():
    cases_path, answers_path = sys.argv[1], sys.argv[2]
    valid = {}
    canon = {}

    def check(s):
        if s not in valid:
            try:
                KeyExpr(s)
                valid[s] = "1"
            except BaseException:
                valid[s] = "0"
            try:
                k = KeyExpr.autocanonize(s)
                canon[s] = (k, encode(str(k)))
            except BaseException:
                canon[s] = (None, "!")
        return valid[s], canon[s]

    def flag(b):
        return "1" if b else "0"

    out = []
    with open(cases_path, encoding="ascii") as f:
        for line in f:
            ha, hb = line.split()
            a, b = decode(ha), decode(hb)
            va, (ka, ca) = check(a)
            vb, (kb, cb) = check(b)
            if ka is not None and kb is not None:
                rel = flag(ka.intersects(kb)) + " " + flag(ka.includes(kb)) + " " + flag(kb.includes(ka))
            else:
                rel = "- - -"
            if ka is None:
                joined = "-"
            else:
                try:
                    joined = encode(str(ka.join(b)))
                except BaseException:
                    joined = "!"
            out.append(f"{va} {vb} {ca} {cb} {rel} {joined}\n")
    with open(answers_path, "w", encoding="ascii") as f:
        f.writelines(out)


if __name__ == "__main__":
    main()
