/*
 * Native side of the differential CPU tests: executes single x86-64 instructions on the host CPU
 * and reports the register, flag and memory state afterwards (or the exception vector).
 *
 * Reads fixed-size `struct case_in` records on stdin and writes one `struct case_out` per record
 * on stdout. The layouts are mirrored in test/diff/native-format.ts; change both together.
 *
 * Each case runs at fixed addresses that the emulator identity-maps too: the instruction at
 * CODE_ENTRY followed by an absolute indirect jump back to `dt_exit`, and an 8 KiB data area at
 * DATA_ADDR (memory operands and the stack point into it) refilled per case from a seeded PRNG.
 * The rest of the code page is INT3: a near branch that leaves lands on one, and the SIGTRAP
 * handler takes the register state from the signal context, so branches are checked by RIP.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#define CODE_ADDR 0x10000000UL
#define CODE_ENTRY (CODE_ADDR + 0x800)
#define DATA_ADDR 0x20000000UL
#define DATA_SIZE 8192
#define MAX_DIFF 256
#define PAGE 4096

struct case_in {
  uint8_t len;
  uint8_t code[15];
  uint64_t gpr[16];
  uint64_t rflags;
  uint32_t mxcsr;
  uint32_t data_seed;
  uint8_t xmm[16][16];
  /* Bytes written over the PRNG fill, so that memory operands get edge-biased values too. */
  uint16_t patch_off;
  uint8_t patch_len;
  uint8_t pad0;
  uint8_t patch[16];
  uint32_t pad1;
  uint8_t mm[8][8];
};

struct case_out {
  int32_t vector; /* -1: the instruction completed */
  uint32_t error_code;
  uint64_t gpr[16];
  uint64_t rip;
  uint64_t rflags;
  uint32_t mxcsr;
  uint32_t ndiff; /* changed data bytes; only the first MAX_DIFF are listed */
  uint8_t xmm[16][16];
  uint64_t fault_addr;
  struct {
    uint16_t off;
    uint8_t val;
    uint8_t pad;
  } diff[MAX_DIFF];
  uint8_t mm[8][8];
  uint32_t ftw; /* abridged x87 tag word */
  uint32_t pad2;
};

_Static_assert(sizeof(struct case_in) == 504, "case_in layout");
_Static_assert(sizeof(struct case_out) == 1520, "case_out layout");

/* Register image shared with the trampoline: GPRs, RFLAGS, MXCSR, XMM0..15, MM0..7. */
struct cpu_image {
  uint64_t gpr[16];
  uint64_t rflags;
  uint64_t mxcsr;
  uint8_t xmm[16][16];
  uint8_t mm[8][8];
};
/* The x87/MMX state after the instruction (FXSAVE: tags at 4, registers from 32). */
uint8_t g_fxsave[512] __attribute__((aligned(16)));

struct cpu_image g_image;
uint64_t g_host_rsp;
uint64_t g_code_entry = CODE_ENTRY;
uint32_t g_host_mxcsr = 0x1f80;
uint8_t g_scratch_stack[256] __attribute__((aligned(16)));

void dt_enter(void);
void dt_exit(void);

/* Offsets: gpr 0, rflags 128, mxcsr 136, xmm 144, mm 400. Loading MM0..7 puts the x87 unit in
   MMX state (TOP 0, all tags valid); on the way out FXSAVE takes it and EMMS clears it. */
__asm__(
    ".intel_syntax noprefix\n"
    ".text\n"
    ".globl dt_enter\n"
    "dt_enter:\n"
    "  push rbx\n  push rbp\n  push r12\n  push r13\n  push r14\n  push r15\n"
    "  mov [rip+g_host_rsp], rsp\n"
    "  movdqu xmm0, [rip+g_image+144]\n  movdqu xmm1, [rip+g_image+160]\n"
    "  movdqu xmm2, [rip+g_image+176]\n  movdqu xmm3, [rip+g_image+192]\n"
    "  movdqu xmm4, [rip+g_image+208]\n  movdqu xmm5, [rip+g_image+224]\n"
    "  movdqu xmm6, [rip+g_image+240]\n  movdqu xmm7, [rip+g_image+256]\n"
    "  movdqu xmm8, [rip+g_image+272]\n  movdqu xmm9, [rip+g_image+288]\n"
    "  movdqu xmm10, [rip+g_image+304]\n  movdqu xmm11, [rip+g_image+320]\n"
    "  movdqu xmm12, [rip+g_image+336]\n  movdqu xmm13, [rip+g_image+352]\n"
    "  movdqu xmm14, [rip+g_image+368]\n  movdqu xmm15, [rip+g_image+384]\n"
    "  ldmxcsr [rip+g_image+136]\n"
    "  movq mm0, [rip+g_image+400]\n  movq mm1, [rip+g_image+408]\n"
    "  movq mm2, [rip+g_image+416]\n  movq mm3, [rip+g_image+424]\n"
    "  movq mm4, [rip+g_image+432]\n  movq mm5, [rip+g_image+440]\n"
    "  movq mm6, [rip+g_image+448]\n  movq mm7, [rip+g_image+456]\n"
    "  lea rsp, [rip+g_scratch_stack+256]\n"
    "  push qword ptr [rip+g_image+128]\n"
    "  popfq\n"
    "  mov rax, [rip+g_image+0]\n  mov rcx, [rip+g_image+8]\n"
    "  mov rdx, [rip+g_image+16]\n  mov rbx, [rip+g_image+24]\n"
    "  mov rbp, [rip+g_image+40]\n  mov rsi, [rip+g_image+48]\n"
    "  mov rdi, [rip+g_image+56]\n  mov r8, [rip+g_image+64]\n"
    "  mov r9, [rip+g_image+72]\n  mov r10, [rip+g_image+80]\n"
    "  mov r11, [rip+g_image+88]\n  mov r12, [rip+g_image+96]\n"
    "  mov r13, [rip+g_image+104]\n  mov r14, [rip+g_image+112]\n"
    "  mov r15, [rip+g_image+120]\n"
    "  mov rsp, [rip+g_image+32]\n"
    "  jmp [rip+g_code_entry]\n"
    ".globl dt_exit\n"
    "dt_exit:\n"
    "  mov [rip+g_image+0], rax\n  mov [rip+g_image+8], rcx\n"
    "  mov [rip+g_image+16], rdx\n  mov [rip+g_image+24], rbx\n"
    "  mov [rip+g_image+32], rsp\n  mov [rip+g_image+40], rbp\n"
    "  mov [rip+g_image+48], rsi\n  mov [rip+g_image+56], rdi\n"
    "  mov [rip+g_image+64], r8\n  mov [rip+g_image+72], r9\n"
    "  mov [rip+g_image+80], r10\n  mov [rip+g_image+88], r11\n"
    "  mov [rip+g_image+96], r12\n  mov [rip+g_image+104], r13\n"
    "  mov [rip+g_image+112], r14\n  mov [rip+g_image+120], r15\n"
    "  lea rsp, [rip+g_scratch_stack+256]\n"
    "  pushfq\n"
    "  pop qword ptr [rip+g_image+128]\n"
    "  cld\n"
    "  stmxcsr [rip+g_image+136]\n"
    "  fxsave [rip+g_fxsave]\n"
    "  emms\n"
    "  movdqu [rip+g_image+144], xmm0\n  movdqu [rip+g_image+160], xmm1\n"
    "  movdqu [rip+g_image+176], xmm2\n  movdqu [rip+g_image+192], xmm3\n"
    "  movdqu [rip+g_image+208], xmm4\n  movdqu [rip+g_image+224], xmm5\n"
    "  movdqu [rip+g_image+240], xmm6\n  movdqu [rip+g_image+256], xmm7\n"
    "  movdqu [rip+g_image+272], xmm8\n  movdqu [rip+g_image+288], xmm9\n"
    "  movdqu [rip+g_image+304], xmm10\n  movdqu [rip+g_image+320], xmm11\n"
    "  movdqu [rip+g_image+336], xmm12\n  movdqu [rip+g_image+352], xmm13\n"
    "  movdqu [rip+g_image+368], xmm14\n  movdqu [rip+g_image+384], xmm15\n"
    "  ldmxcsr [rip+g_host_mxcsr]\n"
    "  mov rsp, [rip+g_host_rsp]\n"
    "  pop r15\n  pop r14\n  pop r13\n  pop r12\n  pop rbp\n  pop rbx\n"
    "  ret\n"
    ".att_syntax prefix\n");

static sigjmp_buf g_fault_jmp;
static volatile int g_fault_vector;
static volatile uint64_t g_fault_err, g_fault_addr, g_fault_rip;

/* Signal-context register order for RAX..R15 in encoding order. */
static const int greg_of_gpr[16] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI, REG_RDI,
                                    REG_R8,  REG_R9,  REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15};

/* Vector reported when a case does not come back (an instruction that loops on itself). */
#define VECTOR_TIMEOUT (-2)

static void on_fault(int sig, siginfo_t *info, void *ctx) {
  ucontext_t *uc = ctx;
  uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  if (sig == SIGALRM) {
    g_fault_vector = VECTOR_TIMEOUT;
    g_fault_rip = rip;
    siglongjmp(g_fault_jmp, 1);
  }
  if (sig == SIGTRAP && uc->uc_mcontext.gregs[REG_TRAPNO] == 3 && rip - 1 != CODE_ENTRY &&
      rip - 1 >= CODE_ADDR && rip - 1 < CODE_ADDR + PAGE) {
    /* A branch landed on the INT3 fill: that is a normal completion at rip - 1. */
    for (int i = 0; i < 16; i++) g_image.gpr[i] = (uint64_t)uc->uc_mcontext.gregs[greg_of_gpr[i]];
    g_image.rflags = (uint64_t)uc->uc_mcontext.gregs[REG_EFL];
    g_image.mxcsr = uc->uc_mcontext.fpregs->mxcsr;
    memcpy(g_image.xmm, uc->uc_mcontext.fpregs->_xmm, sizeof g_image.xmm);
    memcpy(g_fxsave, uc->uc_mcontext.fpregs, sizeof g_fxsave);
    g_fault_vector = -1;
    g_fault_rip = rip - 1;
    siglongjmp(g_fault_jmp, 1);
  }
  /* The kernel reports the hardware vector that raised the signal. */
  g_fault_vector = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
  g_fault_err = (uint64_t)uc->uc_mcontext.gregs[REG_ERR];
  g_fault_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
  g_fault_addr = (uint64_t)info->si_addr;
  siglongjmp(g_fault_jmp, 1);
}

/* Same generator as fillData() in test/diff/native-format.ts. */
static void fill_data(uint8_t *data, uint32_t seed) {
  uint32_t x = seed ? seed : 0x9e3779b9u;
  for (int i = 0; i < DATA_SIZE; i += 4) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    memcpy(data + i, &x, 4);
  }
}

static void *map_fixed(uint64_t addr, size_t size, int prot) {
  void *p = mmap((void *)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (p != (void *)addr) {
    fprintf(stderr, "runner: cannot map %#lx\n", (unsigned long)addr);
    exit(2);
  }
  return p;
}

int main(void) {
  uint8_t *code = map_fixed(CODE_ADDR, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC);
  uint8_t *entry = code + (CODE_ENTRY - CODE_ADDR);
  uint8_t *data = map_fixed(DATA_ADDR, DATA_SIZE, PROT_READ | PROT_WRITE);
  static uint8_t before[DATA_SIZE];

  /* RSP belongs to the case, so faults are handled on a stack of our own. */
  stack_t ss = {.ss_sp = malloc(65536), .ss_size = 65536, .ss_flags = 0};
  sigaltstack(&ss, NULL);
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  int sigs[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGALRM};
  for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) sigaction(sigs[i], &sa, NULL);

  struct case_in in;
  static struct case_out out;
  while (fread(&in, sizeof in, 1, stdin) == 1) {
    if (in.len == 0 || in.len > 15 || in.patch_len > 16 || in.patch_off + in.patch_len > DATA_SIZE) {
      fprintf(stderr, "runner: malformed case\n");
      return 2;
    }
    memset(&out, 0, sizeof out);
    memset(code, 0xcc, PAGE);
    memcpy(entry, in.code, in.len);
    /* jmp [rip+0] followed by the absolute address of dt_exit. */
    static const uint8_t jmp_abs[6] = {0xff, 0x25, 0, 0, 0, 0};
    uint64_t exit_addr = (uint64_t)(uintptr_t)dt_exit;
    memcpy(entry + in.len, jmp_abs, 6);
    memcpy(entry + in.len + 6, &exit_addr, 8);
    fill_data(data, in.data_seed);
    memcpy(data + in.patch_off, in.patch, in.patch_len);
    memcpy(before, data, DATA_SIZE);

    memcpy(g_image.gpr, in.gpr, sizeof in.gpr);
    g_image.rflags = in.rflags;
    g_image.mxcsr = in.mxcsr;
    memcpy(g_image.xmm, in.xmm, sizeof in.xmm);
    memcpy(g_image.mm, in.mm, sizeof in.mm);

    struct itimerval limit = {.it_interval = {0, 0}, .it_value = {0, 200000}};
    struct itimerval off = {.it_interval = {0, 0}, .it_value = {0, 0}};
    int faulted = sigsetjmp(g_fault_jmp, 1);
    if (!faulted) {
      setitimer(ITIMER_REAL, &limit, NULL);
      dt_enter();
    }
    setitimer(ITIMER_REAL, &off, NULL);
    if (!faulted) {
      out.vector = -1;
      memcpy(out.gpr, g_image.gpr, sizeof out.gpr);
      out.rip = CODE_ENTRY + in.len;
      out.rflags = g_image.rflags;
      out.mxcsr = (uint32_t)g_image.mxcsr;
      memcpy(out.xmm, g_image.xmm, sizeof out.xmm);
      for (int r = 0; r < 8; r++) memcpy(out.mm[r], g_fxsave + 32 + 16 * r, 8);
      out.ftw = g_fxsave[4];
    } else if (g_fault_vector == -1) {
      __asm__ volatile("ldmxcsr %0" ::"m"(g_host_mxcsr));
      out.vector = -1;
      memcpy(out.gpr, g_image.gpr, sizeof out.gpr);
      out.rip = g_fault_rip;
      out.rflags = g_image.rflags;
      out.mxcsr = (uint32_t)g_image.mxcsr;
      memcpy(out.xmm, g_image.xmm, sizeof out.xmm);
      for (int r = 0; r < 8; r++) memcpy(out.mm[r], g_fxsave + 32 + 16 * r, 8);
      out.ftw = g_fxsave[4];
    } else {
      __asm__ volatile("ldmxcsr %0" ::"m"(g_host_mxcsr));
      out.vector = g_fault_vector;
      out.error_code = (uint32_t)g_fault_err;
      out.rip = g_fault_rip;
      out.fault_addr = g_fault_addr;
    }
    for (int i = 0; i < DATA_SIZE; i++) {
      if (data[i] == before[i]) continue;
      if (out.ndiff < MAX_DIFF) {
        out.diff[out.ndiff].off = (uint16_t)i;
        out.diff[out.ndiff].val = data[i];
      }
      out.ndiff++;
    }
    if (fwrite(&out, sizeof out, 1, stdout) != 1) return 2;
  }
  return 0;
}
