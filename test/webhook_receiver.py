#!/usr/bin/env python3
"""Local webhook receiver for tests: records every POST and answers as the path says.

Path /<case>/<answers>: the n-th request to that path gets the n-th answer (the last one repeats). An answer is
an HTTP status (200, 500, 400, ...), 429-N (429 with Retry-After: N) or hang (no answer for 30 s). Each request
is appended to the log file as one JSON line {"path": ..., "body": ...}. Listens on 127.0.0.1, on --port or a port
chosen by the OS, written to the port file; exits after --lifetime seconds at most."""
import argparse, json, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {}
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8", "replace")
        with lock:
            n = counts.get(self.path, 0)
            counts[self.path] = n + 1
            with open(self.server.log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path, "body": body}, ensure_ascii=False) + "\n")
        answers = self.path.strip("/").split("/")[-1].split(",")
        answer = answers[min(n, len(answers) - 1)]
        if answer == "hang":
            time.sleep(30)
            return
        status, _, retry = answer.partition("-")
        self.send_response(int(status) if status.isdigit() else 200)
        if retry:
            self.send_header("Retry-After", retry)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--log", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--lifetime", type=int, default=1800)
    p.add_argument("--port", type=int, default=0)
    a = p.parse_args()
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    server.daemon_threads = True
    server.log = a.log
    open(a.log, "a").close()
    with open(a.port_file, "w") as f:
        f.write(str(server.server_address[1]))
    threading.Timer(a.lifetime, server.shutdown).start()
    server.serve_forever()


if __name__ == "__main__":
    main()
