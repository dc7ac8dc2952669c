/** Where a command writes: stdout for its result, stderr for everything else. Injected so tests can read both. */
export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  /**
   * Reads a secret such as a passphrase from standard input: on a terminal it prompts (on stderr) without
   * echo; otherwise it reads the first line of what is piped in. Secrets never go on the command line, where
   * any user could read them with `ps`.
   */
  readonly readSecret?: (prompt: string) => Promise<string>;
}

/** More than this on standard input is not a passphrase. */
const MAX_SECRET_BYTES = 64 * 1024;

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  readSecret: (prompt) => (process.stdin.isTTY ? promptWithoutEcho(prompt) : readFirstLine(process.stdin)),
};

/** The first line of `stream` (without its line ending), read to the end or to MAX_SECRET_BYTES. */
export async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
    chunks.push(buffer);
    size += buffer.length;
    if (size > MAX_SECRET_BYTES) throw new Error(`more than ${MAX_SECRET_BYTES} bytes on standard input`);
  }
  return firstLine(Buffer.concat(chunks).toString('utf8'));
}

/** Text up to the first line break, which is dropped (a passphrase file written by `echo` ends with one). */
export function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

function promptWithoutEcho(prompt: string): Promise<string> {
  const stdin = process.stdin;
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new Error('cancelled'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
  });
}
