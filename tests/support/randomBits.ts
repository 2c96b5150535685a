/** A deterministic stream of `count` 64-bit patterns (xorshift64*) from `seed`: every kind of double, as bits. */
export function randomBits(count: number, seed: bigint): BigUint64Array {
  const bits = new BigUint64Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state ^= state >> 12n;
    state ^= (state << 25n) & 0xffffffffffffffffn;
    state ^= state >> 27n;
    bits[i] = (state * 0x2545f4914f6cdd1dn) & 0xffffffffffffffffn;
  }
  return bits;
}
