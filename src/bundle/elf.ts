// What a core dump's reader needs to know about the binary: its build ids (GNU and Go) and
// whether it carries DWARF debug info (.debug_info), read from the ELF section headers and
// note sections. Reads only the headers and the notes, never the whole file.
import { open } from 'node:fs/promises';

export interface ElfFacts {
  /** hex of the NT_GNU_BUILD_ID note (.note.gnu.build-id) */
  buildId?: string;
  /** the Go toolchain's build id (.note.go.buildid) */
  goBuildId?: string;
  /** a Go binary (.gopclntab, .go.buildinfo or a Go build id) */
  isGo: boolean;
  /** .debug_info or .zdebug_info is present: a debugger can show source lines and variables */
  debugInfo: boolean;
  /** .gnu_debuglink: the name of a separate debug file (distro -dbgsym packages) */
  debugLink?: string;
  /** the binary still has a symbol table (.symtab): function names even without DWARF */
  symtab: boolean;
  sections: number;
}

const SHT_NOTE = 7;

/** Parses ELF notes (name, type, desc), 4-byte aligned as on Linux. */
export function parseNotes(buf: Buffer, le: boolean): { name: string; type: number; desc: Buffer }[] {
  const out: { name: string; type: number; desc: Buffer }[] = [];
  const u32 = (o: number) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  let o = 0;
  while (o + 12 <= buf.length) {
    const namesz = u32(o);
    const descsz = u32(o + 4);
    const type = u32(o + 8);
    const nameEnd = o + 12 + namesz;
    const descStart = o + 12 + ((namesz + 3) & ~3);
    const descEnd = descStart + descsz;
    if (nameEnd > buf.length || descEnd > buf.length) break;
    out.push({ name: buf.subarray(o + 12, nameEnd).toString('latin1').replace(/\0+$/, ''), type, desc: buf.subarray(descStart, descEnd) });
    o = descStart + ((descsz + 3) & ~3);
  }
  return out;
}

/** One section's name and what it says about the binary: debug info, symbols, Go, a debug link, notes (build ids). */
async function readSection(facts: ElfFacts, name: string, s: { type: number; offset: number; size: number }, read: (pos: number, len: number) => Promise<Buffer>, le: boolean): Promise<void> {
  if (name === '.debug_info' || name === '.zdebug_info') facts.debugInfo = true;
  if (name === '.symtab') facts.symtab = true;
  if (name === '.gopclntab' || name === '.go.buildinfo') facts.isGo = true;
  if (name === '.gnu_debuglink' && s.size < 4096) facts.debugLink = (await read(s.offset, s.size)).toString('latin1').split('\0')[0];
  if (s.type !== SHT_NOTE || s.size >= 1 << 16) return;
  for (const n of parseNotes(await read(s.offset, s.size), le)) {
    if (n.name === 'GNU' && n.type === 3) facts.buildId = n.desc.toString('hex');
    if (n.name === 'Go' && n.type === 4) {
      facts.goBuildId = n.desc.toString('latin1').replace(/\0+$/, '');
      facts.isGo = true;
    }
  }
}

export async function readElfFacts(path: string): Promise<ElfFacts> {
  const fh = await open(path, 'r');
  try {
    const read = async (pos: number, len: number) => {
      const b = Buffer.alloc(len);
      const { bytesRead } = await fh.read(b, 0, len, pos);
      return b.subarray(0, bytesRead);
    };
    const h = await read(0, 64);
    if (h.length < 52 || h.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${path} is not an ELF file`);
    const is64 = h[4] === 2;
    const le = h[5] === 1;
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const u64 = (b: Buffer, o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
    const shoff = is64 ? u64(h, 0x28) : u32(h, 0x20);
    const shentsize = u16(h, is64 ? 0x3a : 0x2e);
    const shnum = u16(h, is64 ? 0x3c : 0x30);
    const shstrndx = u16(h, is64 ? 0x3e : 0x32);
    const facts: ElfFacts = { isGo: false, debugInfo: false, symtab: false, sections: shnum };
    if (!shoff || !shnum || shnum > 4096 || shentsize < (is64 ? 64 : 40)) return facts;
    const table = await read(shoff, shnum * shentsize);
    const sec = (i: number) => {
      const o = i * shentsize;
      return is64
        ? { name: u32(table, o), type: u32(table, o + 4), offset: u64(table, o + 0x18), size: u64(table, o + 0x20) }
        : { name: u32(table, o), type: u32(table, o + 4), offset: u32(table, o + 0x10), size: u32(table, o + 0x14) };
    };
    const strs = sec(shstrndx);
    const names = await read(strs.offset, Math.min(strs.size, 1 << 20));
    for (let i = 0; i < shnum && (i + 1) * shentsize <= table.length; i++) {
      const s = sec(i);
      const end = names.indexOf(0, s.name);
      await readSection(facts, names.subarray(s.name, end === -1 ? undefined : end).toString('latin1'), s, read, le);
    }
    return facts;
  } finally {
    await fh.close();
  }
}
