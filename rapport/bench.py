"""`make bench`: speed figures, each as a ratio against a baseline measured in the same run."""

from __future__ import annotations


def main() -> None:
    print("no benchmarks yet")


if __name__ == "__main__":
    main()
