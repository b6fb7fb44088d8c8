import { lstatSync, readdirSync, type Dirent } from 'node:fs';

export type TypedEntry = Pick<Dirent, 'name' | 'isDirectory' | 'isSocket'>;
export type ListTyped = (dir: string) => TypedEntry[];

const listTypedEntries: ListTyped = (dir) => readdirSync(dir, { withFileTypes: true });

/**
 * One directory's entries with their types. A typed listing needs no stat per entry, but where the
 * filesystem gives no types node stats each entry itself, and one entry deleted in between (runc
 * delete, normal churn) fails the whole listing: then list by name and skip what has gone.
 * A directory that cannot be read throws, as readdir does.
 */
export function typedEntries(dir: string, listTyped: ListTyped = listTypedEntries): TypedEntry[] {
  try {
    return listTyped(dir);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code !== 'ENOENT' || e.path === dir || e.path === undefined) throw err;
  }
  const out: TypedEntry[] = [];
  for (const name of readdirSync(dir)) {
    try {
      const st = lstatSync(`${dir}/${name}`);
      out.push({ name, isDirectory: () => st.isDirectory(), isSocket: () => st.isSocket() });
    } catch {
      // gone since the listing: no longer an entry
    }
  }
  return out;
}
