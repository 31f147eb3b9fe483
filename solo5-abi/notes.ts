/**
 * Finding Solo5's ABI1 and MFT1 notes (§1.3): only the first note of each PT_NOTE segment is
 * looked at, and the size rules and messages are Solo5's.
 */
import {
  ABI1_NOTE_ALIGN, ABI1_NOTE_MAX_DESCSZ, ABI1_NOTE_TYPE, HVT_ABI_TARGET, HVT_ABI_VERSION,
  MFT1_NOTE_ALIGN, MFT1_NOTE_MAX_DESCSZ, MFT1_NOTE_TYPE, NOTE_HEADER_SIZE, PT_NOTE, SOLO5_NOTE_PREFIX,
} from './constants.js';
import { ElfImage, invalidExecutable, readElfHeader, readProgramHeaders } from './elf.js';
import { TenderError } from './errors.js';

const U64 = (1n << 64n) - 1n;

interface NoteKind {
  type: number;
  align: number;
  maxDescsz: number;
}

const ABI1: NoteKind = { type: ABI1_NOTE_TYPE, align: ABI1_NOTE_ALIGN, maxDescsz: ABI1_NOTE_MAX_DESCSZ };
const MFT1: NoteKind = { type: MFT1_NOTE_TYPE, align: MFT1_NOTE_ALIGN, maxDescsz: MFT1_NOTE_MAX_DESCSZ };

/**
 * The descriptor content of the first Solo5 note of `kind`, after its alignment padding, or null
 * if the executable has none. Throws on every malformed note Solo5 rejects.
 */
function findNote(image: ElfImage, kind: NoteKind): Buffer | null {
  const header = readElfHeader(image, 'while loading note');
  for (const ph of readProgramHeaders(image, header)) {
    if (ph.type !== PT_NOTE) continue;
    const i = ph.index;
    if (ph.filesz < BigInt(NOTE_HEADER_SIZE)) {
      throw invalidExecutable(image, `phdr[${i}].p_filesz note does not fall within valid size (${ph.filesz} < ${NOTE_HEADER_SIZE})`);
    }
    if (ph.filesz < BigInt(SOLO5_NOTE_PREFIX)) continue;
    const head = image.readAt(ph.offset, SOLO5_NOTE_PREFIX, 'note header');
    if (head.length !== SOLO5_NOTE_PREFIX) {
      throw invalidExecutable(image, `phdr[${i}] note header could not be read (${head.length} != ${SOLO5_NOTE_PREFIX})`);
    }
    const namesz = head.readUInt32LE(0);
    const descsz = head.readUInt32LE(4);
    const type = head.readUInt32LE(8);
    const isSolo5 = namesz === 6 && head.toString('latin1', 12, 18) === 'Solo5\0';
    if (!isSolo5 || type !== kind.type) continue;
    if (descsz < 1 || descsz > kind.maxDescsz) {
      throw invalidExecutable(image, `phdr[${i}] note does not fall within valid size (${descsz} < 1 || ${descsz} > ${kind.maxDescsz})`);
    }
    if (ph.filesz < BigInt(SOLO5_NOTE_PREFIX + descsz)) {
      throw invalidExecutable(image, `phdr[${i}] note does not fall within valid size (${ph.filesz} < ${SOLO5_NOTE_PREFIX}+${descsz})`);
    }
    const contentOffset = Math.ceil(SOLO5_NOTE_PREFIX / kind.align) * kind.align;
    const padding = contentOffset - SOLO5_NOTE_PREFIX;
    // Solo5 computes this in unsigned 64-bit arithmetic, so a tiny descsz wraps around.
    const usable = (BigInt(descsz) - BigInt(padding)) & U64;
    if (usable === 0n || usable > BigInt(descsz)) {
      throw new TenderError(`${image.name}: INV_EXE: phdr[${i}] note does not fall within valid size (${usable} <= 0 || ${usable} > ${descsz})`);
    }
    const content = image.readAt(ph.offset + BigInt(contentOffset), Number(usable), 'note');
    if (content.length !== Number(usable)) {
      throw invalidExecutable(image, `phdr[${i}] note could not be read (${content.length} != ${usable})`);
    }
    return content;
  }
  return null;
}

/** Checks the ABI1 note: the executable must be for hvt, ABI version 2. */
export function checkAbiNote(image: ElfImage): void {
  const content = findNote(image, ABI1);
  if (content === null) throw new TenderError(`${image.name}: No Solo5 ABI information found in executable`);
  const abi = Buffer.alloc(16);
  content.copy(abi, 0, 0, Math.min(content.length, 16));
  if (abi.readUInt32LE(0) !== HVT_ABI_TARGET) {
    throw new TenderError(`${image.name}: Executable is not for the solo5-hvt target`);
  }
  const version = abi.readUInt32LE(4);
  if (version !== HVT_ABI_VERSION) {
    throw new TenderError(`${image.name}: Executable requests unsupported ABI version ${version}`);
  }
}

/** The raw manifest (`struct mft`) bytes from the MFT1 note, not yet validated. */
export function readManifestNote(image: ElfImage): Buffer {
  const content = findNote(image, MFT1);
  if (content === null) throw new TenderError(`${image.name}: No Solo5 manifest found in executable`);
  return content;
}
