// A stand-in for a unikernel's network stack: answers ARP requests and ICMP echo requests for one
// IPv4 address on a tap, through TapDevice and FdWaiter exactly as the tender's POLL/NET_* path would.
import { FdWaiter } from '../../devices/fd-wait.js';
import type { TapDevice } from '../../devices/tap.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ARP_REQUEST = 1;
const ARP_REPLY = 2;
const IPPROTO_ICMP = 1;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

export class EchoResponder {
  echoReplies = 0;
  arpReplies = 0;

  private readonly frame: Uint8Array;
  private readonly view: DataView;
  private readonly arpReply = new Uint8Array(42);
  private readonly waiter = new FdWaiter();
  private readonly fds: number[];
  private stopped = false;
  private readonly done: Promise<void>;

  constructor(
    private readonly tap: TapDevice,
    private readonly ip: Uint8Array,
    private readonly mac: Uint8Array,
  ) {
    this.frame = new Uint8Array(tap.mtu + 14);
    this.view = new DataView(this.frame.buffer);
    this.fds = [tap.fd];
    this.done = this.serve();
  }

  /** Stops serving and resolves once the loop has ended (errors of the loop are rethrown here). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.waiter.wake();
    try {
      await this.done;
    } finally {
      this.waiter.close();
    }
  }

  private async serve(): Promise<void> {
    while (!this.stopped) {
      for (let length = this.tap.read(this.frame); length > 0; length = this.tap.read(this.frame)) {
        this.answer(length);
      }
      await this.waiter.wait(this.fds, 1e9);
    }
  }

  private answer(length: number): void {
    if (length < 42) return;
    const type = this.view.getUint16(12);
    if (type === ETHERTYPE_ARP) this.answerArp();
    else if (type === ETHERTYPE_IPV4) this.answerIcmp(length);
  }

  private answerArp(): void {
    const f = this.frame;
    if (this.view.getUint16(20) !== ARP_REQUEST || !this.isMine(38)) return;
    const r = this.arpReply;
    const rv = new DataView(r.buffer);
    r.set(f.subarray(22, 28), 0); // to the asker
    r.set(this.mac, 6);
    rv.setUint16(12, ETHERTYPE_ARP);
    rv.setUint16(14, 1); // Ethernet
    rv.setUint16(16, ETHERTYPE_IPV4);
    r[18] = 6;
    r[19] = 4;
    rv.setUint16(20, ARP_REPLY);
    r.set(this.mac, 22);
    r.set(this.ip, 28);
    r.set(f.subarray(22, 32), 32); // target hardware + protocol address = the asker's
    this.tap.write(r);
    this.arpReplies++;
  }

  private answerIcmp(length: number): void {
    const f = this.frame;
    const headerLength = (f[14]! & 0x0f) * 4;
    const end = 14 + this.view.getUint16(16);
    const icmp = 14 + headerLength;
    if (f[23] !== IPPROTO_ICMP || !this.isMine(30) || end > length || f[icmp] !== ICMP_ECHO_REQUEST) return;
    for (let i = 0; i < 6; i++) {
      const b = f[i]!;
      f[i] = f[i + 6]!;
      f[i + 6] = b;
    }
    for (let i = 26; i < 30; i++) {
      const b = f[i]!;
      f[i] = f[i + 4]!;
      f[i + 4] = b;
    } // the IP header checksum is a sum: swapping addresses keeps it valid
    f[icmp] = ICMP_ECHO_REPLY;
    this.view.setUint16(icmp + 2, 0);
    this.view.setUint16(icmp + 2, internetChecksum(this.view, icmp, end));
    this.tap.write(f.subarray(0, end));
    this.echoReplies++;
  }

  private isMine(offset: number): boolean {
    const f = this.frame;
    return f[offset] === this.ip[0] && f[offset + 1] === this.ip[1] && f[offset + 2] === this.ip[2] && f[offset + 3] === this.ip[3];
  }
}

/** RFC 1071 ones' complement sum of bytes [start, end). */
function internetChecksum(view: DataView, start: number, end: number): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += view.getUint16(i);
  if (i < end) sum += view.getUint8(i) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
