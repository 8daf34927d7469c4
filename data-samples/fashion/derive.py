#!/usr/bin/env python3
"""Derive a small Fashion-MNIST sample for dpsynth's image PE (standard library only, deterministic).

Reads the IDX files of Debian's dataset-fashion-mnist package and writes three disjoint splits as
JSON Lines, one image per line: {"user_id", "label", "image"} where image is a 28x28 8-bit
grayscale PNG, base64-encoded (PNGs are written by this script with zlib at level 9, so the bytes
are reproducible).

  fashion-private.jsonl  PRIVATE_N images from the training file, grouped into synthetic users
  fashion-heldout.jsonl  HELDOUT_N images from the test file (held-out real images, own users)
  fashion-public.jsonl   PUBLIC_N images from the training file, disjoint from the private ones
                         (no user_id: public prior of the embedded image generator/embedder)
  fashion-catalogue.jsonl  a subset of the public split with a DIFFERENT class mix (the public
                         prior of conf/pe-fashion.yaml): every public image of upstream classes
                         0-4 (tshirt trouser pullover dress coat) and every 8th, in public order,
                         of classes 5-9 (sandal shirt sneaker bag boot). The rule was fixed before
                         any run used it; `--catalogue-only` rebuilds it from fashion-public.jsonl.

Selection: images are ranked by SHA-256 of a salted index, which gives a fixed pseudo-random
order without random numbers. Users: the ranked private images are cut into consecutive users
whose sizes cycle through 1..8 (1, 2, ..., 8, 1, 2, ...), so a user holds 1-8 images of mixed
labels; held-out users the same way with their own ids.
"""
import argparse
import base64
import gzip
import hashlib
import json
import os
import struct
import zlib

LABELS = ["tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"]
PRIVATE_N = 3000
HELDOUT_N = 600
PUBLIC_N = 2000
CATALOGUE_FULL_CLASSES = 5   # upstream classes 0..4 are kept whole
CATALOGUE_OTHER_EVERY = 8    # classes 5..9: keep the 1st, 9th, 17th, ... of each, in public order


def read_idx_images(path):
    with gzip.open(path, "rb") as f:
        magic, n, rows, cols = struct.unpack(">IIII", f.read(16))
        assert magic == 2051, path
        data = f.read(n * rows * cols)
    return [data[i * rows * cols:(i + 1) * rows * cols] for i in range(n)], rows, cols


def read_idx_labels(path):
    with gzip.open(path, "rb") as f:
        magic, n = struct.unpack(">II", f.read(8))
        assert magic == 2049, path
        return list(f.read(n))


def png(pixels, w, h):
    def chunk(kind, body):
        c = struct.pack(">I", len(body)) + kind + body
        return c + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + pixels[y * w:(y + 1) * w] for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def ranked(n, salt):
    return sorted(range(n), key=lambda i: hashlib.sha256(f"{salt}:{i}".encode()).hexdigest())


def users(count, prefix):
    out, u, size = [], 0, 1
    while len(out) < count:
        out.extend([f"{prefix}{u:04d}"] * size)
        u, size = u + 1, size % 8 + 1
    return out[:count]


def write(path, rows):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


def catalogue(public_rows):
    """The class-shifted public catalogue: a pure function of the public rows and their order."""
    seen = {l: 0 for l in LABELS}
    out = []
    for r in public_rows:
        k = LABELS.index(r["label"])
        if k < CATALOGUE_FULL_CLASSES or seen[r["label"]] % CATALOGUE_OTHER_EVERY == 0:
            out.append(r)
        seen[r["label"]] += 1
    return out


def write_catalogue(out_dir, public_rows):
    rows = catalogue(public_rows)
    write(os.path.join(out_dir, "fashion-catalogue.jsonl"), rows)
    c = {l: 0 for l in LABELS}
    for r in rows:
        c[r["label"]] += 1
    return {"images": len(rows), "per_label": c}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--catalogue-only", action="store_true",
                    help="only rebuild fashion-catalogue.jsonl (and its stats) from fashion-public.jsonl")
    a = ap.parse_args()
    if a.catalogue_only:
        with open(os.path.join(a.out_dir, "fashion-public.jsonl"), encoding="utf-8") as f:
            public_rows = [json.loads(line) for line in f]
        stats_path = os.path.join(a.out_dir, "fashion-stats.json")
        with open(stats_path, encoding="utf-8") as f:
            stats = json.load(f)
        stats["catalogue"] = write_catalogue(a.out_dir, public_rows)
        with open(stats_path, "w", encoding="utf-8") as f:
            json.dump(stats, f, indent=1, sort_keys=True)
            f.write("\n")
        return
    train, h, w = read_idx_images(os.path.join(a.src, "train-images-idx3-ubyte.gz"))
    train_labels = read_idx_labels(os.path.join(a.src, "train-labels-idx1-ubyte.gz"))
    test, _, _ = read_idx_images(os.path.join(a.src, "t10k-images-idx3-ubyte.gz"))
    test_labels = read_idx_labels(os.path.join(a.src, "t10k-labels-idx1-ubyte.gz"))

    order = ranked(len(train), "dpsynth-fashion-train")
    private_idx, public_idx = order[:PRIVATE_N], order[PRIVATE_N:PRIVATE_N + PUBLIC_N]
    heldout_idx = ranked(len(test), "dpsynth-fashion-test")[:HELDOUT_N]

    def enc(pixels):
        return base64.b64encode(png(pixels, w, h)).decode("ascii")

    pu = users(PRIVATE_N, "u")
    hu = users(HELDOUT_N, "h")
    write(os.path.join(a.out_dir, "fashion-private.jsonl"),
          [{"user_id": pu[j], "label": LABELS[train_labels[i]], "image": enc(train[i])} for j, i in enumerate(private_idx)])
    write(os.path.join(a.out_dir, "fashion-heldout.jsonl"),
          [{"user_id": hu[j], "label": LABELS[test_labels[i]], "image": enc(test[i])} for j, i in enumerate(heldout_idx)])
    public_rows = [{"label": LABELS[train_labels[i]], "image": enc(train[i])} for i in public_idx]
    write(os.path.join(a.out_dir, "fashion-public.jsonl"), public_rows)

    def per_label(idx, labels):
        c = {l: 0 for l in LABELS}
        for i in idx:
            c[LABELS[labels[i]]] += 1
        return c
    stats = {
        "private": {"images": PRIVATE_N, "users": len(set(pu)), "per_label": per_label(private_idx, train_labels)},
        "heldout": {"images": HELDOUT_N, "users": len(set(hu)), "per_label": per_label(heldout_idx, test_labels)},
        "public": {"images": PUBLIC_N, "per_label": per_label(public_idx, train_labels)},
        "catalogue": write_catalogue(a.out_dir, public_rows),
        "image": {"width": w, "height": h, "mode": "8-bit grayscale PNG"},
    }
    with open(os.path.join(a.out_dir, "fashion-stats.json"), "w", encoding="utf-8") as f:
        json.dump(stats, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
