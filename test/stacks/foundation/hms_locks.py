#!/usr/bin/env python3
"""Hive Metastore table locks for the lock tests, made with the Thrift types pyiceberg's Hive catalog ships
(hive_metastore.ttypes), i.e. the very LockRequest an Iceberg commit sends.

  hms_locks.py abandon URI DB TABLE
      Takes an exclusive table lock and exits without unlocking or heartbeating: a writer killed mid-commit.
      Prints {"lockId": N, "state": "ACQUIRED"}.
  hms_locks.py hold URI DB TABLE SECONDS HEARTBEAT_SECONDS
      A live writer: takes the lock, prints {"event": "held", "lockId": N} at once, heartbeats every
      HEARTBEAT_SECONDS for SECONDS, checks the lock is still there, unlocks, and prints
      {"event": "released", "lockId": N, "heartbeats": n, "heartbeatErrors": [...], "presentAtEnd": bool,
       "unlocked": bool}.
  hms_locks.py show URI [DB TABLE]
      Prints the locks as a JSON list.
"""
import json
import sys
import time
from urllib.parse import urlparse

from hive_metastore.ThriftHiveMetastore import Client
from hive_metastore.ttypes import (
    HeartbeatRequest,
    LockComponent,
    LockLevel,
    LockRequest,
    LockState,
    LockType,
    ShowLocksRequest,
    UnlockRequest,
)
from thrift.protocol import TBinaryProtocol
from thrift.transport import TSocket, TTransport


def connect(uri):
    parts = urlparse(uri)
    sock = TSocket.TSocket(parts.hostname, parts.port)
    sock.setTimeout(30000)
    transport = TTransport.TBufferedTransport(sock)
    transport.open()
    return transport, Client(TBinaryProtocol.TBinaryProtocol(transport))


def lock(client, db, table, who):
    r = client.lock(
        LockRequest(
            component=[LockComponent(type=LockType.EXCLUSIVE, level=LockLevel.TABLE, dbname=db, tablename=table)],
            user="lock-test",
            hostname=who,
            agentInfo=who,
        )
    )
    return r.lockid, LockState._VALUES_TO_NAMES[r.state]


def locks(client, db=None, table=None):
    r = client.show_locks(ShowLocksRequest(dbname=db, tablename=table))
    return [
        {
            "lockId": e.lockid,
            "table": f"{e.dbname}.{e.tablename}",
            "state": LockState._VALUES_TO_NAMES.get(e.state, e.state),
            "acquiredAt": e.acquiredat,
            "lastHeartbeat": e.lastheartbeat,
            "host": e.hostname,
        }
        for e in (r.locks or [])
    ]


def out(obj):
    print(json.dumps(obj), flush=True)


def main(argv):
    mode, uri = argv[1], argv[2]
    transport, client = connect(uri)
    if mode == "abandon":
        lock_id, state = lock(client, argv[3], argv[4], "killed-writer")
        out({"lockId": lock_id, "state": state})
        return  # no unlock: the lock stays in the metastore's database
    if mode == "show":
        out(locks(client, *(argv[3:5] or [None, None])))
        transport.close()
        return
    if mode == "hold":
        db, table, seconds, every = argv[3], argv[4], float(argv[5]), float(argv[6])
        lock_id, state = lock(client, db, table, "live-writer")
        out({"event": "held", "lockId": lock_id, "state": state})
        end = time.monotonic() + seconds
        beats, errors = 0, []
        while time.monotonic() < end:
            time.sleep(min(every, max(0.0, end - time.monotonic())))
            try:
                client.heartbeat(HeartbeatRequest(lockid=lock_id))
                beats += 1
            except Exception as e:  # noqa: BLE001 - a lost lock shows here (NoSuchLockException)
                errors.append(f"{type(e).__name__}: {e}"[:200])
        present = any(lk["lockId"] == lock_id for lk in locks(client, db, table))
        unlocked = True
        try:
            client.unlock(UnlockRequest(lockid=lock_id))
        except Exception as e:  # noqa: BLE001
            unlocked = False
            errors.append(f"unlock: {type(e).__name__}: {e}"[:200])
        transport.close()
        out({"event": "released", "lockId": lock_id, "heartbeats": beats, "heartbeatErrors": errors,
             "presentAtEnd": present, "unlocked": unlocked})
        return
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main(sys.argv)
