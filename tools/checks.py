"""What the integration scripts in tools/ share: the command line of the package, one PASS/FAIL line per check, subprocesses."""
import subprocess, sys

CLI = [sys.executable, "-c", "import sys; from subnet_nb.cli import main; sys.exit(main())"]  # `subnet_nb`, in this interpreter

class Checks:
    "Print `PASS: <prefix> <name>` or `FAIL: ...` (with the detail) for each check; `.ok` is whether all passed."
    def __init__(self, prefix:str): self.prefix, self.results = prefix, []
    def __call__(self, name, ok, detail=""):
        self.results.append(bool(ok))
        print(f"{'PASS' if ok else 'FAIL'}: {self.prefix} {name}" + (f" -- {detail}" if detail and not ok else ""), flush=True)
    @property
    def ok(self) -> bool: return all(self.results)

def sh(*cmd, **kw): return subprocess.run(list(cmd), capture_output=True, text=True, **kw)
