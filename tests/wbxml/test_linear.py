"""Decoding and from_xml take time linear in their input, also for inputs shaped to make a
naive implementation quadratic (values in many pieces, elements with many children).

Timing is compared within the test: the time at 4N against the time at N, best of 3 each, run
interleaved so load on the shared cores hits both. Linear gives a ratio near 4, quadratic near
16; the bound 8 leaves room for load and allocator effects and still fails a quadratic codec.
(The quadratic versions took over 10 s at these sizes.) ``benchmarks/codec_linear.py`` prints
the same figures at 1, 4 and 16 MB.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from easclient.wbxml import decode, from_xml

from .corpus import many_children_xml, many_pieces_wbxml


def _ratio(fn: Callable[[object], object], small: object, large: object) -> float:
    best = {id(small): float("inf"), id(large): float("inf")}
    for _ in range(3):
        for arg in (small, large):
            # The cyclic GC off while timing: its full collections cost time in proportion to
            # everything alive in the test process (other tests' objects too), which is noise
            # here, not the codec's work.
            gc.collect()
            gc.disable()
            try:
                start = time.perf_counter()
                fn(arg)
                best[id(arg)] = min(best[id(arg)], time.perf_counter() - start)
            finally:
                gc.enable()
    return best[id(large)] / best[id(small)]


def test_a_value_in_many_pieces_decodes_in_linear_time():
    small, large = many_pieces_wbxml(1_000_000), many_pieces_wbxml(4_000_000)
    tree = decode(large)
    n = 4_000_000 // 2 // 17  # pieces per element, as many_pieces_wbxml makes them
    assert tree.findtext("SyncKey") == "0123456789abcdé" * n
    assert tree.find("ComposeMail:Mime").text == b"0123456789abcd" * n
    ratio = _ratio(decode, small, large)
    assert ratio < 8, f"4x the input took {ratio:.1f}x the time"


def test_pretty_printed_xml_with_many_children_reads_in_linear_time():
    small, large = many_children_xml(500_000), many_children_xml(2_000_000)
    tree = from_xml(large)
    children = tree.find("Collections").children
    assert len(children) == 2_000_000 // len("    <SyncKey>1</SyncKey>\n")
    assert all(c.text == "1" for c in children)
    ratio = _ratio(from_xml, small, large)
    assert ratio < 8, f"4x the input took {ratio:.1f}x the time"
