"""HPACK interop peer for test/hpack/interop.test.ts, driven over stdin/stdout with JSON.

Input:  {"mode": "decode", "stories": [["<hex wire>", ...], ...]}
        {"mode": "encode", "stories": [[[[name, value], ...], ...], ...]}
Output: decode -> {"stories": [[[[name, value, sensitive], ...], ...], ...]}
        encode -> {"stories": [["<hex wire>", ...], ...]}
One hpack.Encoder/Decoder per story, blocks in order (they share the dynamic table).
Errors are reported as {"error": "<story>/<case>: <message>"}.
"""
import json
import sys

import hpack


def decode(stories):
    out = []
    for s, wires in enumerate(stories):
        decoder = hpack.Decoder()
        blocks = []
        for c, wire in enumerate(wires):
            try:
                fields = decoder.decode(bytes.fromhex(wire), raw=True)
            except Exception as err:  # noqa: BLE001 - reported to the test as data
                return {"error": "%d/%d: %r" % (s, c, err)}
            blocks.append([
                [name.decode("latin-1"), value.decode("latin-1"),
                 isinstance(f, hpack.NeverIndexedHeaderTuple)]
                for f in fields for (name, value) in [f]
            ])
        out.append(blocks)
    return {"stories": out}


def encode(stories):
    out = []
    for story in stories:
        encoder = hpack.Encoder()
        out.append([
            encoder.encode([(n.encode("latin-1"), v.encode("latin-1")) for n, v in fields]).hex()
            for fields in story
        ])
    return {"stories": out}


def main():
    request = json.load(sys.stdin)
    result = decode(request["stories"]) if request["mode"] == "decode" else encode(request["stories"])
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
