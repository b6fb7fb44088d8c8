// dist/ctrdoc-tree.cjs: `ctrdoc tree`, `shims` and `runc`, the `ps aux --forest`-style looks,
// alone: the launcher runs this bundle for them, under half of the whole to read and deserialize.
import { partialMain, startWith } from './run-command.ts';

export const main = partialMain('tree', {
  runc: () => import('./runc.ts'),
  shims: () => import('./shims.ts'),
  tree: () => import('./tree.ts'),
});

export function start(argv: string[]): void {
  startWith(main, argv);
}
