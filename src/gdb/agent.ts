/**
 * The gdb remote stub as a DebugAgent: one gdb client over TCP, serving commands whenever the
 * guest is stopped and watching for Ctrl-C while it runs. The run loop owns execution; this
 * agent only decides when (and how: continue, step, kill) the guest resumes.
 */
import { createServer, type Socket } from 'node:net';
import { StopReason, type Processor } from '../../cpu/interface.js';
import { TenderError } from '../../solo5-abi/errors.js';
import type { DebugAgent, DebugControl, Resume } from '../debug-agent.js';
import type { GdbAgentOptions } from '../gdb-hook.js';
import { BreakpointTable } from './breakpoints.js';
import { readGuest, writeGuest } from './guest-access.js';
import { bytesToHex, escapeBinary, hexByte, hexToBytes, parseHexNumber, unescapeBinary } from './hex.js';
import { MAX_PACKET_DATA, PacketStream } from './packet-stream.js';
import { REGISTERS, REGISTER_BLOCK_SIZE, RegisterAccess, readRegister } from './registers.js';
import { SignalWatch } from './signal-watch.js';
import { GdbSignal, initialStopReply, stopReply, THREAD_ID } from './stop-reply.js';
import { TARGET_XML } from './target-description.js';

/** Where the session is: waiting for a client, serving commands, running, or over. */
type State = 'listening' | 'stopped' | 'running' | 'gone';

const E_MALFORMED = 'E01';
/** Memory not mapped by the guest page tables (EFAULT, as gdbserver reports it). */
const E_FAULT = 'E14';

const SUPPORTED = [
  `PacketSize=${MAX_PACKET_DATA.toString(16)}`,
  'qXfer:features:read+',
  'swbreak+',
  'hwbreak+',
  'vContSupported+',
  'QStartNoAckMode+',
].join(';');

/** Largest memory read whose hex reply fits in one packet. */
const MAX_READ = Math.floor(MAX_PACKET_DATA / 2);

export class GdbAgent implements DebugAgent {
  private state: State = 'listening';
  private stream: PacketStream | null = null;
  private resolveResume: ((resume: Resume) => void) | null = null;
  private lastStop = '';
  /** The last stop held a guest exception that a plain continue/step must throw away. */
  private exceptionHeld = false;
  private interruptPending = false;
  private readonly breakpoints: BreakpointTable;
  private readonly signals = new SignalWatch((signal) => this.handleSignal(signal));
  /** Stops waiting for a client (a signal arrived first). */
  private abandonAccept: (() => void) | null = null;

  constructor(
    private readonly cpu: Processor,
    private readonly control: DebugControl,
    private readonly options: GdbAgentOptions,
  ) {
    this.breakpoints = new BreakpointTable(cpu);
  }

  async attach(): Promise<Resume> {
    this.signals.arm();
    const socket = await this.acceptOneClient();
    // A signal ended the wait: the run loop acts on it before the guest's first instruction.
    if (socket === null) return 'resume';
    this.stream = new PacketStream(socket, {
      packet: (data) => this.handlePacket(data),
      interrupt: () => this.handleInterrupt(),
      closed: () => this.handleDisconnect(),
    });
    this.cpu.interceptExceptions = true;
    this.lastStop = initialStopReply(this.cpu);
    return this.serveUntilResume();
  }

  onStop(reason: StopReason): Promise<Resume> {
    this.interruptPending = false;
    if (this.state === 'gone' || this.stream === null) {
      this.cpu.singleStep = false;
      return Promise.resolve('resume');
    }
    this.exceptionHeld = reason === StopReason.Exception;
    this.lastStop = stopReply(reason, this.cpu, this.breakpoints);
    this.stream.send(this.lastStop);
    return this.serveUntilResume();
  }

  takeInterrupt(): boolean {
    const pending = this.interruptPending;
    this.interruptPending = false;
    return pending;
  }

  async onExit(status: number): Promise<void> {
    if (this.state === 'gone' || this.stream === null) return;
    this.state = 'gone';
    await this.stream.finish(`W${hexByte(status & 0xff)}`);
  }

  private acceptOneClient(): Promise<Socket | null> {
    const { host, port, kernelPath } = this.options;
    return new Promise((resolve, reject) => {
      const server = createServer();
      const stopListening = (socket: Socket | null) => {
        // One debugger per run: no further clients are accepted.
        this.abandonAccept = null;
        server.close();
        resolve(socket);
      };
      this.abandonAccept = () => stopListening(null);
      server.once('error', (err) => {
        this.abandonAccept = null;
        this.signals.disarm();
        reject(new TenderError(`cannot listen for gdb on ${host}:${port}: ${err.message}`));
      });
      server.once('connection', (socket) => stopListening(socket));
      server.listen({ host, port, backlog: 1 }, () => {
        const address = server.address();
        const boundPort = typeof address === 'object' && address ? address.port : port;
        process.stderr.write(`tender: waiting for gdb: gdb --ex="target remote ${host}:${boundPort}" ${kernelPath}\n`);
      });
    });
  }

  private serveUntilResume(): Promise<Resume> {
    if (this.state === 'gone') return Promise.resolve('resume');
    this.state = 'stopped';
    this.signals.arm();
    return new Promise((resolve) => {
      this.resolveResume = resolve;
    });
  }

  private resume(how: Resume): void {
    this.signals.disarm();
    const resolve = this.resolveResume;
    this.resolveResume = null;
    if (this.state !== 'gone') this.state = 'running';
    resolve?.(how);
  }

  /** Hands the guest back to itself: no traps, no interception, no stepping. */
  private releaseGuest(): void {
    this.breakpoints.clear();
    this.cpu.singleStep = false;
    this.cpu.interceptExceptions = false;
    this.interruptPending = false;
  }

  private handleInterrupt(): void {
    if (this.state !== 'running') return;
    this.interruptPending = true;
    this.control.interrupt();
  }

  /**
   * SIGINT/SIGTERM to the tender while we hold the run loop: gdb learns that the process was
   * terminated by it, and the run loop, resumed, ends the tender as it does for any such signal.
   */
  private handleSignal(signal: NodeJS.Signals): void {
    if (this.state === 'listening') {
      this.state = 'gone';
      this.abandonAccept?.();
      return;
    }
    if (this.state !== 'stopped') return;
    this.state = 'gone';
    this.releaseGuest();
    const number = signal === 'SIGINT' ? GdbSignal.INT : GdbSignal.TERM;
    void (this.stream?.finish(`X${hexByte(number)}`) ?? Promise.resolve()).then(() => this.resume('resume'));
  }

  /** gdb went away without D or k: the guest runs on as if no debugger had been attached. */
  private handleDisconnect(): void {
    if (this.state === 'gone') return;
    const wasStopped = this.state === 'stopped';
    this.state = 'gone';
    this.releaseGuest();
    if (wasStopped) this.resume('resume');
  }

  private reply(data: string): void {
    this.stream?.send(data);
  }

  private handlePacket(packet: string): void {
    // In all-stop mode gdb only sends Ctrl-C while the guest runs; anything else waits for a stop.
    if (this.state !== 'stopped') return;
    try {
      this.dispatch(packet);
    } catch (err) {
      // A request the CPU cannot honour must cost gdb one error reply, not the tender its life.
      process.stderr.write(`tender: gdb request ${JSON.stringify(packet.slice(0, 40))} failed: ${(err as Error).message}\n`);
      if (this.state === 'stopped') this.reply(E_MALFORMED);
    }
  }

  private dispatch(packet: string): void {
    switch (packet[0]) {
      case '?': return this.reply(this.lastStop);
      case 'q': return this.reply(this.query(packet));
      case 'Q': return this.generalSet(packet);
      case 'H': return this.reply('OK');
      case 'T': return this.reply(this.isOurThread(packet.slice(1)) ? 'OK' : E_MALFORMED);
      case 'g': return this.reply(this.readAllRegisters());
      case 'G': return this.reply(this.writeAllRegisters(packet.slice(1)));
      case 'p': return this.reply(this.readOneRegister(packet.slice(1)));
      case 'P': return this.reply(this.writeOneRegister(packet.slice(1)));
      case 'm': return this.reply(this.readMemory(packet.slice(1)));
      case 'M': return this.reply(this.writeMemoryHex(packet.slice(1)));
      case 'X': return this.reply(this.writeMemoryBinary(packet.slice(1)));
      case 'Z': return this.reply(this.breakpointPacket(packet.slice(1), true));
      case 'z': return this.reply(this.breakpointPacket(packet.slice(1), false));
      case 'c': return this.resumeAction(false, 0, packet.slice(1));
      case 's': return this.resumeAction(true, 0, packet.slice(1));
      case 'C': return this.resumeWithSignal(false, packet.slice(1));
      case 'S': return this.resumeWithSignal(true, packet.slice(1));
      case 'v': return this.verbose(packet);
      case 'D': return this.detach();
      case 'k': return this.kill();
      default: return this.reply('');
    }
  }

  private query(packet: string): string {
    if (packet.startsWith('qSupported')) return SUPPORTED;
    if (packet.startsWith('qXfer:features:read:')) return this.readFeatures(packet.slice('qXfer:features:read:'.length));
    if (packet === 'qAttached' || packet.startsWith('qAttached:')) return '1';
    if (packet === 'qC') return `QC${THREAD_ID.toString(16)}`;
    if (packet === 'qfThreadInfo') return `m${THREAD_ID.toString(16)}`;
    if (packet === 'qsThreadInfo') return 'l';
    return '';
  }

  private generalSet(packet: string): void {
    if (packet === 'QStartNoAckMode') {
      this.reply('OK');
      this.stream?.disableAcks();
      return;
    }
    this.reply('');
  }

  private isOurThread(id: string): boolean {
    return id === '-1' || id === '0' || parseHexNumber(id) === BigInt(THREAD_ID);
  }

  private readFeatures(args: string): string {
    const match = /^([^:]+):([0-9a-fA-F]+),([0-9a-fA-F]+)$/.exec(args);
    if (!match) return E_MALFORMED;
    if (match[1] !== 'target.xml') return 'E00';
    const offset = parseInt(match[2], 16);
    const length = Math.min(parseInt(match[3], 16), MAX_PACKET_DATA / 2);
    const xml = Buffer.from(TARGET_XML, 'latin1');
    if (offset > xml.length) return E_MALFORMED;
    const part = xml.subarray(offset, offset + length);
    const last = offset + part.length >= xml.length;
    return (last ? 'l' : 'm') + escapeBinary(part).toString('latin1');
  }

  private readAllRegisters(): string {
    const access = new RegisterAccess(this.cpu);
    return REGISTERS.map((def) => bytesToHex(readRegister(access, def))).join('');
  }

  /** Writes every register the block covers completely (gdb may send a shorter block). */
  private writeAllRegisters(hex: string): string {
    const bytes = hexToBytes(hex);
    if (bytes === null || bytes.length > REGISTER_BLOCK_SIZE) return E_MALFORMED;
    const access = new RegisterAccess(this.cpu);
    let offset = 0;
    for (const def of REGISTERS) {
      if (offset + def.size > bytes.length) break;
      def.write(access, bytes.subarray(offset, offset + def.size));
      offset += def.size;
    }
    access.commit();
    return 'OK';
  }

  private register(numberHex: string): (typeof REGISTERS)[number] | null {
    const n = parseHexNumber(numberHex);
    return n !== null && n < BigInt(REGISTERS.length) ? REGISTERS[Number(n)] : null;
  }

  private readOneRegister(args: string): string {
    const def = this.register(args);
    if (def === null) return E_MALFORMED;
    return bytesToHex(readRegister(new RegisterAccess(this.cpu), def));
  }

  private writeOneRegister(args: string): string {
    const eq = args.indexOf('=');
    const def = eq > 0 ? this.register(args.slice(0, eq)) : null;
    const bytes = hexToBytes(args.slice(eq + 1));
    if (def === null || bytes === null || bytes.length !== def.size) return E_MALFORMED;
    const access = new RegisterAccess(this.cpu);
    def.write(access, bytes);
    access.commit();
    return 'OK';
  }

  /** Parses `addr,length` (hex); null if malformed. */
  private addressAndLength(text: string): { address: bigint; length: number } | null {
    const comma = text.indexOf(',');
    if (comma < 0) return null;
    const address = parseHexNumber(text.slice(0, comma));
    const length = parseHexNumber(text.slice(comma + 1));
    if (address === null || length === null || length > 0xffffffffn) return null;
    return { address, length: Number(length) };
  }

  private readMemory(args: string): string {
    const range = this.addressAndLength(args);
    if (range === null) return E_MALFORMED;
    const bytes = readGuest(this.cpu, range.address, Math.min(range.length, MAX_READ));
    return bytes === null ? E_FAULT : bytesToHex(bytes);
  }

  private writeMemoryHex(args: string): string {
    const colon = args.indexOf(':');
    const range = colon > 0 ? this.addressAndLength(args.slice(0, colon)) : null;
    const data = hexToBytes(args.slice(colon + 1));
    if (range === null || data === null || data.length !== range.length) return E_MALFORMED;
    return writeGuest(this.cpu, range.address, data) ? 'OK' : E_FAULT;
  }

  private writeMemoryBinary(args: string): string {
    const colon = args.indexOf(':');
    const range = colon > 0 ? this.addressAndLength(args.slice(0, colon)) : null;
    if (range === null) return E_MALFORMED;
    const data = unescapeBinary(Buffer.from(args.slice(colon + 1), 'latin1'));
    if (data.length !== range.length) return E_MALFORMED;
    return writeGuest(this.cpu, range.address, data) ? 'OK' : E_FAULT;
  }

  /** `type,addr,kind` of Z/z; for watchpoints kind is the length in bytes. */
  private breakpointPacket(args: string, insert: boolean): string {
    const match = /^([0-4]),([0-9a-fA-F]+),([0-9a-fA-F]+)(;.*)?$/.exec(args);
    if (!match) return '';
    const type = Number(match[1]);
    const address = parseHexNumber(match[2]);
    const length = parseHexNumber(match[3]);
    if (address === null || length === null || length > 0xffffffffn) return E_MALFORMED;
    const done = insert
      ? this.breakpoints.insert(type, address, Number(length))
      : this.breakpoints.remove(type, address, Number(length));
    return done ? 'OK' : E_MALFORMED;
  }

  /**
   * Resumes the guest. `signal` follows gdb's meaning: 0 resumes without a signal, so a guest
   * exception held at this stop is thrown away; any other signal lets the CPU deliver it.
   */
  private resumeAction(step: boolean, signal: number, addressHex: string): void {
    if (addressHex !== '') {
      const address = parseHexNumber(addressHex);
      if (address === null) return this.reply(E_MALFORMED);
      this.cpu.setRip(address);
    }
    if (this.exceptionHeld && signal === 0) this.cpu.discardPendingException();
    this.exceptionHeld = false;
    this.cpu.singleStep = step;
    this.resume('resume');
  }

  private resumeWithSignal(step: boolean, args: string): void {
    const [signalHex, addressHex = ''] = args.split(';');
    const signal = parseHexNumber(signalHex);
    if (signal === null || signal > 0xffn) return this.reply(E_MALFORMED);
    this.resumeAction(step, Number(signal), addressHex);
  }

  private verbose(packet: string): void {
    if (packet === 'vCont?') return this.reply('vCont;c;C;s;S');
    if (packet.startsWith('vCont;')) return this.vCont(packet.slice('vCont;'.length));
    if (packet.startsWith('vKill')) return this.kill('OK');
    this.reply('');
  }

  /** Applies the first action that names our thread (or all threads). */
  private vCont(actions: string): void {
    for (const action of actions.split(';')) {
      const [command, thread] = action.split(':');
      if (thread !== undefined && !this.isOurThread(thread.replace(/^p[0-9a-fA-F]+\./, ''))) continue;
      switch (command[0]) {
        case 'c':
        case 's':
          return this.resumeAction(command[0] === 's', 0, '');
        case 'C':
        case 'S': {
          const signal = parseHexNumber(command.slice(1));
          if (signal === null || signal > 0xffn) return this.reply(E_MALFORMED);
          return this.resumeAction(command[0] === 'S', Number(signal), '');
        }
        default:
          return this.reply('');
      }
    }
    this.reply(E_MALFORMED);
  }

  private detach(): void {
    this.reply('OK');
    this.releaseGuest();
    this.state = 'gone';
    void this.stream?.finish(null);
    this.resume('resume');
  }

  /** Ends the session and tells the run loop to stop the tender; `k` gets no reply. */
  private kill(reply: string | null = null): void {
    this.releaseGuest();
    this.state = 'gone';
    void this.stream?.finish(reply);
    this.resume('kill');
  }
}
