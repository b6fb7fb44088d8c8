// ctrdoc's version, in one place (kept equal to package.json's by a test).
export const CTRDOC_VERSION = '0.1.0';
