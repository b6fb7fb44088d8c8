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
  /** the levels its lines were logged at (logrus level=, klog's I/W/E/F), distinct, in order seen */
  levels?: string[];
  /** set when the episode's last line is older than the scan's window start: it happened, it is
   * not happening (rules make it info, so an old incident does not keep a node red) */
  beforeWindow?: boolean;
  /** for a pattern whose table entry correlates its lines by an id (its "correlate" block): the
   * ids its lines named, abnormal and unexplained ones first, at most a few dozen */
  ids?: EpisodeId[];
  /** how many ids (and lines without one) each verdict got, over the whole episode */
  idVerdicts?: Record<EpisodeIdVerdict | 'noId', number>;
}

/** abnormal: a marker the table calls abnormal was seen for the id; normal: only markers it calls
 * normal; unexplained: none (the table's "otherwise" says what that means) */
export type EpisodeIdVerdict = 'abnormal' | 'normal' | 'unexplained';

/** One id (a task, container or sandbox id) a correlated pattern's lines named, and the marker
 * lines seen for the same id close to them in time (rules/*-log.json: correlate.markers). */
export interface EpisodeId {
  id: string;
  count: number;
  /** first and last line's time (ISO, '' when the lines carry none) */
  first: string;
  last: string;
  /** the first line that named it (cut) */
  example: string;
  /** marker name → the first marker line seen for this id (cut) */
  markers: Record<string, string>;
  verdict: EpisodeIdVerdict;
}

/** The time span a log scan judges; episodes that ended before `start` are kept, marked beforeWindow. */
export interface LogWindow {
  /** ISO time */
  start: string;
  /** why it starts there: --since; containerd's start (it is more recent than the last few hours); or the last few hours */
  basis: 'since' | 'containerd-start' | 'recent-hours';
  /** the --since text as given (basis since) */
  since?: string;
  /** the span in hours (basis recent-hours) */
  hours?: number;
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
  /** the window the scan was given; episodes before its start carry beforeWindow */
  window?: LogWindow;
  /** true when the lines came newest first (journalctl -r) and were read in reverse */
  newestFirst?: boolean;
}
