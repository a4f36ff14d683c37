"""`make bench`: speed figures, each as a ratio against a baseline measured in the same run."""

from __future__ import annotations

import time


def main() -> None:
    from rapport.benchmarks import growth

    started = time.perf_counter()
    ok = growth.run()
    verdict = "all goals met" if ok else "a goal was MISSED (see above)"
    print(f"bench finished in {time.perf_counter() - started:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
