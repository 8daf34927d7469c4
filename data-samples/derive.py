#!/usr/bin/env python3
"""Derive dpsynth's sample corpora from Debian-packaged public text.

Inputs (installed Debian packages, read-only):
  * fortunes / fortunes-min : /usr/share/games/fortunes/<category>
    (only the top-level, non-offensive files; nothing from an off/ directory)
  * wordnet-base            : /usr/share/wordnet/data.{noun,verb,adj,adv}

Outputs (JSON Lines, UTF-8, one object per line):
  * fortunes-private.jsonl  {"user_id", "text", "label"}  ~88% of users
  * fortunes-heldout.jsonl  {"user_id", "text", "label"}  the other users
  * public-corpus.jsonl     {"text", "source"}            other fortune
                            categories + a sample of WordNet glosses
  * derive-stats.json       counts reported in README.md

Deterministic: inputs are read in sorted order, selection and the user split use
SHA-256 of fixed strings (no random numbers), and output order is fixed.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import re
import sys
import unicodedata

# ---------------------------------------------------------------------------
# Selection (see README.md for the reasoning behind these lists)
# ---------------------------------------------------------------------------

# Fortune categories used as labels of the private-style corpus.
PRIVATE_LABELS = [
    "computers", "education", "food", "law",
    "love", "politics", "science", "sports",
]

# Fortune categories used for the public corpus: disjoint from PRIVATE_LABELS.
PUBLIC_FORTUNE_CATEGORIES = [
    "art", "definitions", "humorists", "literature",
    "miscellaneous", "people", "platitudes", "wisdom",
]

# WordNet data files and the share of synsets kept (by hash, per mille).
WORDNET_POS = ["adj", "adv", "noun", "verb"]
WORDNET_KEEP_PER_MILLE = 45
WORDNET_MIN_GLOSS_CHARS = 20

LIST_MIN_DASH_LINES = 5       # this many '--' lines make a record a list, not attributed
MAX_TEXT_CHARS = 1000          # records longer than this (after cleaning) are dropped
HELDOUT_PERCENT = 12           # users whose hash bucket (0..99) is below this go to heldout
SPLIT_SALT = "dpsynth-data-samples-split-v1"
WORDNET_SALT = "dpsynth-data-samples-wordnet-v1"

# ---------------------------------------------------------------------------
# Fortune parsing and cleaning
# ---------------------------------------------------------------------------

ATTRIBUTION_RE = re.compile(r"^\s*(?:--|\u2014|\u2013)(?!-)\s*(\S.*)$")
NAME_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "esq", "esq.",
                 "ph.d.", "phd", "m.d.", "md"}


def unoverstrike(line: str) -> str:
    """Resolve backspace overstriking (nroff-style underline/bold).

    Simulates a printing terminal: a backspace moves the cursor one column back,
    and a character written over an existing one replaces it, except that an
    underscore never replaces a visible character ('_\\bX' and 'X\\b_' both give
    'X'; 'X\\bX' gives 'X').
    """
    if "\b" not in line:
        return line
    buf: list[str] = []
    pos = 0
    for ch in line:
        if ch == "\b":
            pos = max(0, pos - 1)
            continue
        if pos < len(buf):
            if ch != "_":
                buf[pos] = ch
        else:
            buf.append(ch)
        pos += 1
    return "".join(buf)


def read_fortune_file(path: str) -> list[str]:
    """Split a fortune source file into raw records (separator: a line '%')."""
    with open(path, encoding="utf-8", errors="strict") as fh:
        content = fh.read()
    records: list[list[str]] = [[]]
    for line in content.split("\n"):
        if line.rstrip("\r") == "%":
            records.append([])
        else:
            records[-1].append(line.rstrip("\r"))
    return ["\n".join(r) for r in records]


def split_attribution(raw: str) -> tuple[list[str], str | None]:
    """Return (text lines without the attribution, raw attribution or None).

    The attribution is the LAST line starting with '--' (not '---'), an em dash
    or an en dash, together with the indented non-blank lines directly after it
    (attributions often wrap onto a second, indented line).  Lines after that
    block (rare editorial notes such as '[Ummm ...]') stay in the text.  A record
    with LIST_MIN_DASH_LINES or more such lines is a dashed list, not attributed.
    """
    lines = [unoverstrike(l) for l in raw.split("\n")]
    dash_lines = [i for i, line in enumerate(lines) if ATTRIBUTION_RE.match(line)]
    if not dash_lines or len(dash_lines) >= LIST_MIN_DASH_LINES:
        # no attribution, or a list whose items start with '--' (e.g. the
        # 'excuses' fortunes in love): treated as unattributed, text kept whole
        return lines, None
    idx = dash_lines[-1]
    end = idx + 1
    while end < len(lines) and lines[end].strip() and lines[end][:1] in (" ", "\t"):
        end += 1
    parts = [ATTRIBUTION_RE.match(lines[idx]).group(1)] + [l.strip() for l in lines[idx + 1:end]]
    return lines[:idx] + lines[end:], " ".join(parts)


def clean_text(lines: list[str]) -> str:
    """Join lines with single spaces; drop control characters (e.g. BEL, left
    over from 'beeping' joke fortunes); collapse whitespace runs; NFC-normalise."""
    text = " ".join(l.strip() for l in lines)
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return unicodedata.normalize("NFC", text)


def normalise_name(attribution: str) -> str:
    """Turn a raw attribution into a user id.

    1. NFC-normalise, collapse whitespace, trim.
    2. Keep only what precedes the first comma: in fortune files '-- Name, ...'
       is the citation convention (source title, date, context).  Exception: if
       the part after the comma starts with a name suffix (Jr., Sr., III, ...),
       the suffix is kept ('Roy G. Blount, Jr.').
    3. Strip one trailing parenthetical ('Dennis Ritchie (1941-2011)') and
       trailing all-numeric date tokens ('Bill Joy 6/21/85').
    4. Strip surrounding double quotes and trailing ':' / ';' / ','; strip one
       trailing '.' unless the last word is an abbreviation (contains another
       '.', or is at most 3 characters, e.g. 'T.K.', 'Jr.').
    Returns '' if nothing is left (the record is then treated as unattributed).
    """
    name = unicodedata.normalize("NFC", attribution)
    name = re.sub(r"\s+", " ", name).strip()
    head, sep, tail = name.partition(",")
    if sep:
        tail_words = tail.strip().split(" ")
        first = tail_words[0].rstrip(",").lower() if tail_words and tail_words[0] else ""
        if first in NAME_SUFFIXES:
            head = head + ", " + tail.strip().split(",")[0].strip()
    name = head.strip()
    # a trailing parenthetical (life dates, a role, a pen name), closed or cut off
    # by the comma rule: 'Dennis Ritchie (1941-2011)', 'Ken Olsen (President of ...'
    name = re.sub(r"\s+\([^()]*\)?$", "", name)
    # a trailing numeric date token: 'Bill Joy 6/21/85', 'Susan B. Anthony 1873'
    name = re.sub(r"(?:\s+[0-9][0-9/.\-]*)+$", "", name)
    name = name.strip(" \"'`").rstrip(":;,").strip()
    if name.endswith("."):
        last = name.split(" ")[-1]
        if not ("." in last[:-1] or len(last) <= 3):
            name = name[:-1].rstrip()
    return name


def parse_category(fortune_dir: str, category: str) -> tuple[list[dict], collections.Counter]:
    """Parse one fortune file into cleaned records, with drop counters."""
    drops: collections.Counter = collections.Counter()
    out: list[dict] = []
    for position, raw in enumerate(read_fortune_file(os.path.join(fortune_dir, category))):
        if not raw.strip():
            # only the chunk after a file's final '%' is empty: not a record
            continue
        drops["_source_records"] += 1
        lines, attribution = split_attribution(raw)
        text = clean_text(lines)
        name = normalise_name(attribution) if attribution is not None else ""
        if not text:
            drops["empty_after_cleaning"] += 1
            continue
        if len(text) > MAX_TEXT_CHARS:
            drops["longer_than_%d_chars" % MAX_TEXT_CHARS] += 1
            continue
        out.append({"category": category, "position": position, "text": text, "name": name})
    return out, drops


def bucket(salt: str, key: str, modulus: int) -> int:
    digest = hashlib.sha256((salt + "\x00" + key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % modulus


# ---------------------------------------------------------------------------
# WordNet glosses
# ---------------------------------------------------------------------------

def wordnet_glosses(wordnet_dir: str) -> tuple[list[dict], int, int]:
    """Hash-sampled WordNet synsets as 'lemma: gloss' texts.

    data.<pos> lines: 'offset lex_filenum ss_type w_cnt(hex) word lex_id ... | gloss'.
    License header lines start with two spaces and are skipped.
    """
    out: list[dict] = []
    total = short = 0
    for pos in WORDNET_POS:
        path = os.path.join(wordnet_dir, "data." + pos)
        with open(path, encoding="utf-8", errors="strict") as fh:
            for line in fh:
                if line.startswith("  ") or "|" not in line:
                    continue
                total += 1
                fields, _, gloss = line.partition("|")
                parts = fields.split()
                offset = parts[0]
                if bucket(WORDNET_SALT, pos + ":" + offset, 1000) >= WORDNET_KEEP_PER_MILLE:
                    continue
                lemma = parts[4].replace("_", " ")
                lemma = re.sub(r"\((?:a|p|ip)\)$", "", lemma)  # adjective position markers
                gloss = re.sub(r"\s+", " ", gloss).strip()
                if len(gloss) < WORDNET_MIN_GLOSS_CHARS:
                    short += 1
                    continue
                text = unicodedata.normalize("NFC", "%s: %s" % (lemma, gloss))
                out.append({"text": text, "source": "wordnet-3.0:" + pos})
    return out, total, short


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def write_jsonl(path: str, rows: list[dict], keys: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            obj = {k: row[k] for k in keys}
            for k in keys:
                if not isinstance(obj[k], str) or not obj[k].strip():
                    raise SystemExit("empty field %r in %r" % (k, obj))
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


def main(argv: list[str]) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fortune-dir", default="/usr/share/games/fortunes")
    ap.add_argument("--wordnet-dir", default="/usr/share/wordnet")
    ap.add_argument("--out-dir", default=here)
    args = ap.parse_args(argv)

    for cat in PRIVATE_LABELS + PUBLIC_FORTUNE_CATEGORIES:
        path = os.path.join(args.fortune_dir, cat)
        if not os.path.isfile(path):
            print("missing fortune file %s (install the Debian 'fortunes' package)" % path,
                  file=sys.stderr)
            return 2
    assert not set(PRIVATE_LABELS) & set(PUBLIC_FORTUNE_CATEGORIES)
    os.makedirs(args.out_dir, exist_ok=True)

    stats: dict = {"max_text_chars": MAX_TEXT_CHARS, "heldout_percent": HELDOUT_PERCENT}

    # ---- private-style corpus -------------------------------------------------
    records: list[dict] = []
    drops_by_label: dict[str, dict] = {}
    source_by_label: dict[str, int] = {}
    seen_text: set[str] = set()
    for label in sorted(PRIVATE_LABELS):
        parsed, drops = parse_category(args.fortune_dir, label)
        anon = 0
        for rec in parsed:
            if rec["text"] in seen_text:
                drops["duplicate_text"] += 1
                continue
            seen_text.add(rec["text"])
            if rec["name"]:
                user = rec["name"]
            else:
                anon += 1
                user = "anon-%s-%d" % (label, anon)
            records.append({"user_id": user, "text": rec["text"], "label": label})
        source_by_label[label] = drops.pop("_source_records")
        drops_by_label[label] = dict(sorted(drops.items()))

    private, heldout = [], []
    for rec in records:
        (heldout if bucket(SPLIT_SALT, rec["user_id"], 100) < HELDOUT_PERCENT else private).append(rec)

    def describe(rows: list[dict]) -> dict:
        per_user = collections.Counter(r["user_id"] for r in rows)
        labels_per_user: dict[str, set] = collections.defaultdict(set)
        for r in rows:
            labels_per_user[r["user_id"]].add(r["label"])
        dist = collections.Counter(per_user.values())
        top = sorted(per_user.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        return {
            "records": len(rows),
            "users": len(per_user),
            "anonymous_users": sum(1 for u in per_user if u.startswith("anon-")),
            "max_records_per_user": max(per_user.values()) if per_user else 0,
            "users_with_more_than_1_record": sum(1 for c in per_user.values() if c > 1),
            "users_spanning_more_than_1_label": sum(1 for s in labels_per_user.values() if len(s) > 1),
            "records_per_label": dict(sorted(collections.Counter(r["label"] for r in rows).items())),
            "records_per_user_histogram": {str(k): dist[k] for k in sorted(dist)},
            "top_users": [{"user_id": u, "records": c} for u, c in top],
            "text_chars_mean": round(sum(len(r["text"]) for r in rows) / max(1, len(rows)), 1),
        }

    stats["private_style"] = {
        "labels": sorted(PRIVATE_LABELS),
        "source_records_by_label": source_by_label,
        "dropped_by_label": drops_by_label,
        "all": describe(records),
        "fortunes-private.jsonl": describe(private),
        "fortunes-heldout.jsonl": describe(heldout),
        "users_in_both_files": len({r["user_id"] for r in private} & {r["user_id"] for r in heldout}),
    }
    keys = ["user_id", "text", "label"]
    write_jsonl(os.path.join(args.out_dir, "fortunes-private.jsonl"), private, keys)
    write_jsonl(os.path.join(args.out_dir, "fortunes-heldout.jsonl"), heldout, keys)

    # ---- public corpus --------------------------------------------------------
    public: list[dict] = []
    pub_drops: collections.Counter = collections.Counter()
    pub_source: dict[str, int] = {}
    for cat in sorted(PUBLIC_FORTUNE_CATEGORIES):
        parsed, drops = parse_category(args.fortune_dir, cat)
        pub_source["fortunes:" + cat] = drops.pop("_source_records")
        pub_drops.update(drops)
        for rec in parsed:
            if rec["text"] in seen_text:
                # also present in a private-style category (or earlier public one):
                # keep the public corpus disjoint from the private-style texts
                pub_drops["duplicate_or_in_private_corpus"] += 1
                continue
            seen_text.add(rec["text"])
            public.append({"text": rec["text"], "source": "fortunes:" + cat})
    glosses, wn_total, wn_short = wordnet_glosses(args.wordnet_dir)
    pub_drops["wordnet_gloss_shorter_than_%d_chars" % WORDNET_MIN_GLOSS_CHARS] = wn_short
    for rec in glosses:
        if rec["text"] in seen_text:
            pub_drops["duplicate_or_in_private_corpus"] += 1
            continue
        seen_text.add(rec["text"])
        public.append(rec)
    stats["public"] = {
        "fortune_categories": sorted(PUBLIC_FORTUNE_CATEGORIES),
        "source_records_by_fortune_category": pub_source,
        "wordnet_synsets_total": wn_total,
        "wordnet_keep_per_mille": WORDNET_KEEP_PER_MILLE,
        "records": len(public),
        "records_per_source": dict(sorted(collections.Counter(r["source"] for r in public).items())),
        "dropped": dict(sorted(pub_drops.items())),
        "text_chars_mean": round(sum(len(r["text"]) for r in public) / max(1, len(public)), 1),
    }
    write_jsonl(os.path.join(args.out_dir, "public-corpus.jsonl"), public, ["text", "source"])

    with open(os.path.join(args.out_dir, "derive-stats.json"), "w", encoding="utf-8", newline="\n") as fh:
        json.dump(stats, fh, ensure_ascii=False, indent=2)
        fh.write("\n")

    s = stats["private_style"]
    print("private-style: %d records, %d users (private %d/%d, heldout %d/%d records/users)" % (
        s["all"]["records"], s["all"]["users"],
        s["fortunes-private.jsonl"]["records"], s["fortunes-private.jsonl"]["users"],
        s["fortunes-heldout.jsonl"]["records"], s["fortunes-heldout.jsonl"]["users"]))
    print("public: %d records %s" % (len(public), stats["public"]["records_per_source"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
