"""Write ``golden/model/<bundle>.json``, the shipped bundles' model-I/O cases:
``python -m export.model_golden DIST [DIST ...]``.

Each ``DIST`` is a ``build.py --target all --out DIST`` folder; its ``android/model_io.json`` and
``ios/model_io.json`` (same cases, same model version) are merged into one file holding every
artifact's expected outputs. A port's tests read it without building; an app's self-test uses the
``model_io.json`` shipped beside its own manifest (:mod:`contract.model_io`).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from contract.arguments import OneLineParser
from contract.model_io import FILE, ModelIoError

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "model"


def merged(dist: Path) -> dict:
    """The model-I/O documents of ``dist``'s targets as one (they must share cases and model)."""
    docs = []
    for target in ("android", "ios"):
        path = dist / target / FILE
        if not path.is_file():
            raise ModelIoError(f"{path}: no such file (build with --target all --out {dist})")
        docs.append(json.loads(path.read_text()))
    first = docs[0]
    for other in docs[1:]:
        if {k: v for k, v in other.items() if k != "artifacts"} != {k: v for k, v in first.items() if k != "artifacts"}:
            raise ModelIoError(f"{dist}: the targets' cases or model versions differ (built from different bundles?)")
    return {**first, "artifacts": {k: v for doc in docs for k, v in doc["artifacts"].items()}}


def main(argv: list[str] | None = None) -> int:
    p = OneLineParser(prog="python -m export.model_golden", description=__doc__.split("\n\n")[0])
    p.add_argument("dist", type=Path, nargs="+", help="build folders (build.py --target all --out DIST)")
    p.add_argument("--out", type=Path, default=GOLDEN, help="golden folder")
    args = p.parse_args(argv)
    try:
        docs = [merged(d) for d in args.dist]
        args.out.mkdir(parents=True, exist_ok=True)
    except (ModelIoError, OSError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for doc in docs:
        path = args.out / f"{doc['model']['name']}.json"
        path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n")
        print(f"{path}: {len(doc['cases'])} cases, artifacts {', '.join(sorted(doc['artifacts']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
