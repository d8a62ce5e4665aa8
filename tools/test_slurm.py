"""Integration test of the Slurm executor on a real single-node Slurm cluster (slurm-wlm + munge on localhost).

    python tools/test_slurm.py

1. starts the cluster with tools/slurm_local.sh (installs and configures it when missing; root and apt-get needed),
2. for each kind of study -- the tiny encoder study, and the small decoder study on the embedded Gemma 3 --
   runs it with the local runner (the reference),
3. runs it through Slurm (`subnet_nb study run --executor slurm`) and cancels one running job with `scancel`,
4. reruns it and checks that only the missing units ran and that the tables equal the reference,
5. stops the cluster.
Prints one PASS/FAIL line per check (SKIP with the reason if this machine cannot run Slurm) and its wall time.
"""
import json, os, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from checks import CLI, Checks, sh
check = Checks("slurm")

def main():
    t0 = time.time()
    up = sh("bash", str(ROOT/"tools"/"slurm_local.sh"), "start")
    print(up.stdout.strip())
    if up.returncode == 3:
        print(f"SKIP: slurm integration test -- {up.stdout.strip().removeprefix('SKIP: ')}"); return 0
    check("cluster starts (slurmctld + slurmd + munged on localhost)", up.returncode == 0, up.stdout + up.stderr)
    if up.returncode: return 1
    try: return run_tests(t0)
    finally:
        print(sh("bash", str(ROOT/"tools"/"slurm_local.sh"), "stop").stdout.strip())
        print(f"slurm integration test: {time.time() - t0:.0f} s")

def run_tests(t0):
    from subnet_nb.config import tiny_config
    from subnet_nb.decoder_study import small_decoder_config
    work = Path(tempfile.mkdtemp(prefix="subnet_nb-slurm-", dir=os.environ.get("SUBNET_NB_SLURM_TMP")))
    (work/"tiny.json").write_text(json.dumps(tiny_config(work).to_dict()))
    (work/"decoder.json").write_text(json.dumps(small_decoder_config().to_dict()))
    scenario(work, "encoder", work/"tiny.json", "subnetwork/", ["--mem-gb", "4", "--units-per-job", "20"])
    scenario(work, "decoder", work/"decoder.json", "subnetwork/", ["--mem-gb", "6", "--units-per-job", "3"])
    print(f"{sum(check.results)} passed, {len(check.results) - sum(check.results)} failed")
    return 0 if check.ok else 1

def cancel_running(p, jobs_file, prefix, deadline):
    "Cancel the first job of units starting with `prefix` as soon as it is RUNNING; its id (None if none ran in time)."
    while p.poll() is None and time.time() < deadline:
        time.sleep(0.5)
        try: jobs = json.loads(jobs_file.read_text())
        except (OSError, json.JSONDecodeError): continue
        q = dict(l.split(None, 1) for l in sh("squeue", "-h", "-o", "%i %T").stdout.splitlines() if " " in l)
        running = sorted(j for u, j in jobs.items() if u.startswith(prefix) and q.get(j) == "RUNNING")
        if running:  # cancel at once: a small job can finish all its units within seconds of starting
            print(f"scancel {running[0]} (a job of the {prefix[:-1]} stage, while RUNNING)", flush=True)
            sh("scancel", running[0]); return running[0]

def scenario(work, name, cfg, prefix, options):
    "Run the study of config file `cfg` locally and on Slurm with one job cancelled, then rerun it; check the tables."
    import pandas as pd
    from subnet_nb.engine import Store, read_tables, unit_status
    import subnet_nb.study, subnet_nb.decoder_study  # noqa: F401 -- register both kinds of study, so Store can read them
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    local = sh(*CLI, "study", "run", "--config", str(cfg), "--out", str(work/f"{name}-local"), "--quiet", env=env)
    check(f"{name}: local reference run", local.returncode == 0, local.stderr[-2000:])
    out = work/f"{name}-slurm"
    slurm_cmd = [*CLI, "study", "run", "--config", str(cfg), "--out", str(out), "--executor", "slurm",
                 "--cpus", "2", "--time-min", "20", *options]
    with open(work/f"{name}-run1.log", "w") as log:  # first run: cancel one running job
        p = subprocess.Popen(slurm_cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
        cancelled = cancel_running(p, out/"slurm"/"jobs.json", prefix, time.time() + 900)
        p.wait(timeout=1800)
    text1 = (work/f"{name}-run1.log").read_text()
    check(f"{name}: a running job was cancelled with scancel", cancelled is not None, text1[-2000:])
    jobs = json.loads((out/"slurm"/"jobs.json").read_text())
    print(f"{name} run 1: {len(set(jobs.values()))} Slurm jobs submitted for {len(jobs)} units")
    st1 = unit_status(Store(out))
    done1, failed1 = set(st1[st1.state == "done"].id), st1[st1.state == "failed"]
    print(f"{name} run 1 ended with exit status {p.returncode}: {len(done1)} done, {len(failed1)} failed, "
          f"{(st1.state == 'pending').sum()} pending")
    check(f"{name}: run 1 reports the cancelled job's units as failed (exit status 1)",
          p.returncode == 1 and len(failed1) > 0 and any(cancelled in e for e in failed1.error), text1[-1500:])
    finished1 = {u: json.loads((out/"units"/f"{u}.json").read_text())["finished"] for u in done1}
    r2 = sh(*slurm_cmd, env=env)  # second run: only the missing units
    st2 = unit_status(Store(out))
    check(f"{name}: run 2 completes the study", r2.returncode == 0 and (st2.state == "done").all(), (r2.stdout + r2.stderr)[-2000:])
    last = json.loads((out/"manifest.json").read_text())["runs"][-1]
    check(f"{name}: run 2 ran exactly the units missing after run 1", last["ran"] == len(st1) - len(done1)
          and last["skipped_done"] == len(done1), f"ran {last['ran']}, expected {len(st1) - len(done1)}")
    check(f"{name}: units done in run 1 were not recomputed",
          all(json.loads((out/"units"/f"{u}.json").read_text())["finished"] == f for u, f in finished1.items()))
    a, b = read_tables(work/f"{name}-local"), read_tables(out)
    try:
        for k in a: pd.testing.assert_frame_equal(b[k], a[k])
        equal = sorted(a) == sorted(b)
    except AssertionError as e:
        equal = False; print(e)
    check(f"{name}: tables equal the local runner's ({', '.join(sorted(a))})", equal)

if __name__ == "__main__":
    sys.exit(main())
