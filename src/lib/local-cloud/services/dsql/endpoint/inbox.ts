// A socket read as a queue of wire-protocol messages: taken one at a time by an async loop during
// the startup phase, then handed to a synchronous consumer a chunk at a time (the relay's data path).
import type { Socket } from 'node:net';
import { type Message, MessageFramer } from './protocol.js';

export class Inbox {
  private readonly framer: MessageFramer;
  private readonly queue: Message[] = [];
  private waiting: ((message: Message | undefined) => void) | undefined;
  private consumer: ((messages: Message[]) => void) | undefined;
  private closed = false;
  private readonly onData = (chunk: Buffer) => {
    let messages: Message[];
    try {
      messages = this.framer.push(chunk);
    } catch (error) {
      this.socket.destroy(error as Error);
      return;
    }
    if (this.consumer) {
      if (messages.length > 0) this.consumer(messages);
      return;
    }
    for (const message of messages) {
      if (this.waiting) {
        const deliver = this.waiting;
        this.waiting = undefined;
        deliver(message);
      } else this.queue.push(message);
    }
  };
  private readonly onClose = () => {
    this.closed = true;
    this.waiting?.(undefined);
    this.waiting = undefined;
  };

  constructor(
    private readonly socket: Socket,
    untyped: boolean,
  ) {
    this.framer = new MessageFramer(untyped);
    socket.on('data', this.onData);
    socket.on('close', this.onClose);
    socket.on('end', this.onClose);
  }

  set untyped(value: boolean) {
    this.framer.untyped = value;
  }

  /** The next message, or undefined once the socket has closed. */
  next(): Promise<Message | undefined> {
    const queued = this.queue.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /**
   * From now on hands the messages to `consumer` instead of next(), the queued ones first, then each
   * received chunk's messages in one call: no promise per message on the relay's path.
   */
  consume(consumer: (messages: Message[]) => void): void {
    this.consumer = consumer;
    const queued = this.queue.splice(0);
    if (queued.length > 0) consumer(queued);
  }

  /** Stops reading (before the socket is handed to TLS). */
  detach(): void {
    this.socket.off('data', this.onData);
    this.socket.off('close', this.onClose);
    this.socket.off('end', this.onClose);
  }
}
