import { randomFillSync } from "node:crypto";

/*
 * Random strings for what a page view mints (the CSP nonce, the browser
 * token), drawn from the CSPRNG 4 KB at a time: `randomBytes(16)` is a call
 * into OpenSSL per value, about 4 µs each, while a slice of the pool costs
 * 0.1–0.3 µs (as Node's own `randomUUID` keeps a cache of entropy). Each byte
 * of the pool is used once.
 */
const pool = Buffer.allocUnsafeSlow(4096);
let used = pool.length;

/**
 * `bytes` random bytes (at most 4,096) from the CSPRNG, as a string in `encoding`.
 *
 * @example
 * randomString(16, "base64")    // a CSP nonce: "q3Jx0m1y…=="
 * randomString(16, "base64url") // a token id
 */
export function randomString(bytes: number, encoding: "base64" | "base64url" | "hex"): string {
  if (used + bytes > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  const out = pool.toString(encoding, used, used + bytes);
  used += bytes;
  return out;
}
