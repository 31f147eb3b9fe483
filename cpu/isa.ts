/**
 * The instruction set: importing a family registers its opcodes in the table (optable.ts).
 * An extension is one new file and one line here.
 */
import './alu.js';
import './atomic.js';
import './bitops.js';
import './control.js';
import './cpuid.js';
import './flagops.js';
import './mov.js';
import './muldiv.js';
import './portio.js';
import './shift.js';
import './stack.js';
import './string.js';
import './system.js';
import './segment-ops.js';
import './sse-move.js';
import './sse-move-fast.js';
import './sse-float.js';
import './sse-float-fast.js';
import './sse-single-fast.js';
import './sse-convert.js';
import './sse-convert-fast.js';
import './sse-int.js';
import './sse-int-fast.js';
import './sse-shift-fast.js';
import './sse-state.js';
import './x87.js';
import './mmx.js';
import './syscall.js';
import './sse3.js';
import './ssse3.js';
import './sse41.js';
import './sse41-float.js';
import './sse42.js';
import './aesni.js';
import './pclmul.js';
