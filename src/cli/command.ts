// The shape of one CLI command. Each command lives in its own file and is loaded lazily by
// main.ts, so `ctrdoc --help` never loads gRPC or the analysers.

export interface CliIO {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** true when stderr is a terminal (progress and colour only then). */
  isTTY: boolean;
}

export interface Command {
  /** One line for the command list. */
  summary: string;
  /** Full usage text for `ctrdoc CMD --help`. */
  usage: string;
  /** Returns the exit code; throws CtrdocError for a failure main.ts reports. */
  run(args: string[], io: CliIO): Promise<number>;
}

export function out(io: CliIO, text: string): void {
  io.stdout.write(text.endsWith('\n') ? text : text + '\n');
}
