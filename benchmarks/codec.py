"""Benchmark the WBXML codec against Debian's libwbxml, measured in the same run.

    python benchmarks/codec.py [--quick]

Documents: Sync responses made by ``tests/wbxml/corpus.py`` (faker, fixed seeds) -- small (one
email, ~1 KB), medium (50 emails, ~60 KB) and large (500 emails with MIME bodies, ~800 KB).

For each: our ``decode`` (WBXML -> element tree) and ``encode`` (tree -> WBXML) in MB/s of WBXML,
and the ratio of our time to libwbxml's in-process conversions through ctypes on
``libwbxml2.so.1`` (``wbxml_conv_wbxml2xml_withlen``: WBXML -> XML text, and
``wbxml_conv_xml2wbxml_withlen``: XML text -> WBXML; language 2402 = WBXML_LANG_ACTIVESYNC).
A ratio below 1 means we are faster. Also: peak memory growth of decoding the large document
(tracemalloc; the resulting tree included).

Targets on the large document: decode <= 1.5x libwbxml (stretch 1.0x), encode <= 0.6x, decode
peak growth <= 8 MiB.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from easclient.wbxml import decode, encode, to_xml
from tests.wbxml import corpus
from tests.wbxml.libwbxml import load


def timed(fn, arg, budget: float) -> float:
    """Seconds per call: the median of 7 rounds, each long enough to be timed (~budget/7 s)."""
    fn(arg)
    start = time.perf_counter()
    fn(arg)
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(budget / 7 / once))
    rounds = []
    for _ in range(7):
        start = time.perf_counter()
        for _ in range(number):
            fn(arg)
        rounds.append((time.perf_counter() - start) / number)
    return statistics.median(rounds)


def peak_growth(fn, arg) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = fn(arg)
        peak = tracemalloc.get_traced_memory()[1]
        del result
    finally:
        tracemalloc.stop()
    return peak - base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter timing budget")
    args = parser.parse_args()
    budget = 0.7 if args.quick else 2.5
    lib = load()
    if lib is None:
        print("libwbxml2.so.1 not found: ratios are left out (apt-get install libwbxml2-1)")
    docs = {
        "small": corpus.sync_response(1, seed=1),
        "medium": corpus.sync_response(50, seed=2),
        "large": corpus.sync_response(500, mime=True, seed=3),
    }
    head = ("doc", "WBXML", "decode MB/s", "x lib", "encode MB/s", "x lib")
    print("{:7} {:>9} {:>12} {:>7} {:>12} {:>7}".format(*head))
    results = {}
    for name, tree in docs.items():
        wbxml = encode(tree)
        assert decode(wbxml) == tree
        mb = len(wbxml) / 1e6
        t_dec = timed(decode, wbxml, budget)
        t_enc = timed(encode, tree, budget)
        row = f"{name:7} {len(wbxml):>9,} {mb / t_dec:>12.1f} "
        if lib is not None:
            xml = to_xml(tree, pretty=False).encode()
            assert lib.xml_to_wbxml(xml) == wbxml, "libwbxml encodes this document differently"
            t_lib_dec = timed(lib.wbxml_to_xml, wbxml, budget)
            t_lib_enc = timed(lib.xml_to_wbxml, xml, budget)
            results[name] = (t_dec / t_lib_dec, t_enc / t_lib_enc)
            row += f"{t_dec / t_lib_dec:>7.2f} {mb / t_enc:>12.1f} {t_enc / t_lib_enc:>7.2f}"
            row += f"   (libwbxml: {mb / t_lib_dec:.1f} / {mb / t_lib_enc:.1f} MB/s)"
        else:
            row += f"{'-':>7} {mb / t_enc:>12.1f} {'-':>7}"
        print(row)
    large = encode(docs["large"])
    growth = peak_growth(decode, large)
    print(f"decode peak memory growth, large: {growth / 2**20:.2f} MiB (target <= 8 MiB)")
    if "large" in results:
        dec, enc = results["large"]
        print(
            f"large: decode {dec:.2f}x libwbxml (target <= 1.5, stretch 1.0), "
            f"encode {enc:.2f}x (target <= 0.6)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
