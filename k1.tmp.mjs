import koffi from 'koffi';
const libc = koffi.load('libc.so.6');
const read = libc.func('long read(int fd, void *buf, size_t n)');
const pipe = libc.func('int pipe(_Out_ int *fds)');
const write = libc.func('long write(int fd, const void *buf, size_t n)');
const strerror = libc.func('const char *strerror(int e)');
const fds = [0,0];
console.log(pipe(fds), fds);
const big = new Uint8Array(64);
const sub = big.subarray(10, 20);
const n = write(fds[1], new Uint8Array([1,2,3,4]), 4);
console.log('w', n, typeof n);
const r = read(fds[0], sub, sub.length);
console.log(r, typeof r, big.slice(8,16));
console.log(read(-1, sub, 1), koffi.errno(), strerror(koffi.errno()));
const sab = new SharedArrayBuffer(16); const su = new Uint8Array(sab, 4, 8);
write(fds[1], new Uint8Array([9,9]), 2); console.log(read(fds[0], su, 8), new Uint8Array(sab));
// timing
const t0 = performance.now(); for (let i=0;i<200000;i++) read(fds[0], sub, 10); console.log('ns/call', (performance.now()-t0)*1e6/200000, koffi.errno());
