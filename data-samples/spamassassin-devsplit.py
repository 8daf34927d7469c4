#!/usr/bin/env python3
"""Development split of the e-mail sample's PRIVATE file, for design decisions.

Splits data-samples/spamassassin-private.jsonl by sender (a fixed salted hash, so it is the same
on every machine) into dev-private.jsonl (3/4 of the senders) and dev-test.jsonl (1/4), so that
choices such as the number of iterations or the label release's budget share can be measured
without touching spamassassin-test.jsonl, which is kept for the final runs (docs/utility.md).
The files are written to the given directory (not shipped). Python 3 standard library only.

    python3 data-samples/spamassassin-devsplit.py runs/devsplit
"""
import hashlib
import json
import os
import sys

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spamassassin-private.jsonl")


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    counts = {"dev-private": [0, set()], "dev-test": [0, set()]}
    with open(SRC, encoding="utf-8") as src, \
            open(os.path.join(out_dir, "dev-private.jsonl"), "w", encoding="utf-8") as train, \
            open(os.path.join(out_dir, "dev-test.jsonl"), "w", encoding="utf-8") as test:
        for line in src:
            user = json.loads(line)["user_id"]
            fold = int(hashlib.sha256(("devsplit-2026|" + user).encode()).hexdigest(), 16) % 4
            name = "dev-test" if fold == 3 else "dev-private"
            (test if fold == 3 else train).write(line)
            counts[name][0] += 1
            counts[name][1].add(user)
    for name, (records, users) in counts.items():
        print(f"{name}: {records} records, {len(users)} senders")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
