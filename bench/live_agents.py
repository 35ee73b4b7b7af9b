#!/usr/bin/env python
"""The connected agents of `bench/ui.py --live N --gunicorn`, in their own OS process (no Django
here: the server's GIL and this one's are not shared, and neither is the bench process').

Reads one JSON line on stdin:

    {"port": 8123, "sessions": ["<sessionid>", ...], "seconds": 4,
     "page": "/console/?queue=l1", "poll": "/console/live/?queue=l1"}

Each session is one agent: a thread with its own requests.Session (one keep-alive connection, the
session cookie). Agent i opens the console page at i × seconds / N (staggered, as agents who
opened the console at different moments), takes the page's tag (its data-etag, where
static/js/live.js takes it), then polls `poll` `seconds` after each answer with If-None-Match set
to the last ETag it got, as live.js does. It stops at the end of stdin (the bench closes it, or
it died) and prints one JSON line on stdout:

    {"samples": [[kind, started (time.time()), wall ms], ...], "errors": {label: count},
     "cpu": seconds of user+sys of this process}

kind: "open" (the console page), "200" (a poll that rendered), "304" (a poll that did not).
"""

from __future__ import annotations

import html
import json
import re
import resource
import sys
import threading
import time

import requests

ETAG = re.compile(rb'id="live"[^>]*data-etag="([^"]*)"')


def agent(
    index: int,
    config: dict,
    stop: threading.Event,
    samples: list,
    errors: dict[str, int],
    lock: threading.Lock,
) -> None:
    base = f"http://127.0.0.1:{config['port']}"
    seconds = config["seconds"]
    session = requests.Session()
    session.cookies.set("sessionid", config["sessions"][index])
    etag = ""

    def get(kind: str, path: str, headers: dict[str, str]) -> requests.Response | None:
        started = time.time()
        wall = time.perf_counter()
        try:
            response = session.get(base + path, headers=headers, timeout=60)
        except requests.RequestException as exc:
            with lock:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            return None
        wall = (time.perf_counter() - wall) * 1000
        label = kind if kind == "open" else str(response.status_code)
        with lock:
            if response.status_code in (200, 304):
                samples.append((label, started, wall))
            else:
                key = f"{kind} HTTP {response.status_code}"
                errors[key] = errors.get(key, 0) + 1
        return response

    try:
        if stop.wait(seconds * index / len(config["sessions"])):
            return
        page = get("open", config["page"], {})
        if page is not None and page.status_code == 200:
            match = ETAG.search(page.content)
            etag = html.unescape(match.group(1).decode()) if match else ""
        while not stop.wait(seconds):
            response = get("poll", config["poll"], {"If-None-Match": etag} if etag else {})
            if response is not None:
                etag = response.headers.get("ETag", etag)
    finally:
        session.close()


def main() -> None:
    config = json.loads(sys.stdin.readline())
    stop = threading.Event()
    lock = threading.Lock()
    samples: list = []
    errors: dict[str, int] = {}
    threads = [
        threading.Thread(target=agent, args=(i, config, stop, samples, errors, lock), daemon=True)
        for i in range(len(config["sessions"]))
    ]
    for thread in threads:
        thread.start()
    sys.stdin.read()  # until the bench closes it (or is gone)
    stop.set()
    for thread in threads:
        thread.join(timeout=70)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    with lock:
        print(
            json.dumps(
                {"samples": samples, "errors": errors, "cpu": usage.ru_utime + usage.ru_stime}
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
