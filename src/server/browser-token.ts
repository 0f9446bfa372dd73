import { createHmac, hash, randomBytes, timingSafeEqual } from "node:crypto";
import { randomString } from "../random.js";
import type { Context } from "koa";
import { RevueError } from "../errors.js";

/** The cookie that binds sessions to one browser over http. */
export const TOKEN_COOKIE = "rv_token";
/**
 * Its name over https. Browsers accept a `__Host-` cookie only from the host
 * itself (Secure, Path=/, no Domain), so a sibling subdomain cannot plant one,
 * not even a token the server really issued to the attacker.
 */
export const SECURE_TOKEN_COOKIE = `__Host-${TOKEN_COOKIE}`;

const TOKEN = /^([\w-]{22})\.([\w-]{22})$/;
// One call, no Hash object: this runs on every first visit.
const sha = (s: string) => hash("sha256", s, "base64url");

/** A verified token: its id, the index of the key that signed it, and the owner hash sessions are filed under. */
interface Verified {
  id: string;
  key: number;
  owner: string;
}

/** A string of its own, not a slice of a longer one (which would keep that alive): token values are ASCII. */
const copy = (s: string) => Buffer.from(s, "latin1").toString("latin1");

/** Verified tokens remembered (about 300 B each). */
const VERIFIED_MAX = 10_000;

/**
 * Issues and recognises the browser token: `<id>.<mac>`, 128 random bits and
 * an HMAC-SHA256 of them under the server's first key (truncated to 128 bits).
 * A cookie the server never issued (a guess, a value planted by a sibling
 * site, a token of a server with other keys) is not adopted: a page load gets
 * a fresh token instead. Sessions are owned by the hash of the id, so a token
 * re-signed after a key rotation keeps its sessions.
 *
 * Without `keys`, each process draws a random key: after a restart every old
 * cookie is replaced on the page's next bootstrap, which a restart already
 * forces (the in-memory sessions are gone). Several processes, or a store
 * that outlives the process, need the same configured keys.
 *
 * @example
 * const tokens = new BrowserTokens([process.env.REVUE_KEY!]);
 * const owner = tokens.owner(ctx, true); // sets a fresh cookie when none is valid
 */
export class BrowserTokens {
  private readonly keys: readonly Buffer[];
  /**
   * Cookie values whose signature verified, with their owner hash: every call
   * of a page sends the same token, and an HMAC and a SHA-256 per request cost
   * 6 % of the round trip's server CPU. Only verified values are kept, so a
   * forged one is checked each time; emptied when full.
   */
  private readonly verified = new Map<string, Verified>();
  /** Whether the keys were given (they outlive the process), not drawn at start. */
  private readonly given: boolean;

  constructor(keys?: readonly string[]) {
    this.given = keys !== undefined;
    if (keys === undefined) {
      this.keys = [randomBytes(32)];
      return;
    }
    if (!Array.isArray(keys) || keys.length === 0) {
      throw new RevueError("BAD_REQUEST", `createServer options: keys must be a non-empty array of secret strings (the first signs, all verify), got ${JSON.stringify(keys)}. Example: { keys: [process.env.REVUE_KEY] }.`);
    }
    keys.forEach((k, i) => {
      if (typeof k !== "string" || k.length < 16) {
        throw new RevueError("BAD_REQUEST", `createServer options: keys[${i}] must be a secret string of at least 16 characters, got ${typeof k === "string" ? `${k.length} characters` : JSON.stringify(k)}. Generate one with: openssl rand -base64 32`);
      }
    });
    this.keys = keys.map((k) => Buffer.from(k, "utf8"));
  }

  /**
   * The owner hash of the browser making this request, or "" when it carries
   * no token this server issued. With `mint`, such a browser gets a fresh
   * token (and a token signed with an older key is re-signed with the first).
   */
  owner(ctx: Context, mint: boolean): string {
    const name = ctx.secure ? SECURE_TOKEN_COOKIE : TOKEN_COOKIE;
    const found = this.find(ctx.get("cookie"), name);
    if (found) {
      if (mint && found.key > 0) this.set(ctx, name, found.id);
      return found.owner;
    }
    if (!mint) return "";
    const id = randomString(16, "base64url");
    this.set(ctx, name, id);
    return sha(id);
  }

  /**
   * The first cookie `name` whose signature verifies. Every value is tried,
   * not only the first: a cookie planted for the parent domain is sent next to
   * ours under the same name, and must not hide it.
   */
  private find(header: string, name: string): Verified | undefined {
    // The header is read in place, a cookie at a time (split(";") built an array and a string per cookie on every call).
    for (let start = 0, end = 0; start < header.length; start = end + 1) {
      end = header.indexOf(";", start);
      if (end < 0) end = header.length;
      const eq = header.indexOf("=", start);
      if (eq < 0 || eq > end) continue;
      const cookie = header.slice(start, eq);
      if (cookie !== name && cookie.trim() !== name) continue;
      const value = header.slice(eq + 1, end).trim();
      const known = this.verified.get(value);
      if (known) return known;
      const m = TOKEN.exec(value);
      if (!m) continue;
      const mac = Buffer.from(m[2]!, "base64url");
      const key = this.keys.findIndex((k) => timingSafeEqual(this.mac(k, m[1]!), mac));
      if (key < 0) continue;
      // Copies, not slices of the header: a slice keeps the whole header alive (a 16 KB cookie header made each entry 16 KB).
      const found = { id: copy(m[1]!), key, owner: sha(m[1]!) };
      if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
      this.verified.set(copy(value), found);
      return found;
    }
    return undefined;
  }

  /**
   * What a page carries to say whose it is (its boot data's `u`), from the
   * user's identity hash (`Session.userKey`): keyed by the first key when
   * `keys` were given, so the page's HTML tells nothing of who without it;
   * else the identity hash as it is (a key drawn at start would make every
   * open page's `u` another user's after a restart).
   */
  userTag(identity: string): string {
    return this.given ? this.userMac(this.keys[0]!, identity) : identity;
  }

  /** Whether `tag` is {@link userTag} of `identity`, under any key (a page served before a rotation still matches). */
  isUserTag(tag: string, identity: string): boolean {
    return this.given ? this.keys.some((k) => this.userMac(k, identity) === tag) : tag === identity;
  }

  private userMac(key: Buffer, identity: string): string {
    return createHmac("sha256", key).update(`user:${identity}`).digest().subarray(0, 12).toString("base64url");
  }

  private mac(key: Buffer, id: string): Buffer {
    return createHmac("sha256", key).update(`${TOKEN_COOKIE}:${id}`).digest().subarray(0, 16);
  }

  private set(ctx: Context, name: string, id: string): void {
    const value = `${id}.${this.mac(this.keys[0]!, id).toString("base64url")}`;
    // ctx.secure is true over TLS, or with trustProxy behind an https proxy. The value carries its own
    // MAC: not signed again with koa.keys (a second `.sig` cookie the page would send with every call).
    ctx.cookies.set(name, value, { httpOnly: true, sameSite: "lax", path: "/", secure: ctx.secure, overwrite: true, signed: false });
  }
}
