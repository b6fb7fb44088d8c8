// dist/ctrdoc-vendor.cjs: the protobuf codecs (generated at build time, with protobufjs's minimal
// runtime), built apart from the bundle so that commands which speak neither gRPC nor ttrpc never
// read or compile them; the launcher (launch.ts) hands them to the bundle on require('ctrdoc:codecs').
module.exports = {
  'ctrdoc:codecs': require('../generated/codecs.cjs'),
};
