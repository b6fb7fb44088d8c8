// Log lines matched against the shipped patterns (rules/*-log.json), grouped into episodes: a
// burst of the same message is one episode, not a thousand findings (node-problem-detector's
// lesson: counting PLEG lines instead of episodes caused reboot loops, gardener#844).

export interface LogEpisode {
  /** the pattern's id in rules/*-log.json */
  pattern: string;
  /** first and last matching line's time (ISO, '' when the lines carry none) */
  first: string;
  last: string;
  count: number;
  /** up to three example lines, as they were (cut to 500 characters): first, second, last */
  examples: string[];
  /** captured values (the pattern's named groups, e.g. the RPC name, the container id), distinct, at most 20 each */
  captures: Record<string, string[]>;
}

export interface LogScan {
  /** "file:/var/log/containerd.log", "journald:containerd" or "kmsg" */
  source: string;
  linesRead: number;
  bytesRead: number;
  /** the first and last time seen in the lines read ('' when no line carried one) */
  from: string;
  to: string;
  /** the last few lines, for context when the daemon hangs */
  tail: string[];
  /** episodes, in the order their first line appeared */
  episodes: LogEpisode[];
  /** true when only the end of the log was read (the size or line bound was hit) */
  truncated: boolean;
  /** what the scan could not do or chose not to, said plainly (binary lines skipped, long lines cut) */
  notes?: string[];
}
