/**
 * SIGINT and SIGTERM while the gdb stub holds the run loop (waiting for a client, or serving a
 * stopped guest). The tender records such signals and acts on them between guest slices, but no
 * slice runs while the stub waits, so the stub must let go for the tender to end.
 */
const WATCHED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

export class SignalWatch {
  private armed = false;

  constructor(private readonly onSignal: (signal: NodeJS.Signals) => void) {}

  arm(): void {
    if (this.armed) return;
    this.armed = true;
    for (const s of WATCHED) process.on(s, this.handler);
  }

  disarm(): void {
    if (!this.armed) return;
    this.armed = false;
    for (const s of WATCHED) process.off(s, this.handler);
  }

  private readonly handler = (signal: NodeJS.Signals): void => {
    this.disarm();
    this.onSignal(signal);
    // With nobody else listening the signal would simply vanish: give it its default effect.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
}
