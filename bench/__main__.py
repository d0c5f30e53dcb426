"""`make bench`: run every benchmark in bench/ (bench_*.py), one after the other.

Each benchmark prints its own table with a baseline measured in the same run. Pass names to
run only some: `python -m bench counter hq_ingest`; options after the names go to each of
them: `python -m bench burst --quick`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    names = sorted(p.stem for p in here.glob("bench_*.py"))
    first_option = next((i for i, arg in enumerate(argv) if arg.startswith("-")), len(argv))
    wanted, options = argv[:first_option], argv[first_option:]
    unknown = [w for w in wanted if w not in names and f"bench_{w}" not in names]
    if unknown:
        print(f"no such benchmark: {', '.join(unknown)} (there are: "
              f"{', '.join(n.removeprefix('bench_') for n in names)})", file=sys.stderr)
        return 2
    if wanted:
        names = [n for n in names if n.removeprefix("bench_") in wanted or n in wanted]
    failed = []
    for name in names:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.call([sys.executable, "-m", f"bench.{name}", *options]) != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
