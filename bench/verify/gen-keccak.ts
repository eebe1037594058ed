/**
 * Prints the unrolled Keccak-f[1600] permutation used by `src/ingest/verify/keccak.ts`.
 * Run `npx tsx bench/verify/gen-keccak.ts` and paste the output over the marked block; don't edit it by hand.
 * The offsets are derived here from the specification (FIPS 202 §3.2) rather than typed in, so a typo cannot hide.
 */

// ρ offsets: walk (x, y) ← (y, 2x + 3y) from (1, 0); the t-th lane visited rotates by (t + 1)(t + 2)/2 mod 64.
const rot: number[] = new Array(25).fill(0);
{
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    rot[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
}

const lines: string[] = [];
const emit = (s: string) => lines.push(s);
const lane = (i: number) => [`a${i}l`, `a${i}h`] as const;

// Rotating a 64-bit lane held as (low, high) 32-bit halves left by n.
function rotate(l: string, h: string, n: number): [string, string] {
  if (n === 0) return [l, h];
  if (n === 32) return [h, l];
  if (n < 32) return [`(${l} << ${n}) | (${h} >>> ${32 - n})`, `(${h} << ${n}) | (${l} >>> ${32 - n})`];
  const m = n - 32;
  return [`(${h} << ${m}) | (${l} >>> ${32 - m})`, `(${l} << ${m}) | (${h} >>> ${32 - m})`];
}

emit('function permute(s: Uint32Array): void {');
for (let i = 0; i < 25; i++) emit(`  let a${i}l = s[${2 * i}]!;\n  let a${i}h = s[${2 * i + 1}]!;`);
emit('  for (let r = 0; r < 48; r += 2) {');
emit('    // θ');
for (let x = 0; x < 5; x++) {
  for (const half of ['l', 'h']) {
    emit(`    const c${x}${half} = ${[0, 1, 2, 3, 4].map((y) => `a${x + 5 * y}${half}`).join(' ^ ')};`);
  }
}
for (let x = 0; x < 5; x++) {
  const p = (x + 4) % 5;
  const [rl, rh] = rotate(`c${(x + 1) % 5}l`, `c${(x + 1) % 5}h`, 1);
  emit(`    const d${x}l = c${p}l ^ (${rl});`);
  emit(`    const d${x}h = c${p}h ^ (${rh});`);
}
// ρ and π fused with θ's final xor: b[y + 5((2x + 3y) mod 5)] = rot(a[x + 5y] ^ d[x], r[x + 5y]).
emit('    // θ (apply), ρ and π');
for (let x = 0; x < 5; x++) {
  for (let y = 0; y < 5; y++) {
    const i = x + 5 * y;
    const [l, h] = lane(i);
    emit(`    const t${i}l = ${l} ^ d${x}l;`);
    emit(`    const t${i}h = ${h} ^ d${x}h;`);
    const target = y + 5 * ((2 * x + 3 * y) % 5);
    const [bl, bh] = rotate(`t${i}l`, `t${i}h`, rot[i]!);
    emit(`    const b${target}l = ${bl};`);
    emit(`    const b${target}h = ${bh};`);
  }
}
emit('    // χ');
for (let y = 0; y < 25; y += 5) {
  for (let x = 0; x < 5; x++) {
    const i = x + y;
    const j = ((x + 1) % 5) + y;
    const k = ((x + 2) % 5) + y;
    for (const half of ['l', 'h']) emit(`    a${i}${half} = b${i}${half} ^ (~b${j}${half} & b${k}${half});`);
  }
}
emit('    // ι');
emit('    a0l ^= RC[r]!;');
emit('    a0h ^= RC[r + 1]!;');
emit('  }');
for (let i = 0; i < 25; i++) emit(`  s[${2 * i}] = a${i}l;\n  s[${2 * i + 1}] = a${i}h;`);
emit('}');

console.log(lines.join('\n'));
