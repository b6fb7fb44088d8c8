// protobufjs's minimal runtime, as the generated codecs use it (scripts/build.mjs generates
// src/generated/codecs.cjs to require this module instead of protobufjs/minimal), with two of its
// slow paths replaced by Node's native ones. Same answers, checked in test/unit/protobuf.test.ts.
import { isUtf8 } from 'node:buffer';
import protobuf = require('protobufjs/minimal.js');

// proto3 strings are checked for valid UTF-8 (protobufjs's stringVerify), by default in a
// JavaScript decoder: most of the time a 220-container listing takes to decode. Node's native
// decoder replaces a bad sequence with U+FFFD; only a string that holds one is checked again,
// natively and strictly (U+FFFD may also be there on purpose).
protobuf.BufferReader.prototype.stringVerify = function stringVerifyNative(this: protobuf.BufferReader & { buf: Buffer & { utf8Slice(start: number, end: number): string }; pos: number; len: number }): string {
  const len = this.uint32();
  const start = this.pos;
  const end = start + len;
  if (end > this.len) throw RangeError(`index out of range: ${start} + ${len} > ${this.len}`);
  this.pos = end;
  const text = this.buf.utf8Slice(start, end);
  if (text.includes('\uFFFD') && !isUtf8(this.buf.subarray(start, end))) throw Error(`invalid UTF-8 in a string field at byte ${start}`);
  return text;
};

// int64 fields come out as decimal strings (toObject's longs: String) through long.js's
// toString, a loop of 64-bit divisions in JavaScript; BigInt does it natively.
const LongClass = protobuf.util.Long as unknown as { prototype: { toString(radix?: number): string; high: number; low: number; unsigned: boolean } };
const longToString = LongClass.prototype.toString;
LongClass.prototype.toString = function toStringBigInt(this: { high: number; low: number; unsigned: boolean }, radix?: number): string {
  if (radix !== undefined && radix !== 10) return longToString.call(this, radix);
  const bits = (BigInt(this.high) << 32n) | BigInt(this.low >>> 0);
  return (this.unsigned ? BigInt.asUintN(64, bits) : BigInt.asIntN(64, bits)).toString();
};

export = protobuf;
