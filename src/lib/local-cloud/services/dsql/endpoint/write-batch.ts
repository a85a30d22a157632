// What the relay writes while it handles one received chunk, sent as one write: messages forwarded
// unchanged are adjacent slices of the chunk they arrived in, so they merge back into one slice (the
// whole chunk in the common case), and anything else goes in the same corked write. One TLS record
// and one system call per chunk instead of one per message.
import type { Socket } from 'node:net';

export class WriteBatch {
  private readonly parts: Buffer[] = [];

  constructor(private readonly socket: Socket) {}

  add(bytes: Buffer): void {
    const last = this.parts.at(-1);
    // Adjacent in memory means the merged view is exactly `last` followed by `bytes`.
    if (last && last.buffer === bytes.buffer && last.byteOffset + last.length === bytes.byteOffset) {
      this.parts[this.parts.length - 1] = Buffer.from(
        last.buffer,
        last.byteOffset,
        last.length + bytes.length,
      );
    } else this.parts.push(bytes);
  }

  flush(): void {
    if (this.parts.length === 1) this.socket.write(this.parts[0]);
    else if (this.parts.length > 1) {
      this.socket.cork();
      for (const part of this.parts) this.socket.write(part);
      this.socket.uncork();
    }
    this.parts.length = 0;
  }
}
