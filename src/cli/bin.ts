// ctrdoc run from source (node --import tsx src/cli/bin.ts): the bundle's launcher,
// dist/ctrdoc.cjs, calls the same start().
import { start } from './main.ts';

start(process.argv.slice(2));
