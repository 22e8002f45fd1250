#!/usr/bin/env python3
"""The Thrift ping of `verify.metastore-available`: opens a connection to the Hive Metastore and calls
get_all_databases, PING_ATTEMPTS times (default 3) one second apart, each with a timeout.

  METASTORE_URI      thrift://hive-metastore.lakehouse.svc:9083 (comma-separated URIs: each is pinged)
  PING_ATTEMPTS      default 3
  PING_TIMEOUT_MS    per call, default 10000

Uses the Thrift bindings that pyiceberg's Hive catalog ships (hive_metastore, thrift), so it needs no Java.
Prints one JSON line on stdout:
  {"event":"metastore-ping","ok":true,"attempts":[{"uri":..,"ok":true,"ms":12,"databases":2,"error":null}],...}
Exit codes: 0 every call answered; 3 at least one failed; 2 bad configuration.
"""
import json
import os
import sys
import time
from urllib.parse import urlparse


def emit(result, code):
    print(json.dumps(result, separators=(",", ":")), flush=True)
    sys.exit(code)


def ping(uri, timeout_ms):
    from hive_metastore.ThriftHiveMetastore import Client
    from thrift.protocol import TBinaryProtocol
    from thrift.transport import TSocket, TTransport

    parts = urlparse(uri)
    sock = TSocket.TSocket(parts.hostname, parts.port or 9083)
    sock.setTimeout(timeout_ms)
    transport = TTransport.TBufferedTransport(sock)
    t0 = time.monotonic()
    try:
        transport.open()
        client = Client(TBinaryProtocol.TBinaryProtocol(transport))
        dbs = client.get_all_databases()
        return {"uri": uri, "ok": True, "ms": int((time.monotonic() - t0) * 1000), "databases": len(dbs), "error": None}
    except Exception as e:  # noqa: BLE001 - every failure is an observation
        msg = f"{type(e).__name__}: {e}".strip()
        return {"uri": uri, "ok": False, "ms": int((time.monotonic() - t0) * 1000), "databases": None, "error": msg[:400]}
    finally:
        try:
            transport.close()
        except Exception:  # noqa: BLE001
            pass


def main():
    uris = [u.strip() for u in os.environ.get("METASTORE_URI", "").split(",") if u.strip()]
    bad = [u for u in uris if not u.startswith("thrift://") or not urlparse(u).hostname]
    if not uris or bad:
        emit({"event": "metastore-ping", "ok": False, "error": f"METASTORE_URI is '{os.environ.get('METASTORE_URI', '')}'; expected thrift://HOST:PORT[,thrift://...].", "attempts": []}, 2)
    try:
        n = int(os.environ.get("PING_ATTEMPTS", "3"))
        timeout_ms = int(os.environ.get("PING_TIMEOUT_MS", "10000"))
    except ValueError:
        emit({"event": "metastore-ping", "ok": False, "error": "PING_ATTEMPTS and PING_TIMEOUT_MS must be whole numbers.", "attempts": []}, 2)
    attempts = []
    for i in range(max(1, n)):
        if i:
            time.sleep(1)
        for uri in uris:
            attempts.append(ping(uri, timeout_ms))
    ok = all(a["ok"] for a in attempts)
    emit({"event": "metastore-ping", "ok": ok, "attempts": attempts}, 0 if ok else 3)


if __name__ == "__main__":
    main()
