"""Check that decode and from_xml take time linear in their input: seconds per MB at 1, 4 and
16 MB, and the ratio of the 16 MB figure to the 1 MB one (about 1 when linear; 16 when
quadratic).

    python benchmarks/codec_linear.py [--sizes 1,4,16]

Inputs (tests/wbxml/corpus.py makes them; tests/wbxml/test_linear.py uses smaller ones):

- decode: a Sync whose one element holds its value as many small STR_I and ENTITY pieces and
  another whose value is many OPAQUE pieces (WBXML allows a value in any number of pieces; a
  hostile peer can send millions);
- from_xml: pretty-printed XML of a Sync with one element holding many children (one line and
  one whitespace text node each).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from easclient.wbxml import decode, from_xml
from tests.wbxml.corpus import many_children_xml, many_pieces_wbxml


def per_mb(fn, arg, size: int) -> float:
    """Seconds per MB of ``fn(arg)``: the best of 3 runs (load on shared cores only adds)."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        fn(arg)
        best = min(best, time.perf_counter() - start)
    return best / (size / 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,4,16", help="input sizes in MB (default 1,4,16)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'input':8} {'MB':>4} {'bytes':>12} {'s/MB':>8}")
    for name, make, fn in (
        ("decode", many_pieces_wbxml, decode),
        ("from_xml", many_children_xml, from_xml),
    ):
        figures = []
        for mb in sizes:
            data = make(mb * 1_000_000)
            t = per_mb(fn, data, len(data))
            figures.append(t)
            print(f"{name:8} {mb:>4} {len(data):>12,} {t:>8.3f}")
        ratio = figures[-1] / figures[0]
        print(
            f"{name}: s/MB at {sizes[-1]} MB / at {sizes[0]} MB = {ratio:.2f} "
            f"(1 = linear, {sizes[-1] / sizes[0]:.0f} = quadratic)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
