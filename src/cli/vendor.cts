// dist/ctrdoc-vendor.cjs: grpc-js and protobufjs, built apart from the bundle so that commands
// which speak no gRPC never read or compile them; the launcher (launch.ts) hands them to the
// bundle by the names it requires them with.
module.exports = {
  '@grpc/grpc-js': require('@grpc/grpc-js'),
  'protobufjs/light.js': require('protobufjs/light.js'),
};
