// What the relay writes while it handles one received chunk, sent as one write: messages forwarded
// unchanged are adjacent slices of the chunk they arrived in, so they merge back into one slice (the
// whole chunk in the common case), and anything else goes in the same corked write. One TLS record
// and one system call per chunk instead of one per message.
import type { Socket } from 'node:net';

export class WriteBatch {
  private readonly parts: Buffer[] = [];
  /** The run of adjacent bytes being gathered: memory, start and end offsets in it. */
  private run: ArrayBufferLike | undefined;
  private runStart = 0;
  private runEnd = 0;

  constructor(private readonly socket: Socket) {}

  add(bytes: Buffer): void {
    // Adjacent in memory means the merged view is exactly the run followed by `bytes`.
    if (bytes.buffer === this.run && bytes.byteOffset === this.runEnd) {
      this.runEnd += bytes.length;
      return;
    }
    this.endRun();
    this.run = bytes.buffer;
    this.runStart = bytes.byteOffset;
    this.runEnd = bytes.byteOffset + bytes.length;
  }

  flush(): void {
    this.endRun();
    if (this.parts.length === 1) this.socket.write(this.parts[0]);
    else if (this.parts.length > 1) {
      this.socket.cork();
      for (const part of this.parts) this.socket.write(part);
      this.socket.uncork();
    }
    this.parts.length = 0;
  }

  private endRun(): void {
    if (this.run === undefined) return;
    this.parts.push(Buffer.from(this.run, this.runStart, this.runEnd - this.runStart));
    this.run = undefined;
  }
}
