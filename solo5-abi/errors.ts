/**
 * A fatal condition the user should see as one line (`tender: <message>`) followed by exit 1:
 * a bad command line, a rejected executable, a misbehaving guest. Never carries a stack trace to
 * the terminal.
 */
export class TenderError extends Error {
  constructor(message: string, readonly exitStatus = 1) {
    super(message);
    this.name = 'TenderError';
  }
}
