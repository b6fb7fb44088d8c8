// `npm run bench`: every benchmark, one after the other, each printing its own side-by-side
// table. Pick some with BENCH=cri,doctor.
const all: Record<string, () => Promise<void> | void> = {
  cri: async () => (await import('./cri.ts')).benchCri(),
  doctor: async () => (await import('./doctor.ts')).benchDoctor(),
  dump: async () => (await import('./goroutines-dump.ts')).benchGoroutineDump(),
  goroutines: async () => { await import('./goroutines.ts'); },
  scale: async () => (await import('./scale.ts')).benchScale(),
  tree: async () => { await import('./tree.ts'); },
};

const pick = (process.env.BENCH ?? Object.keys(all).join(',')).split(',').map((s) => s.trim()).filter(Boolean);
for (const name of pick) {
  const run = all[name];
  if (!run) {
    console.error(`bench: no benchmark "${name}" (have: ${Object.keys(all).join(', ')})`);
    process.exit(2);
  }
  console.log(`\n=== bench ${name} ===`);
  try {
    await run();
  } catch (err) {
    console.error(`bench ${name} failed: ${(err as Error).message}`);
    process.exitCode = 1;
  }
}
