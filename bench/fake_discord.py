"""A fake Discord for the chat benchmark: answers webhook POSTs with 204, and one in ten
with 429 and `retry_after` (as Discord's rate limiter does); logs what it accepted.

    python bench/fake_discord.py --port 8765 --log accepted.txt [--retry-after 0.5]
"""

import argparse
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = re.compile(rb"bench-c\d+")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--retry-after", type=float, default=0.5)
    parser.add_argument("--every", type=int, default=10, help="answer 429 to one in this many")
    args = parser.parse_args()
    lock = threading.Lock()
    counter = {"n": 0}
    log = open(args.log, "a", buffering=1)  # noqa: SIM115 - open for the server's life

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                counter["n"] += 1
                limited = counter["n"] % args.every == 0
            if limited:
                answer = json.dumps({"retry_after": args.retry_after, "global": False}).encode()
                self.send_response(429)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)
                log.write(f"429 {time.time():.4f}\n")
                return
            found = TOKEN.search(body)
            log.write(f"204 {time.time():.4f} {found.group().decode() if found else '-'}\n")
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
