#!/usr/bin/env python3
"""API goldens of `kimsim serve`, its refusals, and evaluate against `kimsim run`.

  run.py KIMSIM ROOT        (KIMSIM_BLESS=1 rewrites the goldens; review the diff)

Starts `kimsim serve --port 0` on a copy of ROOT/scenarios (plus a link that leads out of the
folder), reads the URL it prints, and:
  1. sends each request of cases/*.http (first line METHOD TARGET, then optional headers, a blank
     line and the body; a body of @huge or @deep is generated) and compares the status and the
     JSON answer, pretty-printed, with cases/NAME.expected; the version and the scenario's
     SHA-256 read as placeholders. After every refused request a valid one must still be answered.
  1b. sends raw requests that no HTTP library writes (bytes that are not UTF-8 in the target, the
     method or the Host header; two Host headers; a Host in capitals) and checks the status, each
     followed by a valid request;
  2. evaluates the patches that the variant files of scenarios/variants/ stand for and checks
     that the allocation per recipient and Baustein and the totals equal `kimsim run` of the file.
  2b. compares /api/explain with `kimsim explain --json` of a variant file;
  3. saves patches as variant files (POST /api/variant) and checks `kimsim run` of them the same way,
     and that each reopens (POST /api/reopen) as a patch that allocates as the saved one;
  5. reopens shipped variants (one the controls cannot reach is refused), and
  6. gets the comparison's report.html (POST /api/report);
  4. stops the server with SIGTERM and checks that it exits with 0.
"""
import csv, glob, http.client, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time

kimsim, root = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
here = os.path.dirname(os.path.realpath(__file__))
bless = os.environ.get("KIMSIM_BLESS") == "1"
work = tempfile.mkdtemp()
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL:", msg)


shutil.copytree(os.path.join(root, "scenarios"), os.path.join(work, "scenarios"), symlinks=True)
with open(os.path.join(work, "outside.yaml"), "w") as f:
    f.write("scenario: outside\n")
os.symlink("../outside.yaml", os.path.join(work, "scenarios", "escape.yaml"))

server = subprocess.Popen([kimsim, "serve", "scenarios", "--port", "0"], cwd=work, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)
try:
    line = server.stdout.readline()
    m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not m:
        sys.exit("serve: no URL in its first line: " + repr(line) + server.stderr.read())
    port = int(m.group(1))

    def request(method, target, body=b"", headers=None):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        c.request(method, target, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, r.getheader("Content-Type"), r.getheader("Access-Control-Allow-Origin"), data

    def masked(data):
        try:
            j = json.loads(data)
        except ValueError:
            return data.decode("utf-8", "replace")

        def walk(v):
            if isinstance(v, dict):
                for k in list(v):
                    if k == "kimsim_version":
                        v[k] = "@version@"
                    elif k == "scenario_sha256":
                        v[k] = "@sha256@"
                    else:
                        walk(v[k])
            elif isinstance(v, list):
                for x in v:
                    walk(x)
        walk(j)
        text = json.dumps(j, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
        # Inside texts too (the saved variant records both).
        text = re.sub(r"\b[0-9a-f]{64}\b", "@sha256@", text)
        return re.sub(r"kimsim serve \d+\.\d+\.\d+", "kimsim serve @version@", text)

    valid = json.dumps({"scenario": "kim-nrw-2021", "patch": {"bausteine[B2].rate_per_vza_eur": "57000.00"}}).encode()
    _, _, _, reference = request("POST", "/api/evaluate", valid)

    # The page: served at /, self-contained (no address of another host in it: no CDN).
    status, ctype, _, page = request("GET", "/")
    if status != 200 or not ctype.startswith("text/html") or b"<!DOCTYPE html>" not in page:
        fail("GET / did not answer the page")
    if re.search(rb"(src|href)\s*=\s*[\"']?(https?:)?//", page) or b"https://" in page:
        fail("the page refers to another host")
    for needle in (b"/api/scenarios", b"/api/evaluate", b"/api/explain", b"/api/variant", b'lang="de"'):
        if needle not in page:
            fail("the page lacks " + needle.decode())

    # 1. goldens
    for case in sorted(glob.glob(os.path.join(here, "cases", "*.http"))):
        name = os.path.basename(case)[:-5]
        text = open(case, encoding="utf-8").read()
        head, _, body = text.partition("\n\n")
        lines = head.split("\n")
        method, target = lines[0].split(" ", 1)
        headers = dict(l.split(": ", 1) for l in lines[1:] if l)
        body = body.strip()
        if body == "@huge":
            body = json.dumps({"scenario": "kim-nrw-2021", "patch": {}, "pad": "x" * 100000})
        elif body == "@deep":
            body = json.dumps({"scenario": "kim-nrw-2021"})[:-1] + ', "patch": ' + "[" * 50 + "]" * 50 + "}"
        status, ctype, cors, data = request(method, target, body.encode(), headers)
        got = "HTTP {} {}\n{}".format(status, ctype, masked(data))
        if cors is not None:
            fail(name + ": a CORS header was sent")
        expected_file = os.path.join(here, "cases", name + ".expected")
        if bless:
            open(expected_file, "w", encoding="utf-8").write(got)
        elif not os.path.exists(expected_file) or open(expected_file, encoding="utf-8").read() != got:
            fail(name + ": the answer differs from " + expected_file + ":\n" + got[:3000])
        if status >= 400:
            s2, _, _, again = request("POST", "/api/evaluate", valid)
            if s2 != 200 or again != reference:
                fail(name + ": after the refused request the server did not answer the valid one alike")

    # 1b. raw requests: what a client can send that an HTTP library would not
    def raw(data):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(data)
        r = http.client.HTTPResponse(s)
        r.begin()
        body = r.read()
        s.close()
        return r.status, body

    host = "Host: 127.0.0.1:{}".format(port).encode()

    def post_json(body, content_type=b"application/json"):
        return (b"POST /api/evaluate HTTP/1.1\r\n" + host + b"\r\nContent-Type: " + content_type +
                b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    raws = [
        ("non-UTF-8 target", b"GET /\xff HTTP/1.1\r\n" + host + b"\r\n\r\n", 404),
        ("non-UTF-8 target of a POST", b"PUT /api/scenarios\xff HTTP/1.1\r\n" + host + b"\r\nContent-Length: 0\r\n\r\n", 404),
        ("non-UTF-8 method", b"G\xffT /api/scenarios HTTP/1.1\r\n" + host + b"\r\n\r\n", 400),
        ("non-UTF-8 Host", b"GET / HTTP/1.1\r\nHost: a\x80b\r\n\r\n", 400),
        # RFC 9112 3.2: no Host, an empty one or one that is no host by the grammar: 400.
        ("no Host", b"GET /api/scenarios HTTP/1.1\r\n\r\n", 400),
        ("an empty Host", b"GET /api/scenarios HTTP/1.1\r\nHost:\r\n\r\n", 400),
        ("a list as Host", "GET / HTTP/1.1\r\nHost: 127.0.0.1:{}, evil.example\r\n\r\n".format(port).encode(), 400),
        ("user info in Host", "GET / HTTP/1.1\r\nHost: evil@127.0.0.1:{}\r\n\r\n".format(port).encode(), 400),
        # A trailer of a chunked body escaped the header limit and the server died of it
        # (Beast threw out of the handler); chunked bodies are refused before they are read.
        ("a chunked body's long trailer", b"GET / HTTP/1.1\r\n" + host + b"\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: " + b"a" * 65534 + b"\r\n\r\n", 411),
        ("a chunked POST", b"POST /api/evaluate HTTP/1.1\r\n" + host + b"\r\nContent-Type: application/json\r\n" + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", 411),
        ("a transfer coding other than chunked last", b"POST /api/evaluate HTTP/1.1\r\n" + host + b"\r\nContent-Type: application/json\r\n" + b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
        ("an expectation other than 100-continue", b"POST /api/evaluate HTTP/1.1\r\n" + host + b"\r\nContent-Type: application/json\r\n" + b"Expect: foo\r\nContent-Length: 2\r\n\r\n{}", 417),
        ("a NUL byte after the JSON body", post_json(b'{"scenario": "kim-nrw-2021"}\x00{"x": ['), 400),
        ("a request line over the limit", b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n" + host + b"\r\n\r\n", 414),
        ("header fields over the limit", b"GET /api/scenarios HTTP/1.1\r\n" + host + b"\r\nCookie: " + b"a" * 70000 + b"\r\n\r\n", 431),
        ("an absolute-form target", "GET http://127.0.0.1:{0}/api/scenarios HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n".format(port).encode(), 200),
        ("an absolute-form target of another host", "GET http://evil.example:{0}/api/scenarios HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n".format(port).encode(), 403),
        ("an empty line before the request", b"\r\nGET /api/scenarios HTTP/1.1\r\n" + host + b"\r\n\r\n", 200),
        ("600 empty lines before the request", b"\r\n" * 600 + b"GET /api/scenarios HTTP/1.1\r\n" + host + b"\r\n\r\n", 200),
        ("an absolute-form target with a query and no path", "GET http://127.0.0.1:{0}?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n".format(port).encode(), 200),
        ("an absolute-form target with user info", "GET http://u:p@127.0.0.1:{0}/ HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n".format(port).encode(), 400),
        ("an absolute-form target without a host", "GET http:///api/scenarios HTTP/1.1\r\nHost: 127.0.0.1:{0}\r\n\r\n".format(port).encode(), 400),
        ("a tab before the Content-Type's parameter", post_json(valid, b"application/json\t;charset=utf-8"), 200),
        ("two Host headers", b"GET /api/scenarios HTTP/1.1\r\n" + host + b"\r\nHost: evil.example\r\n\r\n", 400),
        ("Host in capitals", "GET /api/scenarios HTTP/1.1\r\nHost: LOCALHOST:{}\r\n\r\n".format(port).encode(), 200),
    ]
    for label, data, want in raws:
        try:
            got, body = raw(data)
        except Exception as e:  # no answer at all: the server died or hung up
            got, body = None, repr(e).encode()
        if got != want:
            fail("raw request, {}: expected {}, got {}: {}".format(label, want, got, body[:300]))
        if got and got >= 400:
            try:
                json.loads(body)
            except ValueError:
                fail("raw request, {}: the answer is no JSON: {}".format(label, body[:300]))
        s2, _, _, again = request("POST", "/api/evaluate", valid)
        if s2 != 200 or again != reference:
            fail("raw request, " + label + ": afterwards the server did not answer the valid request alike")

    # Whole exchanges: everything the server sends until it closes the connection.
    def exchange(data, timeout=15):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        s.sendall(data)
        got = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    return got, True
                got += chunk
        except socket.timeout:
            return got, False  # still open after 15 s
        finally:
            s.close()

    # Request smuggling: with a transfer coding that is not chunked last, the body's end is
    # unknown; the body was read as a second request and answered. One answer, 400, closed.
    got, closed = exchange(post_json(b"")[:-len(b"Content-Length: 0\r\n\r\n")] + b"Transfer-Encoding: xchunked\r\n\r\n" +
                           b"GET /api/smuggled HTTP/1.1\r\n" + host + b"\r\nConnection: close\r\n\r\n")
    if not got.startswith(b"HTTP/1.1 400 ") or got.count(b"HTTP/1.1 ") != 1 or b"smuggled" in got or not closed:
        fail("a Transfer-Encoding not chunked last: expected one 400 and the connection closed, got " + repr(got[:600]))
    # Connection is a list: "close" on a second line closes the connection too (RFC 9112 9.6).
    got, closed = exchange(b"GET /api/scenarios HTTP/1.1\r\n" + host + b"\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n")
    if not got.startswith(b"HTTP/1.1 200 ") or not closed:
        fail("Connection: close on a second line: expected 200 and the connection closed, got {!r} (closed: {})".format(got[:200], closed))
    # An empty line whose CR and LF arrive apart (TCP may cut there) before the next request on
    # the connection: passed over, the request answered (Beast alone refused the lone CR).
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    s.sendall(b"GET /api/scenarios HTTP/1.1\r\n" + host + b"\r\n\r\n")
    first = http.client.HTTPResponse(s)
    first.begin()
    first.read()
    for part in (b"\r", b"\n\r", b"\nGET /api/scenarios HTTP/1.1\r\n" + host + b"\r\nConnection: close\r\n\r\n"):
        s.sendall(part)
        time.sleep(0.2)
    second = http.client.HTTPResponse(s)
    second.begin()
    second.read()
    s.close()
    if (first.status, second.status) != (200, 200):
        fail("empty lines cut between CR and LF before a request: expected 200 and 200, got {} and {}".format(first.status, second.status))
    # HTTP/1.0 with keep-alive: the kept connection is said, or a 1.0 client waits for the close.
    got, _ = exchange(b"GET /api/scenarios HTTP/1.0\r\n" + host + b"\r\nConnection: keep-alive\r\n\r\n", timeout=2)
    if b"\r\nConnection: keep-alive\r\n" not in got.partition(b"\r\n\r\n")[0]:
        fail("HTTP/1.0 keep-alive: the answer does not say Connection: keep-alive: " + repr(got[:300]))
    # A HEAD refused by its header alone has no body either (RFC 9110 9.3.2).
    for label, data in (("too large", b"HEAD / HTTP/1.1\r\n" + host + b"\r\nContent-Length: 70000\r\n\r\n"),
                        ("a bad Content-Length", b"HEAD / HTTP/1.1\r\n" + host + b"\r\nContent-Length: abc\r\n\r\n")):
        got, closed = exchange(data)
        head, _, rest = got.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 4") or rest or not closed:
            fail("HEAD refused, {}: expected a 4xx without a body, got {!r}".format(label, got[:400]))

    # Bound to every address: the printed URL is this machine's, any IP literal with the port is
    # this server (a colleague's http://ADDRESS:PORT/), a DNS name other than localhost is not.
    wild = subprocess.Popen([kimsim, "serve", "scenarios", "--port", "0", "--bind", "0.0.0.0"], cwd=work, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        m2 = re.search(r"http://127\.0\.0\.1:(\d+)/", wild.stdout.readline())
        if not m2:
            fail("--bind 0.0.0.0: no URL of this machine printed")
        else:
            p2 = m2.group(1)
            for h, want in (("127.0.0.1:" + p2, 200), ("192.0.2.7:" + p2, 200), ("localhost:" + p2, 200),
                            ("evil.example:" + p2, 403), ("192.0.2.7:1" + p2, 403)):
                c = http.client.HTTPConnection("127.0.0.1", int(p2), timeout=30)
                c.request("GET", "/api/scenarios", headers={"Host": h})
                got = c.getresponse().status
                c.close()
                if got != want:
                    fail("--bind 0.0.0.0, Host {}: expected {}, got {}".format(h, want, got))
    finally:
        wild.send_signal(signal.SIGTERM)
        wild.wait(timeout=10)

    # Cookies of other local tools: 12 KB of headers are answered.
    s3, _, _, _ = request("GET", "/api/scenarios", headers={"Cookie": "x=" + "a" * 12000})
    if s3 != 200:
        fail("a request with 12 KB of cookies answered " + str(s3))

    # A variants/ that is a link out of the served folder: its files are not read.
    linked = os.path.join(work, "linked")
    os.makedirs(os.path.join(work, "elsewhere"))
    shutil.copy(os.path.join(root, "scenarios", "variants", "rate-57000.yaml"), os.path.join(work, "elsewhere"))
    shutil.copytree(os.path.join(work, "scenarios"), linked, symlinks=True, ignore=shutil.ignore_patterns("variants"))
    os.symlink("../elsewhere", os.path.join(linked, "variants"))
    other = subprocess.Popen([kimsim, "serve", "linked", "--port", "0"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p4 = int(re.search(r":(\d+)/", other.stdout.readline()).group(1))
        c = http.client.HTTPConnection("127.0.0.1", p4, timeout=30)
        c.request("POST", "/api/reopen", body=b'{"variant": "rate-57000"}', headers={"Content-Type": "application/json"})
        r = c.getresponse()
        answer = r.read().decode()
        c.close()
        if r.status != 404 or "elsewhere" in answer:
            fail("a variants/ linked out of the folder: expected 404 without reading it, got " + str(r.status) + " " + answer)
    finally:
        other.send_signal(signal.SIGTERM)
        other.wait(timeout=10)

    # The served folder gone while serving: 503 for what needs it, the cached bases still answer.
    shutil.copytree(os.path.join(work, "scenarios"), os.path.join(work, "gone"), symlinks=True)
    gone = subprocess.Popen([kimsim, "serve", "gone", "--port", "0"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p3 = int(re.search(r":(\d+)/", gone.stdout.readline()).group(1))
        def ask(method, target, body=b""):
            c = http.client.HTTPConnection("127.0.0.1", p3, timeout=30)
            c.request(method, target, body=body, headers={"Content-Type": "application/json"})
            r = c.getresponse()
            r.read()
            c.close()
            return r.status
        first = ask("POST", "/api/evaluate", valid)
        os.rename(os.path.join(work, "gone"), os.path.join(work, "gone-away"))
        got = (first, ask("GET", "/api/scenarios"), ask("POST", "/api/evaluate", json.dumps({"scenario": "kim-nrw"}).encode()),
               ask("POST", "/api/evaluate", valid))
        if got != (200, 503, 503, 200):
            fail("the folder gone: expected 200, 503, 503, 200, got " + repr(got))
    finally:
        gone.send_signal(signal.SIGTERM)
        gone.wait(timeout=10)

    # The chart is the report's SVG, the flags its wording.
    answer = json.loads(reference)
    if not answer.get("chart_svg", "").startswith("<figure>") or '<svg id="c-diverging-1"' not in answer["chart_svg"]:
        fail("evaluate carries no diverging chart of the report")

    # A 405 names the method the resource takes (Allow), as HTTP requires.
    for method, target, allow in (("PUT", "/api/scenarios", "GET, HEAD"), ("GET", "/api/evaluate", "POST")):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request(method, target, headers={"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        c.close()
        if r.status != 405 or r.getheader("Allow") != allow:
            fail("{} {}: expected 405 with Allow: {}, got {} with Allow: {}".format(method, target, allow, r.status, r.getheader("Allow")))

    # HEAD: the headers of GET with its Content-Length, and no body. On one keep-alive
    # connection, so that a body sent after HEAD's headers would be read as the next answer.
    for target in ("/", "/api/scenarios"):
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        c.request("GET", target)
        r = c.getresponse()
        got_body, got_type = r.read(), r.getheader("Content-Type")
        c.request("HEAD", target)
        r = c.getresponse()
        head = (r.status, r.getheader("Content-Type"), r.getheader("Content-Length"), r.read())
        c.request("GET", target)
        r = c.getresponse()
        again = (r.status, r.read())
        c.close()
        if head != (200, got_type, str(len(got_body)), b"") or again != (200, got_body):
            fail("HEAD {}: expected 200, {}, Content-Length {} and no body, then GET alike; got {} then {}".format(
                target, got_type, len(got_body), head[:3], again[0]))
    # HEAD of a resource that takes POST: 405 with Allow: POST; and no answer to HEAD has a body
    # (every byte until the server closes is the header).
    for target, want in (("/api/evaluate", b"HTTP/1.1 405 "), ("/", b"HTTP/1.1 200 "), ("/nowhere", b"HTTP/1.1 404 ")):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"HEAD " + target.encode() + b" HTTP/1.1\r\n" + host + b"\r\nConnection: close\r\n\r\n")
        answer = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
        s.close()
        allow_ok = target != "/api/evaluate" or b"\r\nAllow: POST\r\n" in answer
        if not answer.startswith(want) or not answer.endswith(b"\r\n\r\n") or answer.count(b"\r\n\r\n") != 1 or not allow_ok:
            fail("HEAD {}: expected {!r}{} and no body, got {!r}".format(target, want, " with Allow: POST" if target == "/api/evaluate" else "",
                                                                        answer[-300:]))

    # Expect: 100-continue (curl asks for it before a large body): "100 Continue" before the body
    # is sent, the answer after it; a body over the limit refused with 413 before it is sent, as is
    # a request that its header refuses (a Host of another name).
    def expect_continue(length, host_header=host):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.sendall(b"POST /api/evaluate HTTP/1.1\r\n" + host_header + b"\r\nContent-Type: application/json\r\n"
                  b"Expect: 100-continue\r\nContent-Length: " + str(length).encode() + b"\r\n\r\n")
        first = b""
        while not first.endswith(b"\r\n\r\n"):  # byte by byte: the final answer may follow
            ch = s.recv(1)
            if not ch:
                break
            first += ch
        return s, first
    s, first = expect_continue(len(valid))
    if first != b"HTTP/1.1 100 Continue\r\n\r\n":
        fail("Expect: 100-continue: expected HTTP/1.1 100 Continue before the body, got " + repr(first[:200]))
    else:
        s.sendall(valid)
        r = http.client.HTTPResponse(s)
        r.begin()
        if r.status != 200 or r.read() != reference:
            fail("Expect: 100-continue: the answer after the body differs from evaluate's")
    s.close()
    for label, length, host_header, want in (("a body over the limit", 100000, host, b"HTTP/1.1 413 "),
                                             ("a Host of another name", len(valid), b"Host: evil.example", b"HTTP/1.1 403 ")):
        s, first = expect_continue(length, host_header)
        if not first.startswith(want):
            fail("Expect: 100-continue with {}: expected {!r} before any body was sent, got {!r}".format(label, want, first[:200]))
        s.close()
    if shutil.which("curl"):
        # curl itself: the body of 2 KB sent once the 100 came (--expect100-timeout: a server
        # that sent none would be waited for 9 s and then sent the body anyway).
        big = json.dumps({"scenario": "kim-nrw-2021", "patch": {"bausteine[B2].rate_per_vza_eur": "57000.00"}}) + " " * 2000
        out = subprocess.run(["curl", "-sv", "--expect100-timeout", "9", "-H", "Content-Type: application/json",
                              "-H", "Expect: 100-continue", "--data-binary", "@-", "-o", "/dev/null", "-w", "%{http_code}",
                              "http://127.0.0.1:{}/api/evaluate".format(port)], input=big, capture_output=True, text=True)
        if out.stdout != "200" or "< HTTP/1.1 100 Continue" not in out.stderr:
            fail("curl with Expect: 100-continue: expected 100 Continue, then 200; got " + out.stdout + "\n" + out.stderr[-1500:])
        over = subprocess.run(["curl", "-s", "--expect100-timeout", "9", "-H", "Content-Type: application/json", "--data-binary", "@-",
                               "-H", "Expect: 100-continue", "-o", "/dev/null", "-w", "%{http_code}",
                               "http://127.0.0.1:{}/api/evaluate".format(port)], input=" " * 100000, capture_output=True, text=True)
        if over.stdout != "413":
            fail("curl with Expect: 100-continue and 100 KB: expected 413, got " + over.stdout)
    else:
        print("serve: curl is not installed: the Expect checks ran over a socket only")

    # Every input an answer depends on, with its SHA-256, as manifest.json of `kimsim run` lists them.
    subprocess.run([kimsim, "run", os.path.join("scenarios", "kim-nrw-2021.yaml"), "--out", os.path.join(work, "run-manifest")],
                   cwd=work, check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(work, "run-manifest", "manifest.json"), encoding="utf-8") as f:
        manifest = json.load(f)
    answer = json.loads(reference)
    if answer.get("inputs") != manifest["inputs"] or answer.get("scenario_sha256") != manifest["scenario_sha256"]:
        fail("evaluate's inputs differ from manifest.json of kimsim run: " + json.dumps(answer.get("inputs")) + " vs " +
             json.dumps(manifest["inputs"]))

    # 2. evaluate == kimsim run of the variant file the patch stands for
    rate = "57000.00"
    variants = {
        "rate-57000": {"bausteine[B1].rate_per_vza_eur": rate, "bausteine[B2].rate_per_vza_eur": rate,
                       "bausteine[B3].rate_per_vza_eur": rate},
        "hamilton": {"bausteine[B2].positions_by_key.method": "hamilton", "bausteine[B3].positions_by_key.method": "hamilton"},
        "no-pass-through": {"bausteine[B2].pass_through": False},
        "budget-75m": {"budget_eur": "75000000.00"},
        "b2-min-5-vza": {"bausteine[B2].positions_by_key.min_vza": 5.0},
    }
    def rows_of_run(out):
        rows = {}
        with open(os.path.join(out, "allocation.csv"), encoding="utf-8") as f:
            for row in csv.DictReader(f):
                key = (row["ags"], row["baustein"])
                halves, cents = rows.get(key, (0, 0))
                rows[key] = (halves + round(float(row["positions"]) * 2), cents + int(row["euros"].replace(".", "")))
        return rows

    def same_as_run(label, variant_file, patch, scenario="kim-nrw-2021", year=None, run_args=()):
        out = os.path.join(work, "run-" + label)
        subprocess.run([kimsim, "run", variant_file, "--out", out, *run_args], cwd=work, check=True, stdout=subprocess.DEVNULL)
        expected = rows_of_run(out)
        body = {"scenario": scenario, "patch": patch}
        if year is not None:
            body["year"] = year
        status, _, _, data = request("POST", "/api/evaluate", json.dumps(body).encode())
        if status != 200:
            fail(label + ": evaluate answered " + str(status) + ": " + data.decode())
            return
        got = {}
        for r in json.loads(data)["recipients"]:
            if r["positions"] == "0.0" and r["euros"] == "0.00" and (r["ags"], r["baustein"]) not in expected:
                continue  # a recipient of the base that the patch leaves without a share
            key = (r["ags"], r["baustein"])
            halves, cents = got.get(key, (0, 0))
            got[key] = (halves + round(float(r["positions"]) * 2), cents + int(r["euros"].replace(".", "")))
        if got != expected:
            diff = sorted(set(got.items()) ^ set(expected.items()))[:6]
            fail(label + ": evaluate differs from kimsim run of " + variant_file + ": " + repr(diff))
        else:
            print("evaluate == kimsim run:", label, "(", len(got), "rows )")

    for variant, patch in variants.items():
        same_as_run(variant, os.path.join("scenarios", "variants", variant + ".yaml"), patch)
    # A year: the base of that year equals `kimsim run --year`.
    for y in (2020, 2023, 2025):
        same_as_run("year-{}".format(y), os.path.join("scenarios", "kim-nrw.yaml"), {}, "kim-nrw", y, ("--year", str(y)))
    # The key normalises its weights: halved (summing to 0.5), they allocate as the base.
    same_as_run("halved-key", os.path.join("scenarios", "fluag-integrationspauschale.yaml"),
                {"bausteine[IP].money_by_key.key.population": "0.45", "bausteine[IP].money_by_key.key.area_km2": "0.05"},
                "fluag-integrationspauschale")

    # The trace of /api/explain equals `kimsim explain --json` of the variant file the patch stands
    # for (the places aside: the server's name where the base set the value).
    def steps(j):
        return [(b["id"], b["positions"], b["cents"], [(st["label"], st["value"]) for st in b["steps"]]) for b in j["bausteine"]]
    cli = json.loads(subprocess.run([kimsim, "explain", os.path.join("scenarios", "variants", "rate-57000.yaml"), "05978",
                                     "--baustein", "B2", "--json"], cwd=work, check=True, capture_output=True, text=True).stdout)
    status, _, _, data = request("POST", "/api/explain", json.dumps({"scenario": "kim-nrw-2021", "ags": "05978", "baustein": "B2",
                                                                     "patch": variants["rate-57000"]}).encode())
    if status != 200 or steps(json.loads(data)["explain"]) != steps(cli):
        fail("/api/explain differs from kimsim explain --json of variants/rate-57000.yaml")
    else:
        print("explain == kimsim explain: 05978 B2 under rate-57000")

    # 3. the round trip: a patch saved as a variant file (POST /api/variant) into variants/, then
    # `kimsim run` of that file allocates as evaluate does.
    saved = {
        "mixed": {"bausteine[B2].rate_per_vza_eur": "57000.00", "bausteine[B2].positions_by_key.key.population": "0.5",
                  "bausteine[B1].budget_eur": "21000000.00", "bausteine[B2].pass_through": False,
                  "bausteine[B3].positions_by_key.min_vza": "1.5", "bausteine[B3].positions_by_key.method": "hamilton"},
        "total": {"budget_eur": "61234567.89", "bausteine[B2].positions_by_key.base_vza": "2.0"},
        "none": {},
    }
    saved_year = {"year-2023": ("kim-nrw", 2023, {"bausteine[B2].positions_by_key.key.population": "0.300",
                                                   "bausteine[B2].positions_by_key.key.schutzsuchende": "0.700",
                                                   "bausteine[B1].rate_per_vza_eur": "58000.00"})}
    def allocation_of(body):
        status, _, _, data = request("POST", "/api/evaluate", json.dumps(body).encode())
        return status, {(r["ags"], r["baustein"]): (r["positions"], r["euros"]) for r in json.loads(data).get("recipients", [])}

    def reopened(label, patch, scenario, year=None):
        """The saved file reopened (POST /api/reopen): its base and year, and a patch that allocates as the saved one."""
        status, _, _, data = request("POST", "/api/reopen", json.dumps({"variant": "saved-" + label}).encode())
        if status != 200:
            fail("reopen " + label + ": answered " + str(status) + ": " + data.decode())
            return
        back = json.loads(data)
        if back["scenario"] != scenario or (year is not None and back["year"] != year):
            fail("reopen " + label + ": base " + back["scenario"] + " " + str(back["year"]))
        want = allocation_of({"scenario": scenario, "year": back["year"], "patch": patch})
        got = allocation_of({"scenario": scenario, "year": back["year"], "patch": back["patch"]})
        if want != got or want[0] != 200:
            fail("reopen " + label + ": the reopened patch " + json.dumps(back["patch"]) + " allocates otherwise")
        else:
            print("reopen == saved:", label)

    # Each saved into variants/, run, reopened. A year other than the base's own is written in the
    # variant: a plain run and one with --year both reproduce it.
    cases = [(label, scenario, year, patch) for label, (scenario, year, patch) in saved_year.items()]
    cases += [(label, "kim-nrw-2021", None, patch) for label, patch in saved.items()]
    for label, scenario, year, patch in cases:
        body = {"scenario": scenario, "patch": patch, "name": "saved-" + label}
        if year is not None:
            body["year"] = year
        status, _, _, data = request("POST", "/api/variant", json.dumps(body).encode())
        if status != 200:
            fail("variant " + label + ": answered " + str(status) + ": " + data.decode())
            continue
        answer = json.loads(data)
        path = os.path.join(work, "scenarios", answer["file"])
        with open(path, "w", encoding="utf-8") as f:
            f.write(answer["yaml"])
        same_as_run("saved-" + label, path, patch, scenario, year)
        if year is not None:
            same_as_run("saved-" + label + "-with-year", path, patch, scenario, year, ("--year", str(year)))
        reopened(label, patch, scenario, year)
        os.remove(path)

    # 5. the shipped variants: those the controls reach reopen as their patch; the FlüAG key (an
    # indicator the base's key lacks, and a cap) is refused with the command that runs it.
    status, _, _, data = request("POST", "/api/reopen", b'{"variant": "rate-57000"}')
    if status != 200 or json.loads(data)["patch"] != variants["rate-57000"]:
        fail("reopen rate-57000: " + str(status) + " " + data.decode())
    status, _, _, data = request("POST", "/api/reopen", b'{"variant": "b2-fluag-key"}')
    if status != 422 or "kimsim run" not in json.loads(data).get("hint", ""):
        fail("reopen b2-fluag-key: expected 422 with the run command, got " + str(status) + " " + data.decode())

    # 6. the comparison's report: the page `kimsim compare` writes, of the what-if.
    status, headers, _, data = request("POST", "/api/report", json.dumps({"scenario": "kim-nrw-2021",
                                                                       "patch": variants["rate-57000"]}).encode())
    if status != 200 or b'"kind":"compare"' not in data or b'<html lang="de"' not in data:
        fail("report: expected the comparison's report.html, got " + str(status) + " " + data[:300].decode(errors="replace"))
    else:
        print("report: the comparison's report.html,", len(data), "bytes")
finally:
    # 4. a clean stop
    server.send_signal(signal.SIGTERM)
    try:
        rc = server.wait(timeout=10)
        if rc != 0:
            fail("serve exited with " + str(rc) + " on SIGTERM: " + server.stderr.read())
    except subprocess.TimeoutExpired:
        server.kill()
        fail("serve did not stop on SIGTERM")
    shutil.rmtree(work, ignore_errors=True)

if failures:
    sys.exit("serve: {} failure(s)".format(len(failures)))
print("serve: all answers as expected")
