// pprof's debug=1 goroutine profile prints no header state, and hides the runtime frames at the
// top of each stack (runtime.gopark and the like). Where the first frame it shows says what the
// goroutine waits for, the state is the one Go (1.20+ names) would have printed; else 'unknown'.

const SEMA = /^(?:internal\/)?sync\.runtime_Semacquire/;
const SYSCALL = /^(?:syscall\.(?:Syscall|RawSyscall|syscall|rawSyscall)|golang\.org\/x\/sys\/unix\.(?:Syscall|RawSyscall)|internal\/runtime\/syscall\.|os\/signal\.signal_recv$)/;

/** The state of a debug=1 record from its function names, innermost first. */
export function pprofState(funcs: readonly string[]): string {
  const f0 = funcs[0] ?? '';
  if (f0 === 'internal/poll.runtime_pollWait') return 'IO wait';
  if (f0 === 'time.Sleep') return 'sleep';
  if (f0 === 'sync.runtime_notifyListWait') return 'sync.Cond.Wait';
  if (SYSCALL.test(f0)) return 'syscall';
  if (f0.startsWith('runtime/pprof.')) return 'running';
  if (SEMA.test(f0)) {
    for (const f of funcs.slice(1, 4)) {
      if (/sync\.\(\*RWMutex\)\.RLock$/.test(f)) return 'sync.RWMutex.RLock';
      if (/sync\.\(\*RWMutex\)\.Lock$/.test(f)) return 'sync.RWMutex.Lock';
      if (/sync\.\(\*Mutex\)\.(?:lockSlow|Lock)$/.test(f)) return 'sync.Mutex.Lock';
      if (/sync\.\(\*WaitGroup\)\.Wait$/.test(f)) return 'sync.WaitGroup.Wait';
    }
    return 'semacquire';
  }
  return 'unknown';
}
