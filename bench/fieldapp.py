"""Size and first-render time of the built field app (server/static/fieldapp/, from `make fieldapp`).

    .venv/bin/python bench/fieldapp.py [--households 60] [--runs 3] [--throttle 4]

Sizes: every built file raw and gzip-compressed (level 6, as a web server would), split into the
shell the list needs and the form engine that loads when a form opens. Times: Debian's chromium
(/usr/bin/chromium) on a phone viewport with the CPU slowed down (CDP Emulation.setCPUThrottlingRate),
against a live server on a temporary SQLite database with one cadre and --households households:
  first visit      /app/ until the sign-in form shows (cold cache)
  list, online     reload of a signed-in app until the household list shows
  list, offline    the same with no network (service worker + IndexedDB)
  form ready       tap "record a visit" as soon as the household page shows, until the visit form is
                   ready (engine + XForm); offline, in a page that never loaded the engine. The household
                   page starts preparing the form (fieldapp/src/formAhead.js): this is the worst case
  form ready, 2 s  the same after reading the household page for --dwell ms (a fresh page again)
    engine         of which: from the tap until the engine module is loaded (the household page starts
                   loading it; performance mark lianhu:engine-loaded)
    form load      of which: from mounting the engine until its form is ready (the engine's own work)
    browser CPU    CPU time of all the browser's processes meanwhile. The CPU slowdown keeps the page's
                   thread busy for its whole share, so at 4x this follows the wall time; at --throttle 1
                   it is the work itself, which the load of a shared machine changes little
Prints the min / median of --runs for each, with First Contentful Paint where the browser reports it,
and the load average (the machine is shared). --profile adds a CPU profile of the form opens (self time
by function, through the DevTools protocol). --page-cpu adds, for "form ready", the CPU time of the page's
own thread from the tap on the household in the list until the form is ready (a Chrome trace: the thread
time of the renderer main thread's tasks); with --throttle 1 that is the work itself, which a busy
machine changes much less than the wall time.
"""
import argparse
import gzip
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BUILD = ROOT / "server" / "static" / "fieldapp"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def sizes() -> None:
    files = sorted(p for p in BUILD.rglob("*") if p.is_file())
    index = (BUILD / "index.html").read_text(encoding="utf-8")
    shell = {"index.html"} | set(re.findall(r'(?:src|href)="/app/(assets/[^"]+)"', index))
    groups = {"shell (what index.html loads)": [], "form engine (loaded when a form opens)": [],
              "other (sw, manifest, icons)": []}
    for path in files:
        name = str(path.relative_to(BUILD))
        if name in shell:
            groups["shell (what index.html loads)"].append(path)
        elif name.endswith((".js", ".css", ".wasm")) and name != "sw.js":
            groups["form engine (loaded when a form opens)"].append(path)
        else:
            groups["other (sw, manifest, icons)"].append(path)
    print(f"{'file':58} {'raw KB':>9} {'gzip KB':>9}")
    total_raw = total_gz = 0
    for group, paths in groups.items():
        raw = sum(p.stat().st_size for p in paths)
        gz = sum(len(gzip.compress(p.read_bytes(), 6)) for p in paths)
        total_raw, total_gz = total_raw + raw, total_gz + gz
        print(f"{group:58} {raw / 1024:9.1f} {gz / 1024:9.1f}")
        for p in paths:
            print(f"  {str(p.relative_to(BUILD)):56} {p.stat().st_size / 1024:9.1f} "
                  f"{len(gzip.compress(p.read_bytes(), 6)) / 1024:9.1f}")
    print(f"{'total':58} {total_raw / 1024:9.1f} {total_gz / 1024:9.1f}")


def start_server(households: int):
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    from server import create_app
    from server.config import TestConfig
    from server.extensions import db

    tmp = tempfile.mkdtemp(prefix="lianhu-bench-")

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}/bench.db"
        ATTACHMENT_DIR = f"{tmp}/attachments"

    app = create_app(Config)
    with app.app_context():
        upgrade(directory=app.extensions["migrate"].directory)
        from server.areas.services import create_area
        from server.auth.services import create_user
        from server.households.models import Household
        from server.households.services import link_cadre
        from server.surveys.services import publish_builtins

        class System:
            id, role, area = None, "admin", None
        publish_builtins()
        area = create_area(System(), code="NH", name="宁海县", level="county", parent_id=None)
        cadre = create_user("bench", "bench-pass", "cadre", area_id=area.id)
        for n in range(households):
            h = Household(code=f"B{n:05d}", area_id=area.id, head_name=f"户主{n}", address=f"清潭村{n}号",
                          lat=29.29 + n * 1e-4, lon=121.43, location_source="surveyed")
            db.session.add(h)
            db.session.flush()
            link_cadre(h, cadre.id, actor=System())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}"


def fcp(page):
    return page.evaluate("() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null")


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1000


def _tree_cpu_ms(marker: str) -> float:
    """CPU time (user + system, ms) of the chromium launched with `marker` and all its descendants
    (renderer, GPU, utility processes): what the machine spent, whatever the other processes' load."""
    stats = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        stats[int(proc.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]), marker.encode() in cmdline)
    roots = {pid for pid, (_, _, marked) in stats.items() if marked}
    tree, grew = set(roots), True
    while grew:
        extra = {pid for pid, (ppid, _, _) in stats.items() if ppid in tree and pid not in tree}
        tree |= extra
        grew = bool(extra)
    import os
    return sum(stats[pid][1] for pid in tree) * 1000 / os.sysconf("SC_CLK_TCK")


def open_form(page) -> None:
    """Tap "record a visit" and wait until the form page's engine says its form is ready."""
    page.click("[data-testid=fill-visit]")
    page.wait_for_selector("[data-testid=form-page] .form-initialization-status.ready", state="attached")


def measure(base: str, runs: int, throttle: float, lang: str = "zh", profile: bool = False, dwell: int = 2000,
            page_cpu: bool = False) -> None:
    from playwright.sync_api import sync_playwright
    load_before = _loadavg()
    results = {"first visit": [], "list, online": [], "list, offline": [], "form ready": [], "  engine": [],
               "  form load": [], "  browser CPU": [], "  page thread CPU": [],
               f"form ready, {dwell / 1000:g} s on the household page": [], "  browser CPU ": []}
    adopted = []
    paints = {"first visit": [], "list, online": [], "list, offline": []}
    profiles = []
    with sync_playwright() as p:
        import uuid
        marker = f"--lianhu-bench={uuid.uuid4().hex}"  # finds this chromium's processes for their CPU time
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, marker])
        for _ in range(runs):
            context = browser.new_context(**PHONE, base_url=base, permissions=["geolocation"],
                                          geolocation={"latitude": 29.29, "longitude": 121.43, "accuracy": 5})
            context.add_init_script(f"localStorage.setItem('lianhu.lang', {lang!r})")
            page = context.new_page()
            page.set_default_timeout(120000)
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
            results["first visit"].append(timed(lambda: (page.goto("/app/"), page.wait_for_selector("form[data-testid=signin]"))))
            paints["first visit"].append(fcp(page))
            page.fill("input[name=username]", "bench")
            page.fill("input[name=password]", "bench-pass")
            page.click("form[data-testid=signin] button[type=submit]")
            page.wait_for_selector("a.household")
            page.wait_for_function("!!navigator.serviceWorker.controller")
            results["list, online"].append(timed(lambda: (page.reload(), page.wait_for_selector("a.household"))))
            paints["list, online"].append(fcp(page))
            context.set_offline(True)
            results["list, offline"].append(timed(lambda: (page.reload(), page.wait_for_selector("a.household"))))
            paints["list, offline"].append(fcp(page))
            if page_cpu:
                browser.start_tracing(page=page, categories=["devtools.timeline", "disabled-by-default-devtools.timeline"])
            page.click("a.household >> nth=0")
            page.wait_for_selector("[data-testid=fill-visit]")
            if profile:
                cdp.send("Profiler.enable")
                cdp.send("Profiler.setSamplingInterval", {"interval": 500})
                cdp.send("Profiler.start")
            cpu_before = _tree_cpu_ms(marker)
            results["form ready"].append(timed(lambda: open_form(page)))
            results["  browser CPU"].append(_tree_cpu_ms(marker) - cpu_before)
            if page_cpu:
                results["  page thread CPU"].append(_main_thread_cpu_ms(browser.stop_tracing()))
            if profile:
                profiles.append(cdp.send("Profiler.stop")["profile"])
            adopted.append(page.evaluate("() => performance.getEntriesByName('lianhu:adopted').length > 0"))
            marks = page.evaluate("""() => {
                const m = {}
                for (const e of performance.getEntriesByType('mark')) m[e.name] = e.startTime
                return [m['lianhu:form-open'], m['lianhu:engine-loaded'], m['lianhu:engine-mounted'], performance.now()]
            }""")
            if None not in marks:
                opened, loaded, mounted, ready = marks
                results["  engine"].append(loaded - opened)
                results["  form load"].append(ready - mounted)
            # a cadre reads the household page before tapping: the form was prepared meanwhile
            page.evaluate("location.hash = '#/'")
            page.reload()
            page.wait_for_selector("a.household")
            page.click("a.household >> nth=0")
            page.wait_for_selector("[data-testid=fill-visit]")
            page.wait_for_timeout(dwell)
            cpu_before = _tree_cpu_ms(marker)
            results[f"form ready, {dwell / 1000:g} s on the household page"].append(timed(lambda: open_form(page)))
            results["  browser CPU "].append(_tree_cpu_ms(marker) - cpu_before)
            context.close()
        browser.close()
    print(f"\nfirst render, phone viewport 390x844, CPU slowed {throttle:g}x, interface {lang}, {runs} runs, "
          f"min / median (ms); load average before: {load_before}, after: {_loadavg()}")
    for name, values in results.items():
        paint = [v for v in paints.get(name, []) if v is not None]
        extra = f"   first contentful paint {statistics.median(paint):7.0f}" if paint else ""
        if values:
            print(f"  {name:16} {min(values):7.0f} / {statistics.median(values):7.0f}{extra}")
    print(f"  (form ready: the form prepared on the household page was adopted in {sum(adopted)} of {len(adopted)} runs)")
    if profiles:
        print_profile(profiles)


def _main_thread_cpu_ms(trace: bytes) -> float:
    """Thread time (ms) of the top-level tasks of the busiest renderer main thread in a Chrome trace."""
    import json
    events = json.loads(trace)["traceEvents"]
    mains = {(e["pid"], e["tid"]) for e in events
             if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"}
    busy = {}
    for key in mains:
        tasks = sorted((e for e in events if (e.get("pid"), e.get("tid")) == key and e.get("ph") == "X" and "dur" in e),
                       key=lambda e: (e["ts"], -e["dur"]))
        total, end = 0, -1
        for e in tasks:
            if e["ts"] >= end:  # not nested in the task before
                total, end = total + e.get("tdur", e["dur"]), e["ts"] + e["dur"]
        busy[key] = total
    return max(busy.values(), default=0) / 1000


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def print_profile(profiles, top: int = 30) -> None:
    """Self and total time by function over the form opens (CDP CPU profiles of the tap until ready).
    The profiles are also written to a temporary directory (open them in Chrome DevTools)."""
    import json
    folder = Path(tempfile.mkdtemp(prefix="fieldapp-profile-"))
    for n, prof in enumerate(profiles):
        (folder / f"form-open-{n}.cpuprofile").write_text(json.dumps(prof))
    print(f"\nprofiles: {folder}")
    inclusive = {}
    for prof in profiles:
        nodes = {n["id"]: n for n in prof["nodes"]}
        parent = {c: n["id"] for n in prof["nodes"] for c in n.get("children", [])}
        deltas = prof.get("timeDeltas") or []
        for sample, delta in zip(prof.get("samples") or [], deltas[1:] + [0]):
            names, node = set(), sample
            while node is not None:
                name = nodes[node]["callFrame"]["functionName"]
                if name:
                    names.add(name)
                node = parent.get(node)
            for name in names:
                inclusive[name] = inclusive.get(name, 0.0) + delta / 1000
    print(f"total time (inclusive) by function name, top {top}")
    for key, ms in sorted(inclusive.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {ms / len(profiles):8.1f} ms  {key}")
    self_ms, total = {}, 0.0
    for prof in profiles:
        nodes = {n["id"]: n for n in prof["nodes"]}
        deltas = prof.get("timeDeltas") or []
        for sample, delta in zip(prof.get("samples") or [], deltas[1:] + [0]):
            frame = nodes[sample]["callFrame"]
            url = frame["url"].rsplit("/", 1)[-1]
            key = f"{frame['functionName'] or '(anonymous)'}  {url}:{frame['lineNumber'] + 1}" if url else frame["functionName"]
            self_ms[key] = self_ms.get(key, 0.0) + delta / 1000
            total += delta / 1000
    print(f"\nCPU profile of the form opens: self time, top {top} of {total / len(profiles):.0f} ms per open")
    for key, ms in sorted(self_ms.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {ms / len(profiles):8.1f} ms  {key}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--throttle", type=float, default=4.0)
    parser.add_argument("--lang", choices=("zh", "en"), default="zh", help="interface language of the app")
    parser.add_argument("--profile", action="store_true", help="print where the CPU time of the form opens goes")
    parser.add_argument("--dwell", type=int, default=2000, help="ms on the household page before the second tap")
    parser.add_argument("--page-cpu", action="store_true", help="the page thread's CPU time of the immediate-tap open")
    args = parser.parse_args()
    if not (BUILD / "index.html").is_file():
        print("server/static/fieldapp/ is missing: run make fieldapp", file=sys.stderr)
        return 1
    sizes()
    if not Path(CHROMIUM).exists():
        print(f"\n{CHROMIUM} is missing: times not measured (apt-get install chromium)", file=sys.stderr)
        return 1
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server, base = start_server(args.households)
    try:
        measure(base, args.runs, args.throttle, args.lang, args.profile, args.dwell, args.page_cpu)
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
