/**
 * Our target description (served as `target.xml` through qXfer:features:read). It is generated
 * from the register table so the XML order and the `g`/`p` numbering cannot drift apart.
 */
import { REGISTERS, type Feature, type RegisterDef } from './registers.js';

const FEATURE_NAMES: Record<Feature, string> = {
  core: 'org.gnu.gdb.i386.core',
  sse: 'org.gnu.gdb.i386.sse',
  segments: 'org.gnu.gdb.i386.segments',
};

function flagFields(fields: Array<[string, number]>): string {
  return fields.map(([name, bit]) => `    <field name="${name}" start="${bit}" end="${bit}"/>`).join('\n');
}

const EFLAGS_TYPE = `  <flags id="i386_eflags" size="4">
${flagFields([
  ['CF', 0], ['', 1], ['PF', 2], ['AF', 4], ['ZF', 6], ['SF', 7], ['TF', 8], ['IF', 9], ['DF', 10],
  ['OF', 11], ['NT', 14], ['RF', 16], ['VM', 17], ['AC', 18], ['VIF', 19], ['VIP', 20], ['ID', 21],
])}
  </flags>`;

const SSE_TYPES = `  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
  <union id="vec128">
    <field name="v4_float" type="v4f"/>
    <field name="v2_double" type="v2d"/>
    <field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/>
    <field name="v4_int32" type="v4i32"/>
    <field name="v2_int64" type="v2i64"/>
    <field name="uint128" type="uint128"/>
  </union>
  <flags id="i386_mxcsr" size="4">
${flagFields([
  ['IE', 0], ['DE', 1], ['ZE', 2], ['OE', 3], ['UE', 4], ['PE', 5], ['DAZ', 6], ['IM', 7],
  ['DM', 8], ['ZM', 9], ['OM', 10], ['UM', 11], ['PM', 12], ['FZ', 15],
])}
  </flags>`;

const FEATURE_TYPES: Record<Feature, string> = { core: EFLAGS_TYPE, sse: SSE_TYPES, segments: '' };

function registerXml(def: RegisterDef, regnum: number): string {
  const group = def.group ? ` group="${def.group}"` : '';
  return `  <reg name="${def.name}" bitsize="${def.size * 8}" type="${def.type}" regnum="${regnum}"${group}/>`;
}

function buildTargetXml(): string {
  const features = (Object.keys(FEATURE_NAMES) as Feature[]).map((feature) => {
    const regs = REGISTERS.map((def, regnum) => ({ def, regnum })).filter((r) => r.def.feature === feature);
    const body = [FEATURE_TYPES[feature], ...regs.map((r) => registerXml(r.def, r.regnum))].filter((l) => l !== '');
    return `<feature name="${FEATURE_NAMES[feature]}">\n${body.join('\n')}\n</feature>`;
  });
  return `<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
<architecture>i386:x86-64</architecture>
${features.join('\n')}
</target>
`;
}

export const TARGET_XML = buildTargetXml();
