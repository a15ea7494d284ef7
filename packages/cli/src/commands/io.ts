/** Where a command writes: the process's streams (tests run the CLI as a child process). */
export interface Io {
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;
  /** Writes `text` and a newline to stdout (or stderr) and returns `code`, for `return io.print(…)`. */
  print(text: string, code: number, stream?: "stdout" | "stderr"): number;
}

export const processIo: Io = {
  stdout: process.stdout,
  stderr: process.stderr,
  print(text, code, stream = "stdout") {
    process[stream].write(`${text}\n`);
    return code;
  },
};
