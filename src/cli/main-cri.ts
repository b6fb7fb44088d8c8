// dist/ctrdoc-cri.cjs: `ctrdoc cri ...` alone. The launcher runs this bundle, not the whole one,
// when the first argument is `cri`: crictl-style commands are what people run in a loop, and this
// bundle (with only CRI's codecs beside it) reads and deserializes a fraction of the whole.
import { partialMain, startWith } from './run-command.ts';

export const main = partialMain('CRI', { cri: () => import('./cri.ts') });

export function start(argv: string[]): void {
  startWith(main, argv);
}
