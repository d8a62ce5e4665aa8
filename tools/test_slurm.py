"""Integration test of the Slurm executor on a real single-node Slurm cluster (slurm-wlm + munge on localhost).

    python tools/test_slurm.py

1. starts the cluster with tools/slurm_local.sh (installs and configures it when missing; root and apt-get needed),
2. runs the tiny study with the local runner (the reference),
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
    import pandas as pd
    from subnet_nb.config import tiny_config
    from subnet_nb.store import read_tables
    from subnet_nb.study import study_status
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    work = Path(tempfile.mkdtemp(prefix="subnet_nb-slurm-", dir=os.environ.get("SUBNET_NB_SLURM_TMP")))
    cfg = work/"tiny.json"
    cfg.write_text(json.dumps(tiny_config(work).to_dict()))
    local = sh(*CLI, "study", "run", "--config", str(cfg), "--out", str(work/"local"), "--quiet", env=env)
    check("local reference run", local.returncode == 0, local.stderr[-2000:])
    slurm_cmd = [*CLI, "study", "run", "--config", str(cfg), "--out", str(work/"slurm"), "--executor", "slurm",
                 "--cpus", "2", "--mem-gb", "4", "--time-min", "20", "--units-per-job", "20"]
    # first run: cancel one running job of the subnetwork stage
    log = open(work/"run1.log", "w")
    p = subprocess.Popen(slurm_cmd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    jobs_file, cancelled, deadline = work/"slurm"/"slurm"/"jobs.json", None, time.time() + 900
    while p.poll() is None and time.time() < deadline and cancelled is None:
        time.sleep(0.5)
        if not jobs_file.exists(): continue
        try: jobs = json.loads(jobs_file.read_text())
        except json.JSONDecodeError: continue
        sub_jobs = sorted({j for u, j in jobs.items() if u.startswith("subnetwork/")})
        if not sub_jobs: continue
        q = dict(l.split(None, 1) for l in sh("squeue", "-h", "-o", "%i %T").stdout.splitlines() if " " in l)
        running = [j for j in sub_jobs if q.get(j) == "RUNNING"]
        if running:  # cancel at once: a tiny job can finish all its units within seconds of starting
            cancelled = running[0]
            print(f"scancel {cancelled} (a job of the subnetwork stage, while RUNNING)", flush=True)
            sh("scancel", cancelled)
    p.wait(timeout=max(60, deadline - time.time()))
    log.close()
    text1 = (work/"run1.log").read_text()
    check("a running job was cancelled with scancel", cancelled is not None, text1[-2000:])
    jobs = json.loads(jobs_file.read_text())
    print(f"run 1: {len(set(jobs.values()))} Slurm jobs submitted for {len(jobs)} units: {', '.join(sorted(set(jobs.values())))}")
    st1 = study_status(work/"slurm")
    done1 = set(st1[st1.state == "done"].id)
    failed1 = st1[st1.state == "failed"]
    print(f"run 1 ended with exit status {p.returncode}: {len(done1)} done, {len(failed1)} failed, {(st1.state == 'pending').sum()} pending")
    check("run 1 reports the cancelled job's units as failed (exit status 1)", p.returncode == 1 and len(failed1) > 0
          and any(cancelled in e for e in failed1.error), text1[-1500:])
    finished1 = {u: json.loads((work/"slurm"/"units"/f"{u}.json").read_text())["finished"] for u in done1}
    # second run: only the missing units
    r2 = sh(*slurm_cmd, env=env)
    print(r2.stdout[-800:].strip())
    st2 = study_status(work/"slurm")
    check("run 2 completes the study", r2.returncode == 0 and (st2.state == "done").all(), (r2.stdout + r2.stderr)[-2000:])
    man = json.loads((work/"slurm"/"manifest.json").read_text())
    last = man["runs"][-1]
    check("run 2 ran exactly the units missing after run 1", last["ran"] == len(st1) - len(done1) and last["skipped_done"] == len(done1),
          f"ran {last['ran']}, expected {len(st1) - len(done1)}")
    unchanged = all(json.loads((work/"slurm"/"units"/f"{u}.json").read_text())["finished"] == f for u, f in finished1.items())
    check("units done in run 1 were not recomputed", unchanged)
    jobs2 = json.loads(jobs_file.read_text())
    print(f"run 2: {len(set(jobs2.values()) - set(jobs.values()))} more Slurm jobs, all completed")
    a, b = read_tables(work/"local"), read_tables(work/"slurm")
    try:
        for k in a: pd.testing.assert_frame_equal(b[k], a[k])
        equal = sorted(a) == sorted(b)
    except AssertionError as e:
        equal = False; print(e)
    check(f"tables equal the local runner's ({', '.join(sorted(a))})", equal)
    print(f"{sum(check.results)} passed, {len(check.results) - sum(check.results)} failed")
    return 0 if check.ok else 1

if __name__ == "__main__":
    sys.exit(main())
