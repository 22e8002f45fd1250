#!/usr/bin/env python3
"""The abandoned-lock probe of `verify.metastore-lock-timeout`: does the metastore release a table lock whose
writer died?

It lists the metastore's locks (the oldest-lock figures), takes an exclusive table lock on a scratch table name
(no such table needs to exist; nothing else ever uses the name), then drops its connection without unlocking and
without ever heartbeating, exactly what a Spark driver killed mid-commit leaves behind. It then polls the
metastore (new connections) until the lock is gone, and reports how long that took. If the lock outlives
WAIT_SECONDS it unlocks it itself, so a failed check leaves nothing behind.

  METASTORE_URI               thrift://hive-metastore.lakehouse.svc:9083
  LOCK_TABLE                  the scratch table name, e.g. abandoned_<run id>
  LOCK_DATABASE               default lakehouse_verify_locks
  LOCK_TIMEOUT_SECONDS        the metastore's metastore.txn.timeout (lakehouse:foundation.metastoreLockTimeoutSeconds)
  LOCK_RELEASE_BOUND_SECONDS  by when the lock must be gone; default the timeout + 30 (one housekeeping run)
  WAIT_SECONDS                how long to wait at most; default the bound + 60
  POLL_SECONDS                default 5
  CALL_TIMEOUT_MS             per Thrift call, default 10000

Uses the Thrift bindings that pyiceberg's Hive catalog ships (hive_metastore, thrift), so it needs no Java.
Ages are measured with the metastore database's clock (the lock rows' own timestamps), never this pod's.
Prints one JSON line on stdout:
  {"event":"metastore-lock-timeout","ok":true,"lockId":7,"releasedAfterSeconds":62.1,"boundSeconds":330,...,
   "locks":{"count":0,"oldestHeldSeconds":null,"oldestSilentSeconds":null,"oldest":null}}
Exit codes: 0 the lock was released (the check compares the time with the bound); 3 it was not released
within WAIT_SECONDS; 1 the metastore could not be used; 2 bad configuration.
"""
import json
import os
import re
import socket
import sys
import time
from urllib.parse import urlparse

EVENT = "metastore-lock-timeout"


def emit(result, code):
    print(json.dumps({"event": EVENT, **result}, separators=(",", ":")), flush=True)
    sys.exit(code)


def log(msg):
    print(f"metastore_lock_timeout: {msg}", file=sys.stderr, flush=True)


def connect(uri, timeout_ms):
    from hive_metastore.ThriftHiveMetastore import Client
    from thrift.protocol import TBinaryProtocol
    from thrift.transport import TSocket, TTransport

    parts = urlparse(uri)
    sock = TSocket.TSocket(parts.hostname, parts.port or 9083)
    sock.setTimeout(timeout_ms)
    transport = TTransport.TBufferedTransport(sock)
    transport.open()
    return transport, Client(TBinaryProtocol.TBinaryProtocol(transport))


def close(transport):
    try:
        transport.close()
    except Exception:  # noqa: BLE001 - closing is best effort
        pass


def all_locks(client):
    from hive_metastore.ttypes import ShowLocksRequest

    return list(client.show_locks(ShowLocksRequest()).locks or [])


def lock_figures(locks, own_id, now_ms):
    """The other locks' ages at `now_ms` (the database's time of our own lock): held = since acquired, silent =
    since the last heartbeat. Waiting locks have no acquisition time and count only as silent."""
    others = [lk for lk in locks if lk.lockid != own_id]
    if not others:
        return {"count": 0, "oldestHeldSeconds": None, "oldestSilentSeconds": None, "oldest": None}

    def held(lk):
        return (now_ms - lk.acquiredat) / 1000 if lk.acquiredat else None

    def silent(lk):
        return (now_ms - lk.lastheartbeat) / 1000 if lk.lastheartbeat else None

    oldest = max(others, key=lambda lk: held(lk) or -1)
    helds = [h for h in (held(lk) for lk in others) if h is not None]
    silents = [s for s in (silent(lk) for lk in others) if s is not None]
    return {
        "count": len(others),
        "oldestHeldSeconds": round(max(helds), 1) if helds else None,
        "oldestSilentSeconds": round(max(silents), 1) if silents else None,
        "oldest": {
            "lockId": oldest.lockid,
            "table": f"{oldest.dbname}.{oldest.tablename or '*'}",
            "heldSeconds": None if held(oldest) is None else round(held(oldest), 1),
            "silentSeconds": None if silent(oldest) is None else round(silent(oldest), 1),
            "user": oldest.user,
            "host": oldest.hostname,
        },
    }


def still_there(uri, timeout_ms, db, table, lock_id):
    from hive_metastore.ttypes import ShowLocksRequest

    transport, client = connect(uri, timeout_ms)
    try:
        locks = client.show_locks(ShowLocksRequest(dbname=db, tablename=table)).locks or []
        return any(lk.lockid == lock_id for lk in locks)
    finally:
        close(transport)


def main():
    uri = os.environ.get("METASTORE_URI", "").strip()
    db = os.environ.get("LOCK_DATABASE", "lakehouse_verify_locks").strip()
    table = os.environ.get("LOCK_TABLE", "").strip()
    base = {"table": f"{db}.{table}"}
    if not uri.startswith("thrift://") or not urlparse(uri).hostname:
        emit({**base, "ok": False, "error": f"METASTORE_URI is '{uri}'; expected thrift://HOST:PORT."}, 2)
    if not re.match(r"^[a-z_][a-z0-9_]*$", db) or not re.match(r"^[a-z_][a-z0-9_]*$", table):
        emit({**base, "ok": False, "error": "LOCK_DATABASE and LOCK_TABLE must be lower-case SQL names."}, 2)
    try:
        timeout_s = int(os.environ["LOCK_TIMEOUT_SECONDS"])
        bound_s = int(os.environ.get("LOCK_RELEASE_BOUND_SECONDS", str(timeout_s + 30)))
        wait_s = int(os.environ.get("WAIT_SECONDS", str(bound_s + 60)))
        poll_s = float(os.environ.get("POLL_SECONDS", "5"))
        call_ms = int(os.environ.get("CALL_TIMEOUT_MS", "10000"))
    except (KeyError, ValueError):
        emit({**base, "ok": False, "error": "LOCK_TIMEOUT_SECONDS is required; it and LOCK_RELEASE_BOUND_SECONDS, WAIT_SECONDS, POLL_SECONDS, CALL_TIMEOUT_MS must be numbers."}, 2)
    base.update({"timeoutSeconds": timeout_s, "boundSeconds": bound_s})

    from hive_metastore.ttypes import LockComponent, LockLevel, LockRequest, LockState, LockType, UnlockRequest

    try:
        transport, client = connect(uri, call_ms)
    except Exception as e:  # noqa: BLE001 - every failure is an observation
        emit({**base, "ok": False, "stage": "connect", "error": f"{type(e).__name__}: {e}"[:400]}, 1)
    try:
        request = LockRequest(
            component=[LockComponent(type=LockType.EXCLUSIVE, level=LockLevel.TABLE, dbname=db, tablename=table)],
            user="lakehouse-verify",
            hostname=socket.gethostname(),
            agentInfo="verify.metastore-lock-timeout",
        )
        response = client.lock(request)
        taken = time.monotonic()
        lock_id = response.lockid
        if response.state != LockState.ACQUIRED:
            client.unlock(UnlockRequest(lockid=lock_id))
            emit({**base, "ok": False, "stage": "lock", "lockId": lock_id, "error": f"the scratch lock was not granted (state {response.state}); is another run using {db}.{table}?"}, 1)
        locks = all_locks(client)
        own = next((lk for lk in locks if lk.lockid == lock_id), None)
        figures = lock_figures(locks, lock_id, own.acquiredat if own and own.acquiredat else int(time.time() * 1000))
    except Exception as e:  # noqa: BLE001 (emit's SystemExit is not an Exception and passes through)
        close(transport)
        emit({**base, "ok": False, "stage": "lock", "error": f"{type(e).__name__}: {e}"[:400]}, 1)
    # Abandon it: no unlock, no heartbeat, connection gone. The lock row stays in the metastore's database.
    close(transport)
    log(f"took lock {lock_id} on {db}.{table} and abandoned it; waiting up to {wait_s} s for the metastore to release it")
    base.update({"lockId": lock_id, "locks": figures})

    errors = 0
    while True:
        time.sleep(poll_s)
        waited = time.monotonic() - taken
        try:
            present = still_there(uri, call_ms, db, table, lock_id)
            errors = 0
        except Exception as e:  # noqa: BLE001 - one lost poll is not a verdict
            errors += 1
            log(f"poll failed ({errors}): {type(e).__name__}: {e}")
            if errors >= 5:
                emit({**base, "ok": False, "stage": "poll", "waitedSeconds": round(waited, 1), "error": f"{type(e).__name__}: {e}"[:400]}, 1)
            continue
        if not present:
            emit({**base, "ok": True, "releasedAfterSeconds": round(waited, 1), "waitedSeconds": round(waited, 1), "cleanedUp": False}, 0)
        if waited >= wait_s:
            break

    # Never released: clean up our own lock so the failed check leaves nothing behind.
    cleaned = False
    try:
        transport, client = connect(uri, call_ms)
        try:
            client.unlock(UnlockRequest(lockid=lock_id))
            cleaned = True
        finally:
            close(transport)
    except Exception as e:  # noqa: BLE001
        log(f"could not unlock {lock_id}: {type(e).__name__}: {e}")
    emit({**base, "ok": False, "stage": "wait", "releasedAfterSeconds": None, "waitedSeconds": round(time.monotonic() - taken, 1), "cleanedUp": cleaned, "error": f"lock {lock_id} was still held {wait_s} s after its writer vanished"}, 3)


if __name__ == "__main__":
    main()
