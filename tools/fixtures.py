"""Build the shared test fixtures once (they are cached): the two small fine-tuned checkpoints and the subnetworks
the notebooks prune from them, the tiny study the report notebooks read, and the small decoder study on the embedded
Gemma 3 that the decoder notebooks read.

    python tools/fixtures.py

Every notebook builds what it needs on first use anyway (`finetuned`, `cached_subnetwork`), so this script changes
no result. It exists for speed on a fresh machine: built here, in one process that has both cores, the fixtures take
a few minutes; built by two notebook workers competing for the cores (and waiting on each other's locks) they
added 13 minutes to `nbdev_test`. Keep the list in step with 03_pruning, 04_masks and 06_stitching; a fixture
missing here is only built later, by the notebook that needs it.
"""
import time
from subnet_nb.embedded import embedded_model_dir
from subnet_nb.finetune import finetuned, TINY_TOPIC, TINY_SENTIMENT
from subnet_nb.pruning import cached_subnetwork
from subnet_nb.study import tiny_study
from subnet_nb.decoder_study import small_decoder_study

# the notebooks' settings: importance on disjoint samples of the prune split (emoji-sentiment's has 129 rows: 3 x 40), stop rule on dev
SUBNETWORKS = [  # (checkpoint config, rows per sample, [(language, seed)])
    (TINY_TOPIC, 96, [(l, 0) for l in TINY_TOPIC.langs] + [(l, s) for l in ("en", "de", "zh") for s in (1, 2)]),
    (TINY_SENTIMENT, 40, [(l, s) for l in ("en", "de", "zh") for s in (0, 1, 2)]),
]


def main():
    t0 = time.time()
    embedded_model_dir()
    for cfg, n, subs in SUBNETWORKS:
        t = time.time()
        model, tok, _ = finetuned(cfg, progress=False)
        print(f"fine-tuned {cfg.task} ({cfg.key()}): {time.time() - t:.0f} s", flush=True)
        t = time.time()
        for lang, seed in subs: cached_subnetwork(cfg, model, tok, lang, seed, n=n, max_length=32, progress=False)
        print(f"  {len(subs)} subnetworks: {time.time() - t:.0f} s", flush=True)
    t = time.time()
    tiny_study()
    print(f"the tiny study of the report notebooks: {time.time() - t:.0f} s", flush=True)
    t = time.time()
    small_decoder_study()
    print(f"the small decoder study: {time.time() - t:.0f} s", flush=True)
    print(f"shared fixtures ready in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
