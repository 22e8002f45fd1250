/**
 * An http.Agent that counts the bytes on its sockets, so a benchmark can report what really crossed the wire
 * (HTTP headers and event-stream framing included), not what a client library says it returned.
 */
import * as http from "node:http";
import type { Socket } from "node:net";

export interface ByteCount {
  /** Bytes received from the server. */
  read: number;
  /** Bytes sent to the server. */
  written: number;
}

export class CountingAgent extends http.Agent {
  private readonly open = new Set<Socket>();
  private closedRead = 0;
  private closedWritten = 0;

  constructor(opts: http.AgentOptions = {}) {
    super({ keepAlive: true, ...opts });
  }

  override createConnection(...args: Parameters<http.Agent["createConnection"]>): Socket {
    // createConnection exists on http.Agent at run time but @types/node types it as optional-ish: call it via super.
    const socket = (
      http.Agent.prototype as unknown as { createConnection: (...a: unknown[]) => Socket }
    ).createConnection.apply(this, args);
    this.open.add(socket);
    socket.once("close", () => {
      this.open.delete(socket);
      this.closedRead += socket.bytesRead;
      this.closedWritten += socket.bytesWritten;
    });
    return socket;
  }

  /** Bytes moved so far on every socket this agent opened (open and closed ones). */
  count(): ByteCount {
    let read = this.closedRead;
    let written = this.closedWritten;
    for (const s of this.open) {
      read += s.bytesRead;
      written += s.bytesWritten;
    }
    return { read, written };
  }

  /** Runs `fn` and returns its result with the bytes moved while it ran. */
  async measure<T>(fn: () => Promise<T>): Promise<{ value: T; bytes: ByteCount }> {
    const before = this.count();
    const value = await fn();
    const after = this.count();
    return { value, bytes: { read: after.read - before.read, written: after.written - before.written } };
  }
}
