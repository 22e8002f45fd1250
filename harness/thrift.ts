/**
 * A minimal Thrift client (binary protocol, unframed socket: what the Hive Metastore speaks by default) for
 * the harness's own readiness check and smoke test. Enough to call methods whose arguments are strings,
 * booleans, i32s, string maps and structs of those, and to read any reply generically.
 *
 * Not a product client: the verification code has its own. Kept tiny on purpose (no npm `thrift` dependency).
 */
import * as net from "node:net";

/** Thrift wire type ids (TType). */
export const T = {
  STOP: 0,
  BOOL: 2,
  BYTE: 3,
  DOUBLE: 4,
  I16: 6,
  I32: 8,
  I64: 10,
  STRING: 11,
  STRUCT: 12,
  MAP: 13,
  SET: 14,
  LIST: 15,
} as const;

/** A value to encode: a tagged union so the wire type is explicit. */
export type TValue =
  | { t: "string"; v: string }
  | { t: "bool"; v: boolean }
  | { t: "i32"; v: number }
  | { t: "map"; v: Record<string, string> }
  | { t: "struct"; v: TField[] };
export interface TField {
  id: number;
  value: TValue;
}

/** What a decoded struct looks like: field id -> value (nested structs are Maps too, lists are arrays). */
export type TStruct = Map<number, unknown>;

class Writer {
  private parts: Buffer[] = [];
  i8(n: number): void {
    this.parts.push(Buffer.from([n & 0xff]));
  }
  i16(n: number): void {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    this.parts.push(b);
  }
  i32(n: number): void {
    const b = Buffer.alloc(4);
    b.writeInt32BE(n | 0);
    this.parts.push(b);
  }
  str(s: string): void {
    const b = Buffer.from(s, "utf8");
    this.i32(b.length);
    this.parts.push(b);
  }
  value(v: TValue): void {
    switch (v.t) {
      case "string":
        return this.str(v.v);
      case "bool":
        return this.i8(v.v ? 1 : 0);
      case "i32":
        return this.i32(v.v);
      case "map": {
        const entries = Object.entries(v.v);
        this.i8(T.STRING);
        this.i8(T.STRING);
        this.i32(entries.length);
        for (const [k, val] of entries) {
          this.str(k);
          this.str(val);
        }
        return;
      }
      case "struct":
        for (const f of v.v) {
          this.i8(typeOf(f.value));
          this.i16(f.id);
          this.value(f.value);
        }
        return this.i8(T.STOP);
    }
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function typeOf(v: TValue): number {
  return { string: T.STRING, bool: T.BOOL, i32: T.I32, map: T.MAP, struct: T.STRUCT }[v.t];
}

/** Thrown when more bytes are needed; the caller waits for more data and re-parses. */
class NeedMore extends Error {}

class Reader {
  pos = 0;
  constructor(private buf: Buffer) {}
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new NeedMore();
  }
  i8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }
  i16(): number {
    this.need(2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  str(): string {
    const n = this.i32();
    this.need(n);
    const s = this.buf.toString("utf8", this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  value(type: number): unknown {
    switch (type) {
      case T.BOOL:
        return this.i8() !== 0;
      case T.BYTE:
        return this.i8();
      case T.I16:
        return this.i16();
      case T.I32:
        return this.i32();
      case T.I64:
        return this.i64();
      case T.DOUBLE: {
        this.need(8);
        const v = this.buf.readDoubleBE(this.pos);
        this.pos += 8;
        return v;
      }
      case T.STRING:
        return this.str();
      case T.STRUCT: {
        const m: TStruct = new Map();
        for (;;) {
          const ft = this.i8();
          if (ft === T.STOP) return m;
          const id = this.i16();
          m.set(id, this.value(ft));
        }
      }
      case T.MAP: {
        const [kt, vt, n] = [this.i8(), this.i8(), this.i32()];
        const m = new Map<unknown, unknown>();
        for (let i = 0; i < n; i++) m.set(this.value(kt), this.value(vt));
        return m;
      }
      case T.SET:
      case T.LIST: {
        const [et, n] = [this.i8(), this.i32()];
        const a: unknown[] = [];
        for (let i = 0; i < n; i++) a.push(this.value(et));
        return a;
      }
      default:
        throw new Error(`Thrift: unknown wire type ${type} at byte ${this.pos}.`);
    }
  }
}

const VERSION_1 = 0x80010000 | 0;

/**
 * Calls `method` with the given argument fields on host:port and resolves the reply's result struct
 * (field 0 = return value, 1.. = declared exceptions). Rejects on a TApplicationException, a socket error, or
 * no complete reply within `timeoutMs`. The default bounds a hung metastore, not a slow one: a first
 * create_database (cold JIT, S3A creating the location on radosgw) took over 10 s at load 20.
 */
export function thriftCall(
  host: string,
  port: number,
  method: string,
  args: TField[],
  timeoutMs = 60_000,
): Promise<TStruct> {
  const w = new Writer();
  w.i32(VERSION_1 | 1); // CALL
  w.str(method);
  w.i32(1); // seqid
  w.value({ t: "struct", v: args });
  const request = w.done();
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const fail = (e: Error): void => {
      sock.destroy();
      reject(e);
    };
    sock.setTimeout(timeoutMs, () =>
      fail(new Error(`Thrift ${method} on ${host}:${port}: no reply within ${timeoutMs} ms.`)),
    );
    sock.once("error", (e) =>
      fail(new Error(`Thrift ${method} on ${host}:${port}: ${e.message}`, { cause: e })),
    );
    sock.once("connect", () => sock.write(request));
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      try {
        const r = new Reader(buf);
        const header = r.i32();
        if ((header & 0xffff0000) !== VERSION_1)
          throw new Error(`Thrift ${method}: bad reply header 0x${(header >>> 0).toString(16)}.`);
        r.str(); // method name
        r.i32(); // seqid
        const body = r.value(T.STRUCT) as TStruct;
        sock.end();
        if ((header & 0xff) === 3) {
          fail(
            new Error(
              `Thrift ${method}: server exception: ${String(body.get(1) ?? "")} (type ${String(body.get(2) ?? "?")}).`,
            ),
          );
          return;
        }
        resolve(body);
      } catch (e) {
        if (e instanceof NeedMore) return;
        fail(e as Error);
      }
    });
    sock.once("close", () =>
      reject(new Error(`Thrift ${method} on ${host}:${port}: connection closed before a complete reply.`)),
    );
  });
}

/** Throws the first declared exception in a result struct (fields 1..n), naming its message. */
export function throwIfException(method: string, result: TStruct): void {
  for (const [id, v] of result) {
    if (id !== 0 && v instanceof Map)
      throw new Error(`Thrift ${method}: exception field ${id}: ${String(v.get(1) ?? "")}`);
  }
}
