"""Time the drafter on captures at the size limit (2 MiB): sentence splitting alone, then detect().

    .venv/bin/python scripts/bench_drafter.py

Three shapes, because pysbd's cost depends on line length, not only on size: short paragraphs
(an article pasted many times), one line of 2 MiB (a capture with no newlines), and the same in
Russian. The lexicon is built once from the checkout's data, as `add-article` does.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from infratracker.core.paths import Layout  # noqa: E402
from infratracker.intake.detection import build_lexicon, detect  # noqa: E402
from infratracker.intake.drafting import MAX_CAPTURE_BYTES  # noqa: E402
from infratracker.intake.text import sentences  # noqa: E402

EN = ("Kazakhstan Temir Zholy (KTZ) signed a $1.2 billion loan with the Asian Development Bank on "
      "March 3, 2026, Deputy Transport Minister Daniyar Sarsenov said. The 272-km Bakhty–Ayagoz railway "
      "will carry 20 million tonnes a year from 2027. Construction started in the port of Aktau.\n")
RU = ("АО «Казахстан темир жолы» подписало соглашение с Азиатским банком развития на сумму 1,2 млрд "
      "долларов, сообщил заместитель министра транспорта Данияр Сарсенов. Железная дорога "
      "протяжённостью 272 км пройдёт через Актау и будет перевозить 20 млн тонн грузов в год.\n")


def fill(unit: str) -> str:
    data = unit.encode()
    return (data * (MAX_CAPTURE_BYTES // len(data) + 1))[:MAX_CAPTURE_BYTES].decode("utf-8", "ignore")


def main() -> None:
    lexicon = build_lexicon(Layout(ROOT))
    cases = [("en, paragraphs", fill(EN), "en"), ("en, one line", fill(EN.replace("\n", " ")), "en"),
             ("ru, paragraphs", fill(RU), "ru")]
    print(f"{'capture (2 MiB)':<16} {'sentences':>10} {'detect':>8} {'n':>7}")
    for name, body, lang in cases:
        t0 = time.perf_counter()
        n = len(sentences(body, lang))
        t1 = time.perf_counter()
        detect(body, lexicon, language=lang, published="2026-03-13")
        t2 = time.perf_counter()
        print(f"{name:<16} {t1 - t0:>9.1f}s {t2 - t1:>7.1f}s {n:>7}")


if __name__ == "__main__":
    main()
