// `npm run build:image`: the DaemonSet's image as an OCI image layout tarball, dist/ctrdoc-image.oci.tar,
// from the single executable (npm run build:binary makes it first). deploy/IMAGE.md says how to
// push it to a registry or import it into containerd.
//   node --import tsx scripts/build-image.ts [--executable FILE] [--out FILE] [--name REF] [--no-shell]
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildCtrdocImage } from '../src/image/build.ts';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { executable: { type: 'string' }, out: { type: 'string' }, name: { type: 'string' }, 'no-shell': { type: 'boolean' } } });
const out = values.out ?? join(root, 'dist', 'ctrdoc-image.oci.tar');
const img = await buildCtrdocImage({ executable: values.executable ?? join(root, 'dist', 'ctrdoc'), name: values.name, shell: !values['no-shell'] });
writeFileSync(out, img.tarball);
const mib = (n: number) => `${(n / 2 ** 20).toFixed(1)} MiB`;
console.log(`${out}: ${img.name}`);
console.log(`  archive ${mib(img.tarball.length)}; one layer ${mib(img.layer.size)} gzip; manifest ${img.manifest.digest}`);
console.log(`  libraries: ${img.libraries.map((l) => l.path).join(' ')}`);
