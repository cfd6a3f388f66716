#!/usr/bin/env python3
"""Feed server for benches/soak.sh: good, big and hostile RSS feeds on 127.0.0.1.

Python 3.11 standard library only. Listens on 127.0.0.1, port 0 (the kernel picks), plus a second
port for the 503 feed, and writes:
  --port-file FILE   the main port (written last: when it exists, the server is ready)
  --manifest FILE    one line per feed: `name url kind`, the feeds the soak config subscribes to

Feeds (all RSS 2.0):
  /good/NN.xml   20 feeds, 30 items each, 1-3 new items a minute (feeds 05, 10, 15, 20: a batch
                 every 3 minutes, so that polls in between get 304s); ETag and Last-Modified,
                 304 on If-None-Match / If-Modified-Since. 01-10 English, 11-19 Korean (UTF-8),
                 20 Korean in EUC-KR (prolog and Content-Type say so).
  /big/N.xml     5 feeds of 10,000 items (~300-char descriptions); 20 new items a minute push the
                 oldest 20 out; no validators, so every poll downloads and parses the whole body
                 (~4.6 MB, under the daemon's default 5 MiB max_body_bytes).
  /h/...         hostile, one feed each: gzip bomb, endless body, slowloris, redirect loop, XXE,
                 billion laughs, malformed XML, one huge item near the body limit, churn (every
                 item new on every request); and a 503 with Retry-After: 3600 on its own port,
                 addressed as `localhost` so that neither a host-only nor a host:port budget key
                 lets its pause hold back the other feeds.

Everything is deterministic per (feed, item index), so an item's text never changes between
polls: only the window of items moves with the clock. Minute 0 starts when the server starts.
"""

import argparse
import email.utils
import os
import random
import signal
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

T0 = int(time.time())
GOOD_FEEDS = 20
GOOD_ITEMS = 30
BIG_FEEDS = 5
BIG_ITEMS = 10_000
BIG_PER_MINUTE = 20
BODY_LIMIT = 5 * 1024 * 1024  # the daemon's default max_body_bytes

# ---------------------------------------------------------------------------------------------
# Text material

EN_SUBJECTS = [
    "Kim Yo-jong", "Pyongyang", "Seoul", "Tokyo", "Kishida", "The unification ministry",
    "The central bank", "KOSPI", "Samsung Electronics", "The defense ministry", "Yoon",
    "Washington", "The National Assembly", "Hyundai Motor", "The weather agency", "Busan port",
]
EN_VERBS = [
    "says", "rejects", "proposes", "warns of", "reports", "confirms", "denies", "plans",
    "launches", "announces", "calls for", "criticises", "welcomes", "reviews",
]
EN_OBJECTS = [
    "ballistic missile launch", "Japan-DPRK summit talk", "new sanctions", "trade talks",
    "record exports", "chip investment", "joint drills", "rate decision", "heavy rain alert",
    "abduction issue", "economic outlook", "cyber attack probe", "satellite plan",
    "humanitarian aid", "border incident", "energy subsidies",
]
EN_PLACES = [
    "in Seoul", "near the border", "at the UN", "in Tokyo", "on the east coast", "in Busan",
    "amid tension", "after talks", "before the summit", "this week",
]
KO_SUBJECTS = [
    "북한", "김여정", "정부", "국방부", "일본 정부", "한국은행", "코스피", "통일부", "기상청",
    "국회", "삼성전자", "현대차", "외교부", "합참", "서울시",
]
KO_PARTICLE = {True: "이", False: "가"}  # after a final consonant / a vowel
KO_OBJECTS = [
    "미사일 발사", "담화 발표", "정상회담 제안", "추가 제재", "수출 실적", "반도체 투자",
    "연합 훈련", "기준금리 결정", "호우 경보", "납치 문제", "경제 전망", "사이버 공격 조사",
    "위성 발사 계획", "인도적 지원", "국경 사건", "에너지 지원",
]
KO_ENDINGS = ["발표", "검토", "비판", "환영", "확인", "부인", "추진", "경고"]
KO_FILL = [
    "관계자는", "이날", "오전", "오후", "밝혔다", "전했다", "것으로", "알려졌다", "지난", "이번",
    "발표에서", "설명했다", "강조했다", "가능성이", "있다고", "덧붙였다", "서울", "평양", "도쿄",
]
EN_FILL = [
    "officials", "said", "on", "Tuesday", "the", "statement", "was", "released", "after", "a",
    "meeting", "with", "ministers", "and", "analysts", "expect", "further", "steps", "in",
    "coming", "weeks", "according", "to", "sources", "familiar", "matter", "report", "added",
]


def _has_final_consonant(word):
    ch = word[-1]
    code = ord(ch) - 0xAC00
    return 0 <= code < 11172 and code % 28 != 0


def _pseudo_vocabulary(n, seed):
    """`n` distinct made-up Latin words, so big-feed items share few shingles."""
    rng = random.Random(seed)
    cons = "bcdfghjklmnprstvwz"
    vows = "aeiou"
    words = set()
    while len(words) < n:
        w = "".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.randint(2, 4)))
        words.add(w)
    return sorted(words)


BIG_VOCAB = _pseudo_vocabulary(6000, "soak-big-vocab")


def rfc822(ts):
    return email.utils.formatdate(ts, usegmt=True)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# ---------------------------------------------------------------------------------------------
# Good feeds: 30 items, 1-3 new a minute, validators and 304.


def good_rate(i):
    return 1 + (i % 3)


def good_period(i):
    """Minutes between two batches of new items: 1, or 3 for feeds 5, 10, 15 and 20, whose
    polls in between are answered 304 (the other feeds see a change at nearly every poll)."""
    return 3 if i % 5 == 0 else 1


def good_lang(i):
    if i <= 10:
        return "en"
    if i < GOOD_FEEDS:
        return "ko"
    return "euckr"


def good_item(i, n, port):
    """Item `n` of good feed `i` (text fixed by (i, n))."""
    rng = random.Random(f"good:{i}:{n}")
    k = good_rate(i)
    period = 60 * good_period(i)
    pub = T0 + ((n - GOOD_ITEMS) // k) * period + (n % k) * (period // k)
    if good_lang(i) == "en":
        title = (
            f"{rng.choice(EN_SUBJECTS)} {rng.choice(EN_VERBS)} {rng.choice(EN_OBJECTS)} "
            f"{rng.choice(EN_PLACES)} ({i}-{n})"
        )
        desc = " ".join(rng.choice(EN_FILL) for _ in range(30)) + f". Report {i}-{n}."
    else:
        subj = rng.choice(KO_SUBJECTS)
        title = (
            f"{subj}{KO_PARTICLE[_has_final_consonant(subj)]} {rng.choice(KO_OBJECTS)} "
            f"{rng.choice(KO_ENDINGS)} ({i}-{n})"
        )
        desc = " ".join(rng.choice(KO_FILL) for _ in range(25)) + f". 보도 {i}-{n}."
    link = f"http://127.0.0.1:{port}/good/{i:02d}/{n}.html"
    return (
        f"<item><title>{esc(title)}</title><link>{link}</link>"
        f'<guid isPermaLink="false">good-{i}-{n}</guid>'
        f"<pubDate>{rfc822(pub)}</pubDate><description>{esc(desc)}</description></item>\n"
    )


_good_cache = {}
_good_lock = threading.Lock()


def good_feed(i, port):
    """(body bytes, etag, last_modified, content type) at the current minute."""
    m = max(0, (int(time.time()) - T0) // 60)
    key = (i, m)
    with _good_lock:
        hit = _good_cache.get(key)
    if hit:
        return hit
    k = good_rate(i)
    batch = m // good_period(i)
    top = GOOD_ITEMS + batch * k  # items [top-30, top)
    lang = good_lang(i)
    enc = "EUC-KR" if lang == "euckr" else "UTF-8"
    title = {"en": f"Good English feed {i}", "ko": f"좋은 한국어 피드 {i}", "euckr": f"EUC-KR 피드 {i}"}[lang]
    items = "".join(good_item(i, n, port) for n in range(top - 1, top - GOOD_ITEMS - 1, -1))
    xml = (
        f'<?xml version="1.0" encoding="{enc}"?>\n<rss version="2.0"><channel>'
        f"<title>{esc(title)}</title><link>http://127.0.0.1:{port}/good/{i:02d}/</link>"
        f"<description>soak good feed {i}</description>\n{items}</channel></rss>\n"
    )
    body = xml.encode("euc_kr", errors="xmlcharrefreplace") if lang == "euckr" else xml.encode()
    modified = T0 + batch * 60 * good_period(i)
    hit = (body, f'"good-{i}-{top}"', rfc822(modified), modified,
           f"application/rss+xml; charset={enc}")
    with _good_lock:
        _good_cache[key] = hit
        for old in [k2 for k2 in _good_cache if k2[0] == i and k2[1] < m - 1]:
            del _good_cache[old]
    return hit


# ---------------------------------------------------------------------------------------------
# Big feeds: 10,000 items, 20 new a minute, no validators.

_big_items = {i: {} for i in range(1, BIG_FEEDS + 1)}
_big_cache = {}
_big_lock = threading.Lock()


def big_item(i, n, port):
    rng = random.Random(f"big:{i}:{n}")
    words = rng.choices(BIG_VOCAB, k=8)
    title = " ".join(words).capitalize() + f" {n}"
    desc = []
    size = 0
    while size < 290:
        w = rng.choice(BIG_VOCAB)
        desc.append(w)
        size += len(w) + 1
    pub = T0 + (n - BIG_ITEMS) * 60 // BIG_PER_MINUTE
    return (
        f"<item><title>{title}</title><link>http://127.0.0.1:{port}/big/{i}/{n}</link>"
        f"<pubDate>{rfc822(pub)}</pubDate><description>{' '.join(desc)}.</description></item>"
    )


def big_feed(i, port):
    m = max(0, (int(time.time()) - T0) // 60)
    key = (i, m)
    with _big_lock:
        hit = _big_cache.get(key)
        if hit:
            return hit
        top = BIG_ITEMS + m * BIG_PER_MINUTE  # items [top-10000, top)
        cache = _big_items[i]
        parts = []
        for n in range(top - 1, top - BIG_ITEMS - 1, -1):
            s = cache.get(n)
            if s is None:
                s = cache[n] = big_item(i, n, port)
            parts.append(s)
        for n in [n for n in cache if n < top - BIG_ITEMS]:
            del cache[n]
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
            f"<title>Big feed {i}</title><link>http://127.0.0.1:{port}/big/{i}/</link>"
            f"<description>10,000 items</description>\n" + "\n".join(parts) +
            "\n</channel></rss>\n"
        ).encode()
        if len(body) > BODY_LIMIT:
            print(f"soak_server: big feed {i} is {len(body)} bytes, over {BODY_LIMIT}",
                  file=sys.stderr, flush=True)
        _big_cache[key] = body
        for old in [k for k in _big_cache if k[0] == i and k[1] < m]:
            del _big_cache[old]
        return body


# ---------------------------------------------------------------------------------------------
# Hostile feeds


def make_gzip_bomb(total=1 << 30):
    """A gzip stream that inflates to `total` bytes: an RSS prolog, then spaces (~1 MB)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [c.compress(b'<?xml version="1.0"?><rss version="2.0"><channel><title>')]
    chunk = b" " * (1 << 20)
    for _ in range(total >> 20):
        out.append(c.compress(chunk))
    out.append(c.flush())
    return b"".join(out)


XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [
  <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
<rss version="2.0"><channel><title>XXE &xxe;</title><link>http://127.0.0.1/xxe</link>
<description>external entity</description>
<item><title>Leak &xxe;</title><link>http://127.0.0.1/xxe/1</link><guid>xxe-1</guid>
<description>passwd: &xxe;</description></item>
</channel></rss>
"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs &lol9;</title><link>http://127.0.0.1/lol</link>
<description>&lol9;</description>
<item><title>&lol9;</title><link>http://127.0.0.1/lol/1</link><guid>lol-1</guid>
<description>&lol9;</description></item>
</channel></rss>
"""

MALFORMED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Malformed</title>
<item><title>Unclosed <b>bold</title><link>http://127.0.0.1/bad/1</link>
<description><![CDATA[ never closed </description></item>
<item><title attr="no close>Second</title></item>
</channel>
"""


def make_huge_item():
    """One item whose description brings the body to ~64 KiB under the 5 MiB cap."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        b"<title>Huge item</title><link>http://127.0.0.1/huge</link><description>one item"
        b"</description>\n<item><title>The huge item</title><link>http://127.0.0.1/huge/1</link>"
        b"<guid>huge-1</guid><description>"
    )
    tail = b"</description></item>\n</channel></rss>\n"
    room = BODY_LIMIT - 64 * 1024 - len(head) - len(tail)
    sentence = b"Kim Yo-jong says Pyongyang rejects talk of a summit with Japan. "
    text = (sentence * (room // len(sentence) + 1))[:room]
    return head + text + tail


_churn = [0]
_churn_lock = threading.Lock()


def churn_feed(port):
    with _churn_lock:
        _churn[0] += 1
        r = _churn[0]
    now = int(time.time())
    rng = random.Random(f"churn:{r}")
    items = []
    for k in range(30):
        tok = "".join(rng.choices("abcdefghijklmnopqrstuvwxyz", k=12))
        title = f"{rng.choice(EN_SUBJECTS)} {rng.choice(EN_VERBS)} {rng.choice(EN_OBJECTS)} {tok}"
        desc = " ".join(rng.choice(BIG_VOCAB) for _ in range(30))
        items.append(
            f"<item><title>{esc(title)}</title><link>http://127.0.0.1:{port}/churn/{r}/{k}</link>"
            f'<guid isPermaLink="false">churn-{r}-{k}-{tok}</guid>'
            f"<pubDate>{rfc822(now - k)}</pubDate><description>{desc}</description></item>"
        )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Churn</title>'
        f"<link>http://127.0.0.1:{port}/churn/</link><description>all new, always</description>\n"
        + "\n".join(items) + "\n</channel></rss>\n"
    ).encode()


# ---------------------------------------------------------------------------------------------
# HTTP


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "soak/1"
    timeout = 120  # idle keep-alive connections go after two minutes
    gzip_bomb = b""
    huge = b""

    def log_message(self, fmt, *args):
        sys.stderr.write("%.3f %s\n" % (time.time() - T0, fmt % args))

    def send_body(self, body, ctype="application/rss+xml; charset=UTF-8", status=200, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        try:
            self.route()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            self.close_connection = True

    def route(self):
        port = self.server.server_address[1]
        path = self.path.split("?", 1)[0]
        parts = path.strip("/").split("/")
        if len(parts) == 2 and parts[0] == "good" and parts[1].endswith(".xml"):
            i = int(parts[1][:-4])
            if not 1 <= i <= GOOD_FEEDS:
                return self.send_error(404)
            body, etag, lm, modified, ctype = good_feed(i, self.server.main_port)
            inm = self.headers.get("If-None-Match")
            ims = self.headers.get("If-Modified-Since")
            fresh = False
            if inm is not None:
                fresh = etag in [t.strip() for t in inm.split(",")]
            elif ims is not None:
                try:
                    fresh = email.utils.parsedate_to_datetime(ims).timestamp() >= modified
                except (TypeError, ValueError):
                    fresh = False
            if fresh:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Last-Modified", lm)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            return self.send_body(body, ctype, headers=[("ETag", etag), ("Last-Modified", lm)])
        if len(parts) == 2 and parts[0] == "big" and parts[1].endswith(".xml"):
            i = int(parts[1][:-4])
            if not 1 <= i <= BIG_FEEDS:
                return self.send_error(404)
            return self.send_body(big_feed(i, self.server.main_port))
        if parts[0] != "h" or len(parts) != 2:
            return self.send_error(404)
        name = parts[1]
        if name == "gzip-bomb.xml":
            return self.send_body(self.gzip_bomb, headers=[("Content-Encoding", "gzip")])
        if name == "endless.xml":
            return self.endless()
        if name == "slowloris.xml":
            return self.slowloris()
        if name in ("redirect-a.xml", "redirect-b.xml"):
            other = "redirect-b.xml" if name == "redirect-a.xml" else "redirect-a.xml"
            self.send_response(302)
            self.send_header("Location", f"/h/{other}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if name == "xxe.xml":
            return self.send_body(XXE)
        if name == "billion-laughs.xml":
            return self.send_body(LAUGHS)
        if name == "malformed.xml":
            return self.send_body(MALFORMED)
        if name == "huge-item.xml":
            return self.send_body(self.huge)
        if name == "churn.xml":
            return self.send_body(churn_feed(self.server.main_port))
        if name == "unavailable.xml":
            return self.send_body(b"busy\n", "text/plain", 503, [("Retry-After", "3600")])
        return self.send_error(404)

    def endless(self):
        """A 200 whose body never ends (until the client hangs up): item after item, fast."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=UTF-8")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(b'<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Endless</title>\n')
        item = b"<item><title>again</title><description>" + b"x" * 900 + b"</description></item>\n"
        chunk = item * 64
        deadline = time.time() + 600
        while time.time() < deadline:
            self.wfile.write(chunk)

    def slowloris(self):
        """Headers at once, then one byte every 3 seconds (for at most 10 minutes)."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml; charset=UTF-8")
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        self.wfile.flush()
        body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>' + b"z" * 999_900
        deadline = time.time() + 600
        for b in body:
            if time.time() > deadline:
                break
            self.wfile.write(bytes([b]))
            self.wfile.flush()
            time.sleep(3)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--manifest", required=True)
    args = ap.parse_args()

    t = time.time()
    Handler.gzip_bomb = make_gzip_bomb()
    Handler.huge = make_huge_item()
    print(f"soak_server: gzip bomb {len(Handler.gzip_bomb)} bytes (inflates to 1 GiB), "
          f"huge item {len(Handler.huge)} bytes, built in {time.time() - t:.1f}s",
          file=sys.stderr, flush=True)

    main_srv = Server(("127.0.0.1", 0), Handler)
    port = main_srv.server_address[1]
    main_srv.main_port = port
    side = Server(("127.0.0.1", 0), Handler)
    side.main_port = port
    side_port = side.server_address[1]

    # Warm the big feeds' caches so the first polls are not slowed by generation.
    for i in range(1, BIG_FEEDS + 1):
        size = len(big_feed(i, port))
        print(f"soak_server: big feed {i}: {size} bytes", file=sys.stderr, flush=True)

    base = f"http://127.0.0.1:{port}"
    lines = []
    for i in range(1, GOOD_FEEDS + 1):
        lines.append(f"good-{good_lang(i)}-{i:02d} {base}/good/{i:02d}.xml good")
    for i in range(1, BIG_FEEDS + 1):
        lines.append(f"big-{i} {base}/big/{i}.xml big")
    for name in ["gzip-bomb", "endless", "slowloris", "xxe", "billion-laughs", "malformed",
                 "huge-item", "churn"]:
        lines.append(f"h-{name} {base}/h/{name}.xml hostile")
    lines.append(f"h-redirect-loop {base}/h/redirect-a.xml hostile")
    lines.append(f"h-unavailable http://localhost:{side_port}/h/unavailable.xml hostile")
    with open(args.manifest + ".tmp", "w") as f:
        f.write("\n".join(lines) + "\n")
    os.replace(args.manifest + ".tmp", args.manifest)

    threading.Thread(target=side.serve_forever, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(args.port_file + ".tmp", "w") as f:
        f.write(f"{port}\n")
    os.replace(args.port_file + ".tmp", args.port_file)
    print(f"soak_server: listening on 127.0.0.1:{port} (503 feed on localhost:{side_port})",
          file=sys.stderr, flush=True)
    try:
        main_srv.serve_forever()
    finally:
        main_srv.server_close()
        side.server_close()


if __name__ == "__main__":
    main()
