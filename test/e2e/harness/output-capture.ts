/**
 * Bounded capture of a child's stdout and stderr: the raw text of each stream (tail kept, head dropped) and a
 * ring of the most recent complete lines, interleaved in arrival order, for `waitForLine` and error messages.
 * Bounded so that a chatty long-lived process cannot grow the test's memory without limit.
 */
export type StreamName = 'stdout' | 'stderr';

export interface OutputLine {
  readonly stream: StreamName;
  readonly text: string;
}

export interface OutputCaptureOptions {
  /** Characters of raw text kept per stream. */
  readonly maxCharsPerStream?: number;
  /** Complete lines kept in the ring. */
  readonly maxLines?: number;
}

export const DEFAULT_MAX_CHARS_PER_STREAM = 1024 * 1024;
export const DEFAULT_MAX_LINES = 2000;
/** Lines shown by default in error messages. */
export const DEFAULT_TAIL_LINES = 40;

export class OutputCapture {
  readonly #maxChars: number;
  readonly #maxLines: number;
  readonly #text: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #dropped: Record<StreamName, number> = { stdout: 0, stderr: 0 };
  readonly #partial: Record<StreamName, string> = { stdout: '', stderr: '' };
  readonly #lines: OutputLine[] = [];

  constructor(options: OutputCaptureOptions = {}) {
    this.#maxChars = options.maxCharsPerStream ?? DEFAULT_MAX_CHARS_PER_STREAM;
    this.#maxLines = options.maxLines ?? DEFAULT_MAX_LINES;
  }

  /** Records a chunk and returns the lines it completed (without their line ending). */
  append(stream: StreamName, chunk: string): OutputLine[] {
    this.#appendText(stream, chunk);
    const pieces = (this.#partial[stream] + chunk).split('\n');
    this.#partial[stream] = pieces.pop() ?? '';
    // A runaway line without a newline must not grow without bound either.
    if (this.#partial[stream].length > this.#maxChars)
      this.#partial[stream] = this.#partial[stream].slice(-this.#maxChars);
    return pieces.map((text) => this.#pushLine(stream, text));
  }

  /** Ends both streams: whatever follows the last newline becomes a line. */
  flush(): OutputLine[] {
    const completed: OutputLine[] = [];
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.#partial[stream] !== '') completed.push(this.#pushLine(stream, this.#partial[stream]));
      this.#partial[stream] = '';
    }
    return completed;
  }

  /** The captured text of one stream; prefixed with a marker when its head was dropped. */
  text(stream: StreamName): string {
    const dropped = this.#dropped[stream];
    return dropped === 0 ? this.#text[stream] : `[... ${dropped} characters dropped ...]\n${this.#text[stream]}`;
  }

  recentLines(): readonly OutputLine[] {
    return this.#lines;
  }

  /** The last `count` lines, each prefixed with its stream, for error messages. */
  tail(count: number = DEFAULT_TAIL_LINES): string {
    const lines = this.#lines.slice(-count).map((line) => `  [${line.stream}] ${line.text}`);
    return lines.length === 0 ? '  (no output)' : lines.join('\n');
  }

  #appendText(stream: StreamName, chunk: string): void {
    const combined = this.#text[stream] + chunk;
    const excess = combined.length - this.#maxChars;
    if (excess > 0) {
      this.#dropped[stream] += excess;
      this.#text[stream] = combined.slice(excess);
    } else {
      this.#text[stream] = combined;
    }
  }

  #pushLine(stream: StreamName, raw: string): OutputLine {
    const line: OutputLine = { stream, text: raw.endsWith('\r') ? raw.slice(0, -1) : raw };
    this.#lines.push(line);
    if (this.#lines.length > this.#maxLines) this.#lines.splice(0, this.#lines.length - this.#maxLines);
    return line;
  }
}
