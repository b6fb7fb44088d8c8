// dist/ctrdoc-vendor-cri.cjs: CRI's codecs alone (runtime.v1), for the CRI bundle (main-cri.ts);
// the whole set is in ctrdoc-vendor.cjs (vendor.cts).
module.exports = {
  'ctrdoc:codecs': require('../generated/codecs-cri.cjs'),
};
