// `ctrdoc lab versions`: each version the lab can run, whether it is ready here, and from where.
import { LAB_VERSIONS, VERSION_TABLE, type LabVersion } from './versions.ts';
import { readyBinaries } from './binaries.ts';

export interface VersionRow {
  labVersion: LabVersion;
  title: string;
  ready: boolean;
  containerd?: string;
  binaryVersion?: string;
  packageVersion?: string;
  /** the version table's package version (suites and the seed's source) */
  tableVersion?: string;
  note?: string;
  error?: string;
}

export function versionsReport(): VersionRow[] {
  return LAB_VERSIONS.map((v) => {
    const src = VERSION_TABLE[v];
    const row: VersionRow = { labVersion: v, title: src.title, ready: false, tableVersion: src.kind === 'system' ? undefined : src.packageVersion };
    try {
      const b = readyBinaries(v);
      if (b) Object.assign(row, { ready: true, containerd: b.containerd, binaryVersion: b.binaryVersion, packageVersion: b.packageVersion, note: b.note });
    } catch (err) {
      row.error = (err as Error).message;
    }
    return row;
  });
}
