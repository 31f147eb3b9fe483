/**
 * Framing of the gdb remote serial protocol over one socket: `$data#cs` packets, `+`/`-`
 * acknowledgements (until no-ack mode is agreed), and the out-of-band interrupt byte 0x03.
 * Packet data is handled as latin1 strings so that binary payloads survive byte for byte.
 */
import type { Socket } from 'node:net';

export interface PacketHandlers {
  packet(data: string): void;
  /** gdb sent Ctrl-C (a raw 0x03 byte outside a packet). */
  interrupt(): void;
  /** The connection is gone (closed by either side, or a socket error). */
  closed(): void;
}

/** Longest packet body we accept or send; announced to gdb in qSupported. */
export const MAX_PACKET_DATA = 0x4000;

const INTERRUPT = 0x03;

function checksum(data: string): number {
  let sum = 0;
  for (let i = 0; i < data.length; i++) sum = (sum + data.charCodeAt(i)) & 0xff;
  return sum;
}

function frame(data: string): Buffer {
  return Buffer.from(`$${data}#${checksum(data).toString(16).padStart(2, '0')}`, 'latin1');
}

export class PacketStream {
  private ackMode = true;
  private pending = '';
  /** The last packet sent, kept for resending when gdb answers `-`. */
  private lastSent: Buffer | null = null;
  private isClosed = false;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: PacketHandlers,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Stops acknowledging and expecting acknowledgements (after replying OK to QStartNoAckMode). */
  disableAcks(): void {
    this.ackMode = false;
    this.lastSent = null;
  }

  send(data: string): void {
    if (this.isClosed) return;
    const bytes = frame(data);
    if (this.ackMode) this.lastSent = bytes;
    this.socket.write(bytes);
  }

  /** Sends a last packet and closes our side once it is flushed. */
  finish(data: string | null): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      if (data === null) this.socket.end();
      else this.socket.end(frame(data));
      // A peer that never closes its side must not keep us waiting.
      this.socket.setTimeout(1000, () => this.socket.destroy());
    });
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.socket.destroy();
    this.handlers.closed();
  }

  private receive(chunk: Buffer): void {
    this.pending += chunk.toString('latin1');
    while (this.pending.length > 0 && !this.isClosed) {
      const first = this.pending.charCodeAt(0);
      if (first === 0x24 /* $ */) {
        const hash = this.pending.indexOf('#');
        if (hash < 0) {
          // Incomplete packet; a body longer than we ever accept is garbage from a confused peer.
          if (this.pending.length > MAX_PACKET_DATA * 2 + 4) this.close();
          return;
        }
        if (this.pending.length < hash + 3) return;
        const data = this.pending.slice(1, hash);
        const sum = parseInt(this.pending.slice(hash + 1, hash + 3), 16);
        this.pending = this.pending.slice(hash + 3);
        if (this.ackMode) {
          if (sum !== checksum(data)) {
            this.socket.write('-');
            continue;
          }
          this.socket.write('+');
        }
        this.handlers.packet(data);
      } else {
        this.pending = this.pending.slice(1);
        if (first === INTERRUPT) this.handlers.interrupt();
        else if (first === 0x2d /* - */ && this.ackMode && this.lastSent) this.socket.write(this.lastSent);
        // '+' and stray bytes between packets need no action.
      }
    }
  }
}
