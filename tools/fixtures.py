"""Build the shared test fixtures once (they are cached): the two small fine-tuned checkpoints and the subnetworks
the notebooks prune from them, the tiny study the report notebooks read, and the small decoder study on the embedded
Gemma 3 that the decoder notebooks read.

    python tools/fixtures.py

Every notebook builds what it needs on first use anyway (`finetuned`, `cached_subnetwork`, `cached_run`), so this
script changes no result. It exists for speed on a fresh machine: built by two notebook workers competing for the
cores (and waiting on each other's locks) the fixtures added 13 minutes to `nbdev_test`. Here they are built in two
processes with one thread each, as `nbdev_test` runs its notebooks (so a fixture is the same whichever built it), in
two lanes of about equal work. Keep the list in step with 03_pruning, 04_masks and 06_stitching; a fixture missing
here is only built later, by the notebook that needs it.
"""
import os, sys, time
os.environ.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")  # before torch is imported: one thread per lane
from concurrent.futures import ProcessPoolExecutor
import multiprocessing as mp

# the notebooks' settings: importance on disjoint samples of the prune split (emoji-sentiment's has 129 rows: 3 x 40),
# stop rule on dev
def _subnetworks(name):
    "(checkpoint config, rows per sample, [(language, seed)]) of the subnetworks the notebooks prune."
    from subnet_nb.finetune import TINY_TOPIC, TINY_SENTIMENT
    if name == "topic":
        return TINY_TOPIC, 96, [(l, 0) for l in TINY_TOPIC.langs] + [(l, s) for l in ("en", "de", "zh") for s in (1, 2)]
    return TINY_SENTIMENT, 40, [(l, s) for l in ("en", "de", "zh") for s in (0, 1, 2)]


def _say(msg, t): print(f"{msg}: {time.time() - t:.0f} s", flush=True)


def checkpoint(name):
    "Fine-tune one shared checkpoint and prune its subnetworks."
    from subnet_nb.finetune import finetuned
    from subnet_nb.pruning import cached_subnetwork
    cfg, n, subs = _subnetworks(name)
    t = time.time()
    model, tok, _ = finetuned(cfg, progress=False)
    _say(f"fine-tuned {cfg.task} ({cfg.key()})", t)
    t = time.time()
    for lang, seed in subs: cached_subnetwork(cfg, model, tok, lang, seed, n=n, max_length=32, progress=False)
    _say(f"  {len(subs)} subnetworks of {cfg.task}", t)


def tiny_study():
    t = time.time()
    from subnet_nb.study import tiny_study
    tiny_study()
    _say("the tiny study of the report notebooks", t)


def decoder_study():
    t = time.time()
    from subnet_nb.decoder_study import small_decoder_study
    small_decoder_study()
    _say("the small decoder study (with the Gemma conversion)", t)


LANES = ((decoder_study, lambda: checkpoint("sentiment")), (lambda: checkpoint("topic"), tiny_study))


def lane(k):
    "Run lane `k`'s jobs in order, in this process."
    for job in LANES[k]: job()


def main():
    t0 = time.time()
    from subnet_nb.embedded import embedded_model_dir
    embedded_model_dir()  # both lanes need it: built once, before they start
    with ProcessPoolExecutor(len(LANES), mp_context=mp.get_context("spawn")) as ex:
        for f in [ex.submit(lane, k) for k in range(len(LANES))]: f.result()
    _say("shared fixtures ready", t0)


if __name__ == "__main__":
    sys.exit(main())
