// PostgreSQL wire-protocol pieces the endpoint needs (protocol 3.0, see
// https://www.postgresql.org/docs/current/protocol-message-formats.html): a framer for the byte
// streams, the few backend messages the front writes itself, and readers for the few it inspects.
// Writing goes through pg-protocol's Writer (node-postgres's own), the startup packet its BufferReader.
import { BufferReader } from 'pg-protocol/dist/buffer-reader.js';
import { Writer } from 'pg-protocol/dist/buffer-writer.js';

/** One complete message: `type` is its first byte (0 for the untyped startup-phase packets). */
export interface Message {
  type: number;
  /** The bytes after the length field. */
  body: Buffer;
  /** The whole message as received, forwarded unchanged when the front does not rewrite it. */
  raw: Buffer;
}

/**
 * Splits a byte stream into messages. `untyped` while the peer is in the startup phase, where it
 * sends one packet and waits for the answer, so no typed message can follow in the same chunk.
 */
export class MessageFramer {
  private pending: Buffer = Buffer.alloc(0);
  untyped: boolean;

  constructor(untyped: boolean) {
    this.untyped = untyped;
  }

  push(chunk: Buffer): Message[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: Message[] = [];
    for (;;) {
      const header = this.untyped ? 0 : 1;
      if (this.pending.length < header + 4) break;
      const length = this.pending.readInt32BE(header);
      if (length < 4) throw new Error(`invalid message length ${length}`);
      const size = header + length;
      if (this.pending.length < size) break;
      const raw = this.pending.subarray(0, size);
      messages.push({ type: header ? raw[0] : 0, body: raw.subarray(header + 4), raw });
      this.pending = this.pending.subarray(size);
    }
    return messages;
  }
}

export const SSL_REQUEST_CODE = 80877103;
export const GSSENC_REQUEST_CODE = 80877104;
export const CANCEL_REQUEST_CODE = 80877102;
export const PROTOCOL_3 = 196608;

export interface StartupPacket {
  code: number;
  parameters: Record<string, string>;
}

export function readStartupPacket(message: Message): StartupPacket {
  const reader = new BufferReader();
  reader.setBuffer(0, message.body);
  const code = reader.int32();
  const parameters: Record<string, string> = {};
  if (code === PROTOCOL_3) {
    for (let name = reader.cstring(); name !== ''; name = reader.cstring())
      parameters[name] = reader.cstring();
  }
  return { code, parameters };
}

/** Where the NUL-terminated string at `offset` ends (the body's end when no NUL follows). */
function cstringEnd(body: Buffer, offset: number): number {
  const end = body.indexOf(0, offset);
  return end === -1 ? body.length : end;
}

// The readers below run for every Query, Parse and CommandComplete: plain slices, no reader object.

/** The first NUL-terminated string of a message body (Query text, CommandComplete tag, password…). */
export function readCString(body: Buffer, offset = 0): string {
  return body.toString('utf8', offset, cstringEnd(body, offset));
}

/** Parse message: statement name and query text. */
export function readParse(body: Buffer): { name: string; text: string } {
  const nameEnd = cstringEnd(body, 0);
  return { name: body.toString('utf8', 0, nameEnd), text: readCString(body, nameEnd + 1) };
}

/** Bind message: portal and statement names. */
export function readBind(body: Buffer): { portal: string; statement: string } {
  const portalEnd = cstringEnd(body, 0);
  return { portal: body.toString('utf8', 0, portalEnd), statement: readCString(body, portalEnd + 1) };
}

export interface ErrorFields {
  severity: 'ERROR' | 'FATAL';
  code: string;
  message: string;
}

/** ErrorResponse fields by their one-letter codes ('C' SQLSTATE, 'M' message…). */
export function readErrorFields(body: Buffer): Map<string, string> {
  const fields = new Map<string, string>();
  let offset = 0;
  while (offset < body.length && body[offset] !== 0) {
    const code = String.fromCharCode(body[offset]);
    const value = readCString(body, offset + 1);
    fields.set(code, value);
    offset += 1 + Buffer.byteLength(value) + 1;
  }
  return fields;
}

export function errorResponse({ severity, code, message }: ErrorFields): Buffer {
  return new Writer()
    .addString('S')
    .addCString(severity)
    .addString('V')
    .addCString(severity)
    .addString('C')
    .addCString(code)
    .addString('M')
    .addCString(message)
    .addCString('')
    .flush('E'.charCodeAt(0));
}

/** The same ErrorResponse with its message replaced, every other field kept. */
export function withMessage(body: Buffer, message: string): Buffer {
  const writer = new Writer();
  for (const [code, value] of readErrorFields(body))
    writer.addString(code).addCString(code === 'M' ? message : value);
  return writer.addCString('').flush('E'.charCodeAt(0));
}

export function authenticationCleartextPassword(): Buffer {
  return new Writer().addInt32(3).flush('R'.charCodeAt(0));
}

/** The single byte a server answers an SSLRequest or GSSENCRequest with. */
export const WILL_DO_TLS = Buffer.from('S');
export const WILL_NOT = Buffer.from('N');

export const code = (letter: string) => letter.charCodeAt(0);
