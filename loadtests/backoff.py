"""How long a simulated device waits after a failed exchange before trying again.

Real clients back off exponentially with jitter after failures: AOSP's Exchange sync adapter
doubles its wait after each consecutive IOException up to a cap, and iOS spaces out its
reconnect attempts the same way. Without it, a fleet turns an overloaded server into a
reconnect storm (every device that timed out comes back at once, adding to the overload).

The wait after the n-th consecutive failure is drawn uniformly from [d/2, d] with
d = min(cap, base * 2**(n-1)) ("equal jitter"): at least half the exponential step, so the
fleet's retries spread out instead of arriving together. A server's Retry-After is honoured
separately (never earlier than asked).
"""

from __future__ import annotations

import random

#: First wait (s), doubled per consecutive failure, and never more than CAP.
BASE = 1.0
CAP = 30.0


def backoff_delay(failures: int, rng: random.Random, base: float = BASE, cap: float = CAP) -> float:
    """Seconds to wait after ``failures`` consecutive failures (0 → no wait)."""
    if failures <= 0:
        return 0.0
    step = min(cap, base * 2.0 ** min(failures - 1, 30))
    return step / 2.0 + rng.random() * step / 2.0
