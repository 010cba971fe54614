"""Affect-stage benchmark: qa-engine's affect stage vs a naive transformers baseline, same turns, same model.

    .venv/bin/python bench/affect.py [--turns 2000] [--seed 7]

Naive baseline: transformers `pipeline("text-classification")`, one text at a time, one model per task (the same
fine-tuned encoder loaded twice, fp32, each with one head): the way a first prototype would do it.
qa-engine: `AffectScorer.score_texts` (distinct texts once, length-bucketed batches, one encoder pass for both
tasks, int8 dynamic quantisation). Each side runs in its own process so peak memory is its own. Prints turns/s,
the ratio and peak RSS.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def support_turns(n: int, seed: int) -> tuple[list[str], list[str]]:
    """The first n turns (texts, languages) of the seeded realistic ticket generator."""
    from bench.generate import generate_tickets

    texts, langs = [], []
    for ticket in generate_tickets(n, seed=seed):
        for turn in ticket["turns"]:
            texts.append(turn["text"])
            langs.append(ticket.get("language") or "en")
            if len(texts) == n:
                return texts, langs
    return texts, langs


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_baseline(texts: list[str], out: mp.Queue) -> None:
    import torch
    from transformers import BertConfig, BertPreTrainedModel, PreTrainedTokenizerFast, pipeline
    from transformers.modeling_outputs import SequenceClassifierOutput

    from qa_engine import paths
    from qa_engine.affect import embedded
    from qa_engine.affect.labels import EMOTIONS, SENTIMENTS

    torch.set_num_threads(2)
    net, config = embedded.load(paths.models_dir() / "embedded" / "affect-e5s6-v1")
    tok = embedded.tokenizer(config.max_length)
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tok.backend, pad_token="<pad>", model_max_length=128)

    class OneHead(BertPreTrainedModel):
        """The fine-tuned encoder with a single head, as a standard transformers classifier."""

        def __init__(self, cfg: BertConfig, head: torch.nn.Linear) -> None:
            super().__init__(cfg)
            self.encoder, self.head = net.encoder, head

        def forward(self, input_ids=None, attention_mask=None, **_: object) -> SequenceClassifierOutput:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).float()
            return SequenceClassifierOutput(logits=self.head((hidden * mask).sum(1) / mask.sum(1)))

    pipes = []
    for head, labels in ((net.sentiment, SENTIMENTS), (net.emotion, EMOTIONS)):
        cfg = BertConfig(**{**net.encoder.config.to_dict(), "id2label": dict(enumerate(labels))})
        pipes.append(
            pipeline("text-classification", model=OneHead(cfg, head).eval(), tokenizer=hf_tok, device=-1)
        )
    for p in pipes:
        p("warm up", top_k=None, truncation=True)
    start = time.perf_counter()
    for text in texts:
        for p in pipes:
            p(text, top_k=None, truncation=True)
    elapsed = time.perf_counter() - start
    out.put({"seconds": elapsed, "peak_mb": _peak_mb()})


def run_engine(texts: list[str], langs: list[str], out: mp.Queue) -> None:
    from qa_engine.affect import AffectScorer

    scorer = AffectScorer.from_registry()
    scorer.score_texts(["warm up"], ["en"])
    start = time.perf_counter()
    scorer.score_texts(texts, langs)
    elapsed = time.perf_counter() - start
    out.put({"seconds": elapsed, "peak_mb": _peak_mb(), "distinct": len(set(texts))})


def measure(target, *args) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    texts, langs = support_turns(args.turns, args.seed)
    print(f"{len(texts)} support-style turns, {len(set(texts))} distinct texts, 6 languages")
    base = measure(run_baseline, texts)
    ours = measure(run_engine, texts, langs)
    b_rate, o_rate = len(texts) / base["seconds"], len(texts) / ours["seconds"]
    print(f"naive baseline (pipeline, 1 text at a time, 1 model per task): {b_rate:8.1f} turns/s  "
          f"peak RSS {base['peak_mb']:.0f} MB")  # fmt: skip
    print(f"qa-engine affect stage:                                        {o_rate:8.1f} turns/s  "
          f"peak RSS {ours['peak_mb']:.0f} MB")  # fmt: skip
    print(f"speed-up: {o_rate / b_rate:.1f}x")


if __name__ == "__main__":
    main()
