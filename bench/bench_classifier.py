"""Topic classifier: training time on 10,000 messages, prediction latency, model size.

    .venv/bin/python bench/bench_classifier.py [--messages 10000] [--predictions 1000]

Targets (issue): training on 10,000 messages <= 60 s on this 2-core machine, prediction
p50 <= 2 ms per message.

The 10,000 training messages are made from train.jsonl (600 messages) deterministically
(``random.Random(seed)``): message i is a perturbed copy of train message ``i % 600``, so
the labels stay balanced. Each copy gets its sentences shuffled (split after ``.``, ``?``,
``!`` and at line breaks), in every sentence one pair of neighbouring words swapped with
probability 0.5 and one word dropped with probability 0.2; 10 % of the copies are put in
lower case and 10 % have their accents stripped, like the noise in the data; the subject
has its words shuffled with probability 0.2. Latency is measured on ``predict`` (label,
confidence, ranking and explanation) for messages of dev.jsonl in turn, after 20 warm-up
calls. Model size is ``len(model.to_bytes())``.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from midoffice.routing.classifier import Example, TopicModel, load_jsonl  # noqa: E402

DATA_DIR = Path(
    os.environ.get("CLASSIFICATION_DATA_DIR", ROOT.parent / "shared" / "data" / "classification")
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+|\n+")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _perturb_sentence(sentence: str, rng: random.Random) -> str:
    words = sentence.split()
    if len(words) > 2 and rng.random() < 0.5:
        i = rng.randrange(len(words) - 1)
        words[i], words[i + 1] = words[i + 1], words[i]
    if len(words) > 3 and rng.random() < 0.2:
        del words[rng.randrange(len(words))]
    return " ".join(words)


def synthetic_messages(source: list[Example], count: int, seed: int = 0) -> list[Example]:
    """``count`` perturbed copies of ``source`` (see the module docstring)."""
    rng = random.Random(seed)
    out: list[Example] = []
    for i in range(count):
        original = source[i % len(source)]
        sentences = [s for s in _SENTENCE_END.split(original.body) if s.strip()]
        rng.shuffle(sentences)
        body = "\n".join(_perturb_sentence(sentence, rng) for sentence in sentences)
        subject = original.subject
        if rng.random() < 0.2:
            words = subject.split()
            rng.shuffle(words)
            subject = " ".join(words)
        roll = rng.random()
        if roll < 0.1:
            subject, body = subject.lower(), body.lower()
        elif roll < 0.2:
            subject, body = _strip_accents(subject), _strip_accents(body)
        out.append(Example(subject=subject, body=body, label=original.label))
    return out


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--predictions", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train = load_jsonl(DATA_DIR / "train.jsonl")
    dev = load_jsonl(DATA_DIR / "dev.jsonl")
    messages = synthetic_messages(train, args.messages, seed=args.seed)

    wall = time.perf_counter()
    cpu = time.process_time()
    model = TopicModel.train(messages, seed=args.seed)
    train_wall = time.perf_counter() - wall
    train_cpu = time.process_time() - cpu
    load_after_training = os.getloadavg()[0]

    small_wall = time.perf_counter()
    small = TopicModel.train(train, seed=args.seed)
    small_train_wall = time.perf_counter() - small_wall

    rows: list[tuple[str, TopicModel]] = [
        (f"trained on {args.messages:,}", model),
        (f"trained on {len(train)} (train.jsonl)", small),
    ]
    latencies: dict[str, list[float]] = {}
    for name, candidate in rows:
        for example in dev[:20]:
            candidate.predict(example.subject, example.body)
        timings: list[float] = []
        for i in range(args.predictions):
            example = dev[i % len(dev)]
            started = time.perf_counter()
            candidate.predict(example.subject, example.body)
            timings.append((time.perf_counter() - started) * 1000)
        latencies[name] = timings
    load_after_predictions = os.getloadavg()[0]

    print(f"Topic classifier benchmark ({os.cpu_count()} CPUs)")
    print()
    print(f"{'measure':<46} {'value':>14}")
    print(f"{'-' * 46} {'-' * 14}")
    print(f"{f'training on {args.messages:,} messages, wall':<46} {train_wall:>12.1f} s")
    print(f"{f'training on {args.messages:,} messages, CPU':<46} {train_cpu:>12.1f} s")
    print(f"{f'training on {len(train)} messages, wall':<46} {small_train_wall:>12.1f} s")
    for name, candidate in rows:
        timings = latencies[name]
        print(f"{f'predict p50, model {name}':<46} {statistics.median(timings):>11.2f} ms")
        print(f"{f'predict p99, model {name}':<46} {_percentile(timings, 0.99):>11.2f} ms")
        print(f"{f'model size, {name}':<46} {len(candidate.to_bytes()):>12,} B")
    print()
    print(
        f"{args.predictions:,} predictions per model (dev.jsonl in turn, explanation included)."
        f" 1-minute load average after training {load_after_training:.2f}, after predictions"
        f" {load_after_predictions:.2f}: above {os.cpu_count()} means other processes"
        " competed for the CPU and the figures are pessimistic."
    )


if __name__ == "__main__":
    main()
