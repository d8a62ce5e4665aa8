"""Browser test of the built docs site (_docs/): headless Chromium renders pages, the rendered DOM is checked.

    python tools/test_docs.py [--out DIR]

Prints one PASS/FAIL line per check; screenshots go to DIR (default _docs/screenshots, not committed).
Needs Debian's `chromium` (tools/dev.sh installs it when missing).
"""
import argparse, re, shutil, subprocess, sys, tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse, unquote

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT/"_docs"
CHROME_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", "--disable-quic", "--hide-scrollbars"]
# page -> (expected <title> part, text that proves the page's content rendered)
PAGES = {"index.html": ("subnet_nb", "Three lenses compare two subnetworks"),
         "models.html": ("Models", "def load_model("),
         "cka.html": ("CKA", "def cka_matrix("),
         "stitching.html": ("Stitching", "def stitch("),
         "report.html": ("Report", "def write_report("),
         "study_embedded.html": ("The study on the embedded default", "The paper's claims on the embedded setting"),
         "study_verses.html": ("The study on parallel verses", "The paper's claims on the verses")}
# pages whose every <img> must load in the browser -> the fewest figures the page must have
IMAGE_PAGES = {"index.html": 0, "report.html": 5, "study_embedded.html": 8, "study_verses.html": 3}


class _Links(HTMLParser):
    "Collects hrefs/srcs, the <title>, navigation links and visible text of a page."
    def __init__(self):
        super().__init__()
        self.hrefs, self.nav_links, self.title, self.text = [], [], "", []
        self._in_title = self._skip = 0
        self._nav_depth = 0
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "title": self._in_title = 1
        if tag in ("script", "style"): self._skip += 1
        if tag == "nav": self._nav_depth += 1
        if tag == "a" and a.get("href"):
            self.hrefs.append(a["href"])
            if self._nav_depth: self.nav_links.append(a["href"])
        if tag in ("img", "link") and (a.get("src") or (tag == "link" and a.get("rel") == "stylesheet" and a.get("href"))):
            self.hrefs.append(a.get("src") or a.get("href"))
    def handle_endtag(self, tag):
        if tag == "title": self._in_title = 0
        if tag in ("script", "style"): self._skip = max(0, self._skip - 1)
        if tag == "nav": self._nav_depth = max(0, self._nav_depth - 1)
    def handle_data(self, data):
        if self._in_title: self.title += data
        if not self._skip: self.text.append(data)


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name): return shutil.which(name)
    return None


def render(exe, page: Path, shot: Path):
    "Screenshot `page` into `shot` and return its DOM after scripts ran."
    url = page.resolve().as_uri()
    with tempfile.TemporaryDirectory() as prof:
        subprocess.run([exe, *CHROME_FLAGS, f"--user-data-dir={prof}", f"--screenshot={shot}", "--window-size=1280,1100", url],
                       capture_output=True, timeout=120)
    with tempfile.TemporaryDirectory() as prof:
        r = subprocess.run([exe, *CHROME_FLAGS, f"--user-data-dir={prof}", "--dump-dom", url], capture_output=True, text=True, timeout=120)
    return r.stdout


_IMG_PROBE = """<!doctype html><html><body><iframe id="f" src="%s" width="1280" height="1100"></iframe><pre id="out">pending</pre>
<script>
const f = document.getElementById('f');
f.onload = () => {
  const imgs = [...f.contentDocument.images];
  imgs.forEach(i => { i.loading = 'eager'; });
  Promise.all(imgs.map(i => i.complete ? 0 : new Promise(r => { i.onload = i.onerror = r; }))).then(() => {
    document.getElementById('out').textContent = JSON.stringify(imgs.map(i => [(i.getAttribute('src') || '').slice(0, 60), i.naturalWidth]));
  });
};
</script></body></html>"""


def image_widths(exe, page: Path):
    "[(src, naturalWidth)] of every <img> of `page` after it loaded in Chromium (a probe page reads them from an iframe)."
    with tempfile.TemporaryDirectory() as d, tempfile.TemporaryDirectory() as prof:
        probe = Path(d)/"probe.html"
        probe.write_text(_IMG_PROBE % page.resolve().as_uri())
        r = subprocess.run([exe, *CHROME_FLAGS, f"--user-data-dir={prof}", "--allow-file-access-from-files", "--virtual-time-budget=20000",
                            "--dump-dom", probe.as_uri()], capture_output=True, text=True, timeout=180)
    m = re.search(r'<pre id="out">(.*?)</pre>', r.stdout, re.S)
    if not m or m.group(1) == "pending": return None
    import html, json
    return json.loads(html.unescape(m.group(1)))


def broken_links(html_file: Path, hrefs):
    "Local links of `html_file` (pages, images, stylesheets, anchors) that do not resolve inside the site."
    bad = []
    for h in hrefs:
        u = urlparse(h)
        if u.scheme in ("http", "https", "mailto", "data", "javascript") or u.netloc: continue
        base = SITE if u.path.startswith("/") else html_file.parent  # site-absolute paths (404.html) resolve from the root
        target = html_file if not u.path else (base/unquote(u.path).lstrip("/")).resolve()
        if target.is_dir(): target = target/"index.html"
        if not target.exists(): bad.append(h); continue
        if u.fragment and target.suffix == ".html":
            html = target.read_text(encoding="utf-8", errors="replace")
            if not re.search(rf'id=["\']{re.escape(unquote(u.fragment))}["\']', html): bad.append(h)
    return bad


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=str(SITE/"screenshots"))
    args = ap.parse_args(argv)
    out = Path(args.out); out.mkdir(parents=True, exist_ok=True)
    results = []
    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'}: docs {name}" + (f" -- {detail}" if detail and not ok else ""))
    exe = chromium()
    if not SITE.exists():
        check("site exists", False, "no _docs/: run python tools/build_docs.py site"); return 1
    if exe is None:
        check("browser available", False, "no chromium: apt-get install chromium"); return 1
    for page, (title, content) in PAGES.items():
        f = SITE/page
        if not f.exists(): check(f"{page} exists", False, f"{f} missing"); continue
        dom = render(exe, f, out/(f.stem + ".png"))
        p = _Links(); p.feed(dom)
        text = "".join(p.text)
        check(f"{page} renders in Chromium", len(dom) > 1000 and (out/(f.stem + ".png")).stat().st_size > 10_000,
              f"dom {len(dom)} chars")
        check(f"{page} title has {title!r}", title in p.title, f"title is {p.title!r}")
        check(f"{page} shows {content!r}", content in text, "not found in the rendered text")
        check(f"{page} has navigation to every page", all(any(h.endswith(q) for h in p.nav_links) for q in PAGES),
              f"nav links: {p.nav_links[:10]}")
        check(f"{page} has no raw '#|' directive", "#|" not in text, text[text.find("#|") - 80:text.find("#|") + 80] if "#|" in text else "")
    for page, least in IMAGE_PAGES.items():
        if not (SITE/page).exists(): continue
        widths = image_widths(exe, SITE/page)
        if widths is None: check(f"{page} images load", False, "the probe page could not read the images"); continue
        bad = [src for src, w in widths if not w]
        check(f"{page} images load ({len(widths)} images, all with natural width > 0)", len(widths) >= least and not bad,
              f"{len(widths)} images (at least {least} expected); not loaded: {bad[:5]}")
    for f in sorted(SITE.glob("*.html")):
        p = _Links(); p.feed(f.read_text(encoding="utf-8", errors="replace"))
        bad = broken_links(f, p.hrefs)
        check(f"{f.name} has no broken internal link", not bad, f"{bad[:5]}")
    print(f"screenshots in {out}")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
