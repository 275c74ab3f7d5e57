"""Stalled SSE clients for the fan-out benchmark's `stalled` case.

Node cannot set socket options such as SO_RCVBUF or TCP_MAXSEG, and without them a client that
stops reading does not stall the server at all on loopback: the server's kernel send buffer
grows to megabytes per connection and swallows the stream, so the server never sees
backpressure (and a thousand such sockets push the whole machine towards TCP memory pressure).
These clients advertise a tiny receive buffer and a small segment size, read their response
head, then never read again.

Protocol: one JSON line on stdin, {"port", "specs": [{"path", "token"?}], "rcvbuf", "mss"};
one JSON line back once every connection is open or refused, {"opened", "failed", "errors",
"elapsedMs"}; then each "status" line on stdin is answered with {"open": N}, the connections
the server has not closed. End of stdin closes everything.
"""

import json
import select
import socket
import sys
import time

HEAD_END = b"\r\n\r\n"


def open_stalled(port, spec, rcvbuf, mss):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, mss)
    sock.settimeout(30)
    try:
        sock.connect(("127.0.0.1", port))
        lines = [
            "GET %s HTTP/1.1" % spec["path"],
            "Host: 127.0.0.1:%d" % port,
            "Accept: text/event-stream",
        ]
        if spec.get("token"):
            lines.append("Authorization: Bearer %s" % spec["token"])
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        head = b""
        while HEAD_END not in head:
            chunk = sock.recv(1024)
            if not chunk:
                raise ConnectionError("closed before the response head")
            head += chunk
            if len(head) > 16384:
                raise ConnectionError("response head too long")
        status = head.split(b"\r\n", 1)[0].decode("latin-1")
        if not status.startswith("HTTP/1.1 200 "):
            raise ConnectionError(status)
        return sock
    except Exception:
        sock.close()
        raise


def still_open(sockets):
    poller = select.poll()
    for sock in sockets:
        poller.register(sock, select.POLLRDHUP | select.POLLHUP | select.POLLERR)
    closed = {fd for fd, _ in poller.poll(0)}
    return sum(1 for sock in sockets if sock.fileno() not in closed)


def main():
    request = json.loads(sys.stdin.readline())
    start = time.monotonic()
    sockets, errors, failed = [], [], 0
    for spec in request["specs"]:
        try:
            sockets.append(open_stalled(request["port"], spec, request["rcvbuf"], request["mss"]))
        except Exception as error:
            failed += 1
            if len(errors) < 5:
                errors.append(str(error))
    elapsed = (time.monotonic() - start) * 1000
    print(json.dumps({"opened": len(sockets), "failed": failed, "errors": errors, "elapsedMs": elapsed}), flush=True)
    for line in sys.stdin:
        if line.strip() == "status":
            print(json.dumps({"open": still_open(sockets)}), flush=True)
    for sock in sockets:
        sock.close()


if __name__ == "__main__":
    main()
